"""Complaint cases and the working-day calendar."""
