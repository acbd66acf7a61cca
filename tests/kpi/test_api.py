"""The kpi read API: schemes and league tables, with branch scope enforced."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.kpi.demo_clients import token_client as api


def test_the_api_needs_authentication(run):
    assert APIClient().get("/api/v1/league/?scheme=jiangsu-2023").status_code == 401


def test_the_officer_gets_every_branchs_cells(users, published):
    body = api(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1").json()
    assert body["month"] == 1 and body["version"] == 1
    rows = {r["branch"]: r for r in body["rows"]}
    nanjing = {c["code"]: c for c in rows["nanjing"]["indicators"]}
    assert Decimal(nanjing["sl_nonbank"]["points"]) == Decimal("3.90")
    assert rows["wuxi"]["indicators"]


def test_branch_staff_get_all_ranks_but_only_their_own_cells(users, published):
    rows = {r["branch"]: r for r in api(users["wuxi_staff"]).get("/api/v1/league/?scheme=jiangsu-2023").json()["rows"]}
    assert set(rows) == {"nanjing", "wuxi"}
    assert rows["nanjing"]["indicators"] == []
    assert rows["wuxi"]["indicators"]


def test_a_window_not_published_is_a_404_for_staff_and_live_for_the_office_on_request(users, run):
    assert api(users["nanjing_staff"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1").status_code == 404
    assert api(users["nanjing_staff"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1&live=true").status_code == 403
    assert api(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1").status_code == 404
    body = api(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1&live=true").json()
    assert body["status"] == "provisional" and body["revision"] is None
    assert {r["status"] for r in body["rows"]} == {"provisional"}


def test_the_published_table_says_so_on_every_row(users, published):
    body = api(users["wuxi_staff"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1").json()
    assert (body["status"], body["revision"], body["window"]) == ("published", 1, "2023-01")
    assert body["url"] == "/league/jiangsu-2023/2023-01/r1/"
    assert {(r["status"], r["revision"]) for r in body["rows"]} == {("published", 1)}


@pytest.mark.parametrize("query", ["month=5", "revision=2"])
def test_a_window_or_revision_not_published_is_a_clear_404(users, published, query):
    response = api(users["officer"]).get(f"/api/v1/league/?scheme=jiangsu-2023&{query}")
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["month=²", "month=13", "month=0", "month=٣", "month=1e1", "revision=-1", "revision=r1",
                                   "live=perhaps", "live=true&revision=1"])
def test_bad_parameters_are_a_400_in_chinese(users, published, query):
    response = api(users["officer"]).get(f"/api/v1/league/?scheme=jiangsu-2023&{query}")
    assert response.status_code == 400


def test_schemes_list_shows_version_and_computed_and_published_months(users, published):
    body = api(users["nanjing_staff"]).get("/api/v1/schemes/").json()
    assert body == [{"code": "jiangsu-2023", "name": "2023年江苏分公司中支消保考核方案", "year": 2023,
                     "level": "prefecture", "version": 1, "computed_months": [1], "published_months": [1]}]
