"""The league table as a scorecard on the demo (issue 10): rank changes, points lost, the average and
maximum rows, 未评, and the .xlsx / CSV exports that show each user exactly what the page shows them."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from openpyxl import load_workbook

from branches.models import User
from kpi import selectors
from kpi.league.selectors import league_rows
from kpi.models import BranchScore, MonthlyFigure
from kpi.publishing import selectors as league
from kpi.publishing.services import window_publish
from tests.kpi.demo_clients import api, browser

PAGE = "/league/jiangsu-2023/2023-08/r1/"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo once for the module, in a transaction rolled back after the last test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_demo", password="pw-12345678")
            yield selectors.scheme_get(code="jiangsu-2023")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)






def ranks(scheme, month):
    run = selectors.current_run(scheme=scheme, month=month)
    return dict(BranchScore.objects.filter(run=run).values_list("branch__code", "rank"))


def test_the_1_8_table_shows_rank_changes_against_1_7_for_the_office(db, demo):
    before, now = ranks(demo, 7), ranks(demo, 8)
    body = api("province").get("/api/v1/league/?scheme=jiangsu-2023&month=8").json()
    assert body["compared_with"].startswith("2023年1–7月")
    for row in body["rows"]:
        assert row["previous_rank"] == before[row["branch"]]
        assert row["rank_change"] == before[row["branch"]] - now[row["branch"]]
    changes = {r["branch"]: r["rank_change"] for r in body["rows"]}
    assert any(c > 0 for c in changes.values()) and any(c < 0 for c in changes.values())
    page = browser("province").get(PAGE).content.decode()
    changzhou = changes["changzhou"]
    assert f"▲{changzhou}" in page if changzhou > 0 else f"▼{-changzhou}" in page
    assert "名次规则" in page and "总分相同者名次并列" in page and 'id="league-legend"' in page


def test_branch_staff_compare_published_with_published_only(db, demo):
    officer = User.objects.get(username="province")
    body = api("nanjing").get("/api/v1/league/?scheme=jiangsu-2023&month=8").json()
    assert body["compared_with"] is None  # 1–7月 was never published: no provisional ranks for branches
    assert {r["rank_change"] for r in body["rows"]} == {None}
    with transaction.atomic():
        window_publish(scheme=demo, month=7, user=officer, note="1–7月排名")
        before, now = ranks(demo, 7), ranks(demo, 8)
        body = api("nanjing").get("/api/v1/league/?scheme=jiangsu-2023&month=8").json()
        assert body["compared_with"] == "2023年1–7月（第1版）"
        assert {r["branch"]: r["rank_change"] for r in body["rows"]} == {b: before[b] - now[b] for b in now}
        transaction.set_rollback(True)


def test_points_lost_are_against_the_indicators_base_and_shown_without_colour_too(db, demo):
    table = league_rows(window=league.window_get(user=User.objects.get(username="province"), scheme=demo, month=8),
                        user=User.objects.get(username="province"))
    for row in table.rows:
        for cell, column in zip(row.cells, table.columns, strict=True):
            assert cell.lost == max(column.base - cell.points, Decimal(0))
            assert cell.level == ("full" if cell.points >= column.base else "nothing" if cell.points <= 0 else "some")
    xuzhou = next(r for r in table.rows if r.code == "xuzhou")
    worst = xuzhou.most_lost(3)
    assert worst[0][1].code == "reg_complaints_per_100m" and worst[0][0].lost == Decimal("10.00")
    page = browser("province").get(PAGE).content.decode()
    assert "lvl-nothing" in page and "✗ −10.00" in page and "lvl-some" in page and "lvl-full" in page
    assert "10+2" in page  # the regulator indicator's header: base 10, bonus 2


def test_the_average_row_is_the_provinces_own_pooled_value(db, demo):
    sums = {}
    for code in ("sl_nonbank_passed", "sl_nonbank_checked"):
        sums[code] = sum(MonthlyFigure.objects.filter(component__code=code, month__year=2023, month__month__lte=8)
                         .values_list("value", flat=True), Decimal(0))
    expected = sums["sl_nonbank_passed"] / sums["sl_nonbank_checked"] * 100
    officer = User.objects.get(username="province")
    table = league_rows(window=league.window_get(user=officer, scheme=demo, month=8), user=officer)
    column = [c.code for c in table.columns].index("sl_nonbank")
    assert abs(table.average.values[column] - expected) < Decimal("1e-20")
    totals = [r.total for r in table.rows]
    assert table.average.total == sum(totals) / len(totals)
    assert table.maximum.points[column] == Decimal("5.00") and table.maximum.total == Decimal("103.50")
    page = browser("nanjing").get(PAGE).content.decode()
    assert 'id="average-row"' in page and 'id="maximum-row"' in page


def test_qualitative_items_not_yet_scored_read_未评_not_zero(db, demo):
    live = api("province").get("/api/v1/league/?scheme=jiangsu-2023&month=7&live=true").json()
    assert {r["qualitative_pending"] for r in live["rows"]} == {True}  # the demo scores them in August
    published = api("province").get("/api/v1/league/?scheme=jiangsu-2023&month=8").json()
    assert {r["qualitative_pending"] for r in published["rows"]} == {False}
    page = browser("province").get("/league/jiangsu-2023/2023-07/live/").content.decode()
    assert page.count("未评</span>") == 13


def _sheet(content: bytes):
    ws = load_workbook(io.BytesIO(content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    body = [r for r in rows[4:] if r and r[0] not in (None, "") and (str(r[0]).isdigit() or r[0] == "一票否决")]
    return ws, header, body


def test_the_1_8_xlsx_has_13_branch_rows_in_rank_order_with_the_pages_totals(db, demo):
    response = browser("province").get(PAGE + "?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws, header, body = _sheet(response.content)
    assert len(body) == 13
    assert [int(r[0]) for r in body] == sorted(int(r[0]) for r in body)
    page = browser("province").get(PAGE).content.decode()
    on_page = re.findall(r'data-field="total" data-value="([0-9.]+)"', page)
    assert [Decimal(str(r[2])).quantize(Decimal("0.01")) for r in body] == [Decimal(t) for t in on_page]
    assert ws.freeze_panes == "C5" and ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert "双录首次质检合格率(非银邮代理)" in header
    assert all(r[7] is not None for r in body)  # the office sees every branch's first value column


def test_as_nanjing_the_xlsx_holds_no_other_branchs_indicator_cells(db, demo):
    _ws, _header, body = _sheet(browser("nanjing").get(PAGE + "?format=xlsx").content)
    assert len(body) == 13  # every published rank and total
    for row in body:
        cells = row[6:-1]
        if row[1] == "南京中支":
            assert all(v is not None for v in cells[1::2])  # its scores
        else:
            assert all(v is None for v in cells), row[1]
    api_body = api("nanjing").get("/api/v1/league/?scheme=jiangsu-2023&month=8&format=xlsx")
    assert api_body.status_code == 200
    _ws, _header, from_api = _sheet(api_body.content)
    assert from_api == body  # one read path: the API's workbook is the page's


def test_the_api_answers_csv_scoped_like_the_page(db, demo):
    response = api("nanjing").get("/api/v1/league/?scheme=jiangsu-2023&month=8&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 13 and {"previous_rank", "rank_change", "sl_nonbank_points"} <= set(rows[0])
    assert [r["branch"] for r in rows if r["sl_nonbank_points"]] == ["nanjing"]
    bad = api("nanjing").get("/api/v1/league/?scheme=jiangsu-2023&month=13&format=csv")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"  # errors keep the one JSON body


def test_a_branch_page_starts_with_where_it_loses_points_and_the_next_step(db, demo):
    page = browser("nanjing").get(PAGE + "nanjing/").content.decode()
    officer = User.objects.get(username="province")
    table = league_rows(window=league.window_get(user=officer, scheme=demo, month=8), user=officer)
    nanjing = next(r for r in table.rows if r.code == "nanjing")
    worst = [c.code for c, _ in nanjing.most_lost(2)]
    order = re.findall(r'<tr class="lvl-row-[a-z]+" data-indicator="([a-z0-9_]+)"', page)
    assert order[:2] == worst and len(order) == len(table.columns)
    assert page.index('id="losses"') < page.index("定性指标")
    assert "再降低 0.32 天可得 9.80 分" in page  # the monthly form's next-step search, in its words
    assert "47.32 天" in page  # the value at display precision with its unit


def test_the_office_dashboard_counts_what_waits_and_every_link_answers(db, demo):
    import datetime

    from complaints.models import Complaint
    from complaints.selectors import overdue_q
    from kpi.models import MonthlySubmission, SubmissionStatus

    september = MonthlySubmission.objects.create(branch=User.objects.get(username="wuxi").branch,
                                                 month=datetime.date(2023, 9, 1), status=SubmissionStatus.SUBMITTED, revision=1)
    client = browser("province")
    response = client.get("/dashboard/")
    assert response.status_code == 200
    board = response.context["board"]
    assert [(i.label, i.count) for i in board.awaiting_review] == [("2023年9月", 1)]
    assert board.open_month == datetime.date(2023, 9, 1)
    assert len(board.not_submitted) == 12 and "无锡中支" not in {i.label for i in board.not_submitted}
    expected = {}
    for case in Complaint.objects.filter(overdue_q(datetime.date.today())).select_related("branch__parent"):
        owner = case.branch if case.branch.level == "prefecture" else case.branch.parent
        expected[owner.name] = expected.get(owner.name, 0) + 1
    assert {i.label: i.count for i in board.overdue} == expected and expected
    assert [i.label for i in board.publication] == ["1月", "1–2月", "1–3月", "1–4月", "1–5月", "1–6月", "1–7月"]
    assert board.movers and all(abs(i.count) >= abs(board.movers[-1].count) for i in board.movers)
    page = response.content.decode()
    links = re.findall(r'<section[^>]*>.*?</section>', page, re.S)
    hrefs = {h.replace("&amp;", "&") for section in links for h in re.findall(r'href="([^"]+)"', section)}
    assert len(hrefs) >= 20
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    overdue = next(i for i in board.overdue if i.label == "徐州中支")
    assert client.get(overdue.url).context["page"].paginator.count == overdue.count  # the list opens filtered
    september.delete()


def test_branch_staff_have_no_dashboard(db, demo):
    assert browser("nanjing").get("/dashboard/").status_code == 403
    assert "工作台" not in browser("nanjing").get(PAGE).content.decode()


def test_the_charts_show_values_only_within_scope_and_public_totals_for_all(db, demo):
    import json

    def charts(name):
        page = browser(name).get(PAGE).content.decode()
        return json.loads(re.search(r'<script id="league-charts-data" type="application/json">(.*?)</script>', page, re.S)[1])

    office, clerk = charts("province"), charts("nanjing")
    assert len(office["branches"]) == 13 and clerk["branches"] == ["南京中支"]
    assert {y for _x, y, _lost in clerk["heat"]} == {0} and len(clerk["indicators"][0]["values"]) == 1
    sl = office["indicators"][0]
    assert sl["code"] == "sl_nonbank" and sl["target"] == 95.0 and len(sl["values"]) == 13
    assert len(clerk["history"]) == 13 and clerk["windows"] == ["1–8月"]  # published totals are public
    xuzhou = next(r for r in office["history"] if r["name"] == "徐州中支")
    assert xuzhou["totals"] == [70.9]
