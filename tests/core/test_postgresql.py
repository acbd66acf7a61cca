"""The PostgreSQL backend's health check (core.postgresql): a kept, idle connection is taken as it is without a
round trip, and one the server closed is found unusable (Django's SELECT 1 then confirms it), so the request that
follows reconnects instead of failing."""

import select

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_base

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"),
    pytest.mark.django_db,
]


@pytest.fixture
def kept():
    """A connection of its own, as a server process keeps one between requests."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def server_asked(monkeypatch):
    """Each time Django's own check (SELECT 1) runs, and its answer."""
    asked = []
    check = django_base.DatabaseWrapper.is_usable

    def counted(self):
        asked.append(check(self))
        return asked[-1]

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", counted)
    return asked


def test_the_settings_use_it():
    assert type(connections["default"]).__module__ == "core.postgresql.base"


def test_an_idle_connection_is_usable_without_asking_the_server(kept, server_asked):
    for _ in range(3):
        assert kept.is_usable()
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert server_asked == []


def test_a_connection_the_server_closed_is_unusable_and_the_next_one_works(kept, server_asked):
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:  # as a restart does to every backend
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(kept.connection.fileno(), select.POLLIN)
    assert poller.poll(5000), "the server's goodbye reaches the socket"
    assert not kept.is_usable()
    assert server_asked == [False]  # something was waiting: Django's SELECT 1 was asked and failed
    kept.close()
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
