"""The ranking task run by a real Celery worker on Redis (CI's PostgreSQL run sets REDIS_URL)."""

import os
from decimal import Decimal

import pytest
from django.db import connection

from kpi.models import ScoreRun
from kpi.tasks import recompute_window

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Redis broker"),
]


@pytest.fixture
def worker(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.conf.task_always_eager = False
    # The worker thread must see the test database; SQLite in-memory databases cannot be shared.
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("the worker thread cannot share an in-memory SQLite database")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True


def test_a_real_worker_computes_the_window_and_twice_leaves_one_current_run(scheme, figure, worker):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "9448")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "10000")
    first = recompute_window.delay(scheme.pk, 1)
    second = recompute_window.delay(scheme.pk, 1)
    ids = {first.get(timeout=60), second.get(timeout=60)}
    assert len(ids) == 1  # the second delivery finds the window computed and nothing pending: coalesced
    current = ScoreRun.objects.get(scheme=scheme, month=1, is_current=True)
    assert current.pk in ids
    assert current.branch_scores.get(branch__code="nanjing").cell("sl_nonbank").points == Decimal("3.90")
