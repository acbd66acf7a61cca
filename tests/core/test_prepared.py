"""Statements planned once per PostgreSQL connection (core.prepared): the same rows as the plain query, through a
reconnect, and on PostgreSQL an EXECUTE after the first PREPARE, which is not counted as a query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
