"""Explicit events between apps whose imports point one way (branches ← complaints ← kpi).

A service that changes data another app derives figures from sends the event itself, in its own
transaction; the receiving app decides what to do (kpi queues a recompute on commit). These are not
model signals: nothing fires on a bare save.
"""

from django.dispatch import Signal

# Sent with branch_id (int) and months (iterable of first-of-month dates) whose figures changed.
figures_changed = Signal()
