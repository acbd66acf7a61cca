"""Celery tasks: take ids, are idempotent, call one service."""

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from kpi import outbox, services
from kpi.models import Scheme


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_window(scheme_id: int, month: int) -> int:
    """Recompute one scheme × window; running it twice, or twice at once, leaves one current run.

    The run and the marking of its outbox request commit together: a worker killed mid-run leaves the
    previous run current and the request pending, and the message (acked late) is delivered again.
    """
    scheme = Scheme.objects.get(pk=scheme_id)
    with transaction.atomic():
        claim = outbox.request_claim(scheme_id=scheme_id, month=month)
        run = services.score_run_compute(scheme=scheme, month=month)
        outbox.request_done(claim)
    return run.pk


@shared_task
def dispatch_pending_recomputes() -> int:
    """Beat, every minute: queue the recomputes requested while the broker was unreachable."""
    return outbox.dispatch_pending()


@shared_task
def recompute_previous_month() -> list[int]:
    """Beat, on the 1st: recompute the month that just ended for the schemes of its year."""
    today = timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    schemes = list(Scheme.objects.filter(year=last.year, versions__status="published").distinct())
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
