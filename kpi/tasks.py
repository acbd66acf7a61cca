"""Celery tasks: take ids, are idempotent, call one service."""

import datetime

from celery import shared_task
from django.utils import timezone

from kpi import services
from kpi.models import Scheme


@shared_task(acks_late=True)
def recompute_window(scheme_id: int, month: int) -> int:
    """Recompute one scheme × window; running it twice, or twice at once, leaves one current run."""
    run = services.score_run_compute(scheme=Scheme.objects.get(pk=scheme_id), month=month)
    return run.pk


@shared_task
def recompute_previous_month() -> list[int]:
    """Beat, on the 1st: recompute the month that just ended for the schemes of its year."""
    today = timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    scheme_ids = list(Scheme.objects.filter(year=last.year, versions__status="published").values_list("pk", flat=True).distinct())
    for scheme_id in scheme_ids:
        recompute_window.delay(scheme_id, last.month)
    return scheme_ids
