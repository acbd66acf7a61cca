"""Explicit events between apps whose imports point one way (branches ← complaints ← kpi).

A service that changes data another app derives figures from sends the event itself, in its own
transaction; the receiving app decides what to do (kpi queues a recompute on commit). These are not
model signals: nothing fires on a bare save.
"""

from django.dispatch import Signal

# Sent with branch_id (int) and months (iterable of first-of-month dates) whose figures changed.
figures_changed = Signal()

# Sent with branch_id (int) when a branch moved under another parent: every roll-up above its old and new places
# may differ, and whatever a recompute kept of them is stale.
tree_changed = Signal()

# Asked with case=<Complaint>; a receiver answers with a list of texts, one per approved (locked) month the
# case's change would alter, so the complaint pages can say so without importing the app that locks months.
locked_month_effects = Signal()


def locked_month_texts(case) -> list[str]:
    """Every receiver's answer for one case, flattened."""
    return [text for _, texts in locked_month_effects.send(sender="complaints", case=case) for text in texts or []]
