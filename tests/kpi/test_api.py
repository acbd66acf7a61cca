"""The kpi read API: schemes and league tables, with branch scope enforced."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kpi import services


@pytest.fixture
def run(scheme, figure):
    for branch, passed in (("nanjing", "9448"), ("wuxi", "9306")):
        figure(branch, "sl_nonbank_passed", 2023, 1, passed)
        figure(branch, "sl_nonbank_checked", 2023, 1, "10000")
    return services.score_run_compute(scheme=scheme, month=1)


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_the_api_needs_authentication(run):
    assert APIClient().get("/api/v1/league/?scheme=jiangsu-2023").status_code == 401


def test_the_officer_gets_every_branchs_cells(users, run):
    body = api(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023&month=1").json()
    assert body["month"] == 1 and body["version"] == 1
    rows = {r["branch"]: r for r in body["rows"]}
    nanjing = {c["code"]: c for c in rows["nanjing"]["indicators"]}
    assert Decimal(nanjing["sl_nonbank"]["points"]) == Decimal("3.90")
    assert rows["wuxi"]["indicators"]


def test_branch_staff_get_all_ranks_but_only_their_own_cells(users, run):
    rows = {r["branch"]: r for r in api(users["wuxi_staff"]).get("/api/v1/league/?scheme=jiangsu-2023").json()["rows"]}
    assert set(rows) == {"nanjing", "wuxi"}
    assert rows["nanjing"]["indicators"] == []
    assert rows["wuxi"]["indicators"]


def test_a_window_not_computed_is_a_clear_400(users, run):
    response = api(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023&month=5")
    assert response.status_code == 400 and "计算结果" in response.json()["month"][0]


def test_schemes_list_shows_version_and_computed_months(users, run):
    body = api(users["nanjing_staff"]).get("/api/v1/schemes/").json()
    assert body == [{"code": "jiangsu-2023", "name": "2023年江苏分公司中支消保考核方案", "year": 2023,
                     "level": "prefecture", "version": 1, "computed_months": [1]}]
