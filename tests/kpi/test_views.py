"""League table, score sheet and explanation pages: what each role sees, at stable addresses."""

import pytest
from django.urls import reverse

from kpi import services
from kpi.models import ScoreRun
from kpi.publishing.services import window_publish


def cell(branch, revision="r1", indicator="sl_nonbank"):
    return reverse("kpi:league-cell", args=["jiangsu-2023", "2023-01", revision, branch, indicator])


def sheet(branch, revision="r1"):
    return reverse("kpi:league-branch", args=["jiangsu-2023", "2023-01", revision, branch])


def test_anonymous_users_are_sent_to_the_login_page(client, run):
    response = client.get(reverse("kpi:league"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_everyone_lands_on_the_latest_published_window(users, client_for, published):
    response = client_for(users["nanjing_staff"]).get(reverse("kpi:league"))
    assert response.status_code == 302 and response.url == reverse("kpi:league-latest", args=["jiangsu-2023", "2023-01"])


def test_the_officer_sees_every_branchs_indicator_cells(users, client_for, published):
    page = client_for(users["officer"]).get(reverse("kpi:league"), follow=True).content.decode()
    for branch in ("nanjing", "wuxi"):
        assert cell(branch) in page
    assert "1月累计" in page and "计算于" in page and "已发布 · 第1版" in page


def test_branch_staff_see_ranks_of_all_but_cells_of_their_own_branch_only(users, client_for, published):
    page = client_for(users["nanjing_staff"]).get(reverse("kpi:league"), follow=True).content.decode()
    assert "无锡中支" in page  # the published ranking names every branch
    assert cell("nanjing") in page
    assert cell("wuxi") not in page
    assert sheet("wuxi") not in page


def test_branch_staff_never_see_a_window_that_is_not_published(users, client_for, run):
    client = client_for(users["nanjing_staff"])
    assert client.get(reverse("kpi:league-latest", args=["jiangsu-2023", "2023-01"])).status_code == 404
    assert client.get(reverse("kpi:league-window", args=["jiangsu-2023", "2023-01", "live"])).status_code == 404
    assert "尚无已发布的排名" in client.get(reverse("kpi:league")).content.decode()


def test_the_office_sees_an_unpublished_window_labelled_provisional(users, client_for, run):
    page = client_for(users["officer"]).get(reverse("kpi:league"), follow=True).content.decode()
    assert "未发布 · 试算" in page and "1月：0/2 已审核" in page and 'id="publish-form"' in page
    assert cell("nanjing", "live") in page


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
def test_explanations_and_score_sheets_are_private_to_the_branch(users, client_for, published, user, branch, status):
    client = client_for(users[user])
    assert client.get(cell(branch)).status_code == status
    assert client.get(sheet(branch)).status_code == status


@pytest.mark.parametrize("path", ["2023-13", "2022-01", "2023-1", "２０２３-01", "x"])
def test_a_window_address_that_does_not_exist_is_a_404(users, client_for, published, path):
    client = client_for(users["officer"])
    assert client.get("/league/jiangsu-2023/2023-01/r1/").status_code == 200  # the route itself answers
    assert client.get(f"/league/jiangsu-2023/{path}/r1/").status_code == 404


@pytest.mark.parametrize("revision", ["r2", "r0", "r", "latest", "r99999"])
def test_a_revision_that_does_not_exist_is_a_404(users, client_for, published, revision):
    client = client_for(users["officer"])
    assert client.get("/league/jiangsu-2023/2023-01/r1/").status_code == 200  # the route itself answers
    assert client.get(f"/league/jiangsu-2023/2023-01/{revision}/").status_code == 404


def test_an_explanation_shows_inputs_value_target_step_and_arithmetic(users, client_for, published):
    page = client_for(users["officer"]).get(cell("nanjing")).content.decode()
    for expected in ("9,448", "10,000", "94.48", "95", "未达标", "4 − 0.1 = 3.9", "3.90"):
        assert expected in page, expected


def test_the_htmx_request_gets_just_the_explanation_fragment(users, client_for, published):
    response = client_for(users["officer"]).get(cell("nanjing"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "3.90" in body


def test_a_published_cell_keeps_its_address_and_value_after_the_next_recompute(users, client_for, published, figure):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "9900")
    services.score_run_compute(scheme=published.scheme, month=1)
    client = client_for(users["officer"])
    assert "3.90" in client.get(cell("nanjing"), HTTP_HX_REQUEST="true").content.decode()
    assert "3.90" not in client.get(cell("nanjing", "live"), HTTP_HX_REQUEST="true").content.decode()


def test_the_league_page_says_when_nothing_was_computed(users, client_for, scheme):
    ScoreRun.objects.all().delete()
    page = client_for(users["officer"]).get(reverse("kpi:league")).content.decode()
    assert "尚无已发布的排名" in page


def test_a_branch_page_charts_its_total_and_rank_over_the_published_windows(users, client_for, scheme, figure):
    for month, passed in ((1, "9448"), (2, "9600")):
        figure("nanjing", "sl_nonbank_passed", 2023, month, passed)
        figure("nanjing", "sl_nonbank_checked", 2023, month, "10000")
        services.score_run_compute(scheme=scheme, month=month)
        window_publish(scheme=scheme, month=month, user=users["officer"], note="发布")
    page = client_for(users["nanjing_staff"]).get(
        reverse("kpi:league-branch", args=["jiangsu-2023", "2023-02", "r1", "nanjing"])
    ).content.decode()
    assert 'id="trend-data"' in page and "vendor/echarts/echarts.min.js" in page
    assert '"month": 1' in page and '"month": 2' in page


def test_indicator_names_follow_the_chosen_language(users, client_for, published):
    client = client_for(users["officer"])
    assert "双录首次质检合格率(非银邮代理)" in client.get(reverse("kpi:league"), follow=True).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("kpi:league"), follow=True).content.decode()
    assert "First-pass QC rate of recorded sales (non-bank)" in page
