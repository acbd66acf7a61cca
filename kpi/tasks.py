"""Celery tasks: take ids, are idempotent, call one service."""

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from kpi import outbox, selectors, services
from kpi.models import Scheme, ScoreRun


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_window(scheme_id: int, month: int) -> int:
    """Recompute the scheme's pending windows in one pass (and `month` if it was never computed); returns the
    id of the window's current run. Delivered twice, or twice at once, it computes each pending window once.

    The runs and the marking of their outbox requests commit together: a worker killed mid-run leaves the
    previous runs current and the requests pending, and the message (acked late) is delivered again.
    """
    scheme = Scheme.objects.get(pk=scheme_id)
    runs = services.recompute_pending(scheme=scheme, ensure=[month])
    return runs[month].pk if month in runs else ScoreRun.objects.get(scheme=scheme, month=month, is_current=True).pk


@shared_task
def dispatch_pending_recomputes() -> int:
    """Beat, every minute: queue the recomputes requested while the broker was unreachable."""
    return outbox.dispatch_pending()


@shared_task
def recompute_previous_month() -> list[int]:
    """Beat, on the 1st: recompute the month that just ended for the schemes of its year."""
    today = timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    schemes = list(selectors.published_schemes().filter(year=last.year))
    with transaction.atomic():
        for scheme in schemes:
            outbox.recompute_request(scheme=scheme, months=[last.month])
    return [s.pk for s in schemes]


@shared_task
def import_prepare(batch_id: str) -> str:
    """Read and check an uploaded import, recording its progress on the batch for the page's progress bar."""
    from kpi.imports import services as imports
    from kpi.models import ImportBatch, ImportStatus

    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportStatus.READING:
        return batch.status

    def progress(percent: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(progress=percent)

    imports.batch_prepare(batch=batch, progress=progress)
    return batch.status
