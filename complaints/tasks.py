"""Celery tasks of the complaints app: idempotent, each calls one service."""

from celery import shared_task

from complaints import services


@shared_task(acks_late=True)
def mark_overdue_complaints() -> int:
    """Daily (beat): mark open cases past their decision limit as overdue; a second run marks nothing new."""
    return services.complaints_mark_overdue()


@shared_task(acks_late=True)
def recompute_open_deadlines() -> int:
    """After the holiday calendar changed: recompute the deadlines of open cases."""
    return services.complaints_recompute_open_deadlines()
