"""League table, score sheet and explanation pages: what each role sees."""

import pytest
from django.urls import reverse

from kpi import services
from kpi.models import ScoreRun


@pytest.fixture
def run(scheme, figure):
    for branch, passed in (("nanjing", "9448"), ("wuxi", "9306")):
        figure(branch, "sl_nonbank_passed", 2023, 1, passed)
        figure(branch, "sl_nonbank_checked", 2023, 1, "10000")
    return services.score_run_compute(scheme=scheme, month=1)


def test_anonymous_users_are_sent_to_the_login_page(client, run):
    response = client.get(reverse("kpi:league"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_officer_sees_every_branchs_indicator_cells(users, client_for, run):
    page = client_for(users["officer"]).get(reverse("kpi:league")).content.decode()
    for branch in ("nanjing", "wuxi"):
        assert reverse("kpi:explanation", args=[run.pk, branch, "sl_nonbank"]) in page
    assert "1月累计" in page and "计算于" in page


def test_branch_staff_see_ranks_of_all_but_cells_of_their_own_branch_only(users, client_for, run):
    page = client_for(users["nanjing_staff"]).get(reverse("kpi:league")).content.decode()
    assert "无锡中支" in page  # the published ranking names every branch
    assert reverse("kpi:explanation", args=[run.pk, "nanjing", "sl_nonbank"]) in page
    assert reverse("kpi:explanation", args=[run.pk, "wuxi", "sl_nonbank"]) not in page
    assert reverse("kpi:branch-scores", args=[run.pk, "wuxi"]) not in page


@pytest.mark.parametrize(
    ("user", "branch", "status"),
    [
        ("nanjing_staff", "nanjing", 200),
        ("nanjing_staff", "wuxi", 404),
        ("wuxi_staff", "nanjing", 404),
        ("county_staff", "nanjing", 404),
        ("officer", "wuxi", 200),
        ("admin", "nanjing", 200),
    ],
)
def test_explanations_and_score_sheets_are_private_to_the_branch(users, client_for, run, user, branch, status):
    client = client_for(users[user])
    assert client.get(reverse("kpi:explanation", args=[run.pk, branch, "sl_nonbank"])).status_code == status
    assert client.get(reverse("kpi:branch-scores", args=[run.pk, branch])).status_code == status


def test_an_explanation_shows_inputs_value_target_step_and_arithmetic(users, client_for, run):
    page = client_for(users["officer"]).get(reverse("kpi:explanation", args=[run.pk, "nanjing", "sl_nonbank"])).content.decode()
    for expected in ("9,448", "10,000", "94.48", "95", "未达标", "4 − 0.1 = 3.9", "3.90"):
        assert expected in page, expected


def test_the_htmx_request_gets_just_the_explanation_fragment(users, client_for, run):
    response = client_for(users["officer"]).get(
        reverse("kpi:explanation", args=[run.pk, "nanjing", "sl_nonbank"]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "3.90" in body


def test_the_league_page_says_when_nothing_was_computed(users, client_for, scheme):
    ScoreRun.objects.all().delete()
    page = client_for(users["officer"]).get(reverse("kpi:league")).content.decode()
    assert "尚未计分" in page


def test_a_branch_page_charts_its_total_and_rank_over_the_computed_windows(users, client_for, scheme, figure):
    for month, passed in ((1, "9448"), (2, "9600")):
        figure("nanjing", "sl_nonbank_passed", 2023, month, passed)
        figure("nanjing", "sl_nonbank_checked", 2023, month, "10000")
        run = services.score_run_compute(scheme=scheme, month=month)
    page = client_for(users["nanjing_staff"]).get(reverse("kpi:branch-scores", args=[run.pk, "nanjing"])).content.decode()
    assert 'id="trend-data"' in page and "vendor/echarts/echarts.min.js" in page
    assert '"month": 1' in page and '"month": 2' in page


def test_indicator_names_follow_the_chosen_language(users, client_for, run):
    client = client_for(users["officer"])
    assert "双录首次质检合格率(非银邮代理)" in client.get(reverse("kpi:league")).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("kpi:league")).content.decode()
    assert "First-pass QC rate of recorded sales (non-bank)" in page
