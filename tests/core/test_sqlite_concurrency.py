"""The embedded default (SQLite) under concurrent writers: a conflict is a 409 or a Chinese refusal, never a 500.

The suite's SQLite test database lives in memory, where threads share one cache and cannot wait for
each other's locks; the writers therefore run in a subprocess against a new SQLite file, with the
settings a demo runs with.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

WRITERS = 5


@pytest.fixture
def sqlite_file(tmp_path):
    """A new SQLite file for the writers (the suite's own database may be PostgreSQL or in memory)."""
    return tmp_path / "demo.sqlite3"


def test_the_sqlite_default_waits_for_the_write_lock_instead_of_failing(sqlite_file):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("run once, on the SQLite pass: the PostgreSQL pass serialises writers with row locks")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{sqlite_file}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("REDIS_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "tests.core.sqlite_writers", str(WRITERS)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # One save of the month applies (and redirects); every other one is told that the month changed.
    assert result["saves"] == {"302": 1, "409": WRITERS - 1}
    assert result["intake"] == {"ok": WRITERS}, "every case registered at the same instant gets its own number"
    assert result["accept"] == {"ok": 1, "refused": WRITERS - 1}
