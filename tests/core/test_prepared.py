"""Statements planned once per PostgreSQL connection (core.prepared): the same rows as the plain query, through a
reconnect, and on PostgreSQL an EXECUTE after the first PREPARE, which is not counted as a query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from branches.models import User
from core import prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT COUNT(*), MIN(code) FROM branches_branch WHERE code >= %s AND level = %s"


def plain(params, sql=SQL):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_a_prepared_statement_answers_what_the_query_does_for_each_parameter(tree):
    for params in (["a", "prefecture"], ["n", "prefecture"], ["z", "county"], ["", "province"]):
        assert prepared.fetchone("test_branches", SQL, params) == plain(params), params
    assert plain(["a", "prefecture"])[0] == 2  # nanjing and wuxi: the rows compared are not all empty


@pytest.mark.django_db(transaction=True)  # a connection closed outside any test transaction
def test_a_new_connection_prepares_again(tree):
    first = prepared.fetchone("test_branches", SQL, ["a", "prefecture"])
    connection.close()  # e.g. PostgreSQL restarted: the next request's connection has no statement prepared
    assert prepared.fetchone("test_branches", SQL, ["a", "prefecture"]) == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")
def test_postgresql_plans_it_once_and_the_request_counts_one_query(tree):
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            prepared.fetchone("test_branches_once", SQL, ["a", "prefecture"])
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 3 and all(q.startswith("EXECUTE test_branches_once_") for q in sql), sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'test_branches_once_%%'")
        assert cursor.fetchone()[0] == 1


def test_literal_percent_signs_and_no_parameters(tree):
    sql = "SELECT COUNT(*) FROM branches_branch WHERE code LIKE 'n%%'"
    assert prepared.fetchone("test_percent", sql, []) == plain([], sql) == (1,)  # nanjing
    with pytest.raises(ValueError):
        prepared.fetchone("x; DROP TABLE branches_branch", sql, [])


# ── a queryset compiled once ────────────────────────────────────────────────────────────────────────


def _same(a, b):
    """Two instances with the same field values (and so the same row)."""
    fields = [f.attname for f in type(a)._meta.concrete_fields]
    return type(a) is type(b) and [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]


def test_a_session_user_is_what_the_orm_reads_with_branch_and_unread_count(tree, users, django_assert_num_queries):
    from kpi.authentication import _session_user
    from kpi.entries.selectors import with_unread_notices
    from kpi.models import Notice, NoticeKind

    for n in range(2):
        Notice.objects.create(branch=tree["nanjing"], kind=NoticeKind.PUBLICATION, message=f"第{n}条", link="")
    orm = with_unread_notices(User.objects.select_related("branch"))
    for role in ("nanjing_staff", "officer", "admin"):
        expected = orm.get(pk=users[role].pk)
        for _ in range(2):  # compiled on the first call, reused on the second
            with django_assert_num_queries(1):
                user = _session_user(str(users[role].pk))  # as the session stores it
                assert _same(user, expected) and user.unread_notices == expected.unread_notices
                assert (user.branch is None) == (expected.branch is None)  # read along: no query
                assert user.branch is None or _same(user.branch, expected.branch)
    assert _session_user(users["nanjing_staff"].pk).unread_notices == 2
    assert _session_user(10**9) is None and _session_user("abc") is None


def test_a_token_is_what_the_orm_reads_with_user_and_branch(users, django_assert_num_queries):
    from core.authentication import _token

    key = Token.objects.create(user=users["wuxi_staff"]).key
    expected = Token.objects.select_related("user__branch").get(key=key)
    with django_assert_num_queries(1):
        token = _token(key)
        assert _same(token, expected) and _same(token.user, expected.user) and _same(token.user.branch, expected.user.branch)
    assert _token("0" * 40) is None


def test_a_compiled_query_is_not_compiled_again(users, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    from kpi.authentication import _session_user

    _session_user(users["officer"].pk)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    for role in ("officer", "admin", "nanjing_staff"):
        assert _session_user(users[role].pk).username == users[role].username
    assert compiled == []


@pytest.mark.parametrize(("queryset", "field", "sentinel", "refusal"), [
    (lambda: User.objects.filter(pk=1), "pk", 1, "sentinel"),  # the sentinel is not one parameter: 1 twice
    (lambda: User.objects.all(), "first_name", "\0x", "not unique"),  # .get would raise on two rows, not pick one
    (lambda: User.objects.values("pk"), "pk", -5, "model instances"),
    (lambda: User.objects.prefetch_related("groups"), "pk", -5, "model instances"),
])
def test_what_it_cannot_answer_as_get_would_is_refused(users, queryset, field, sentinel, refusal):
    with pytest.raises(ValueError, match=refusal):
        prepared.CompiledGet("test_users", queryset, field, sentinel=sentinel)(users["admin"].pk)


@pytest.mark.parametrize("value", [10**20, -(10**20), "1e3", None, "", [1]])
def test_a_value_no_row_can_hold_finds_none_as_the_orm_does(users, value):
    from kpi.authentication import _session_user

    assert _session_user(value) is None
