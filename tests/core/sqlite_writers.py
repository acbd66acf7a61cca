"""Concurrent writers against a file SQLite database, run in a subprocess by test_sqlite_concurrency.

`python -m tests.core.sqlite_writers N` with DATABASE_URL pointing at a new SQLite file: N threads
save the same month through the entry form at once, N register a case and N accept one case. Prints
one JSON object: the status codes of the saves and what each service call ended with.
"""

import collections
import datetime
import json
import os
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from complaints import services as complaint_services  # noqa: E402
from config.celery_app import app as celery_app  # noqa: E402
from core.errors import ApplicationError  # noqa: E402
from kpi import demo  # noqa: E402
from kpi import services as kpi_services  # noqa: E402
from kpi.entries import selectors  # noqa: E402
from tests.conftest import build_tree, build_users  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")


def together(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant; each thread has its own connection."""
    barrier = threading.Barrier(n)

    def run(i):
        prepared = work(i, barrier)
        connection.close()
        return prepared

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def outcome(call) -> str:
    try:
        call()
    except ApplicationError:
        return "refused"
    except Exception:  # noqa: BLE001 - any other error is what the page would answer with a 500
        return "error: " + traceback.format_exc(limit=1).strip().splitlines()[-1]
    return "ok"


def main(n: int) -> dict:
    setup_test_environment()  # the test client's host, as in the suite
    # The tables straight from the models (a second, not ten for the migrations), then the seeded calendar.
    with override_settings(MIGRATION_MODULES={app.label: None for app in apps.get_app_configs()}):
        call_command("migrate", run_syncdb=True, verbosity=0)
    complaint_services.calendar_seed(recompute=False)
    # Recomputes queued by the saves stay in the in-memory broker: the writes are what is measured here.
    celery_app.conf.task_always_eager = False
    tree = build_tree()
    users = build_users(tree)
    scheme = kpi_services.scheme_load(data=demo.scheme_data())
    layout = selectors.entry_layout(version=scheme.version_in_force())
    form = {f"c-{code}": "100" for code in layout.entered} | {"revision": 0, "action": "save", "reason": ""}

    def save(i, barrier):
        client = Client(raise_request_exception=False)
        client.force_login(users["nanjing_staff"])
        barrier.wait()
        return client.post("/entries/nanjing/2023-01/", {**form, "c-premium_wan": str(100 + i)}).status_code

    received = datetime.datetime(2023, 9, 28, 10, tzinfo=SH)
    customer = {"category": "claims", "summary": "理赔未处理", "customer_name": "张三", "customer_phone": "13812345678"}

    def register(i, barrier):
        barrier.wait()
        return outcome(
            lambda: complaint_services.complaint_create(
                actor=users["officer"], branch=tree["nanjing"], source="self", received_at=received, **customer
            )
        )

    case = complaint_services.complaint_create(
        actor=users["officer"], branch=tree["nanjing"], source="self", received_at=received, **customer
    )

    def accept(i, barrier):
        barrier.wait()
        return outcome(
            lambda: complaint_services.complaint_accept(actor=users["officer"], case=case, accepted_on=case.received_on)
        )

    return {
        "saves": collections.Counter(together(n, save)),
        "intake": collections.Counter(together(n, register)),
        "accept": collections.Counter(together(n, accept)),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1])), ensure_ascii=False))
