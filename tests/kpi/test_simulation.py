"""The what-if simulator on the demo (issue 11's "done when"): changed targets and a draft version against
scores worked out by hand from the rules in kpi/data/schemes/jiangsu-2023.json and the stored 1–8月 cells;
the command, the API and the page agree; nothing is written."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from branches.models import User
from kpi import selectors, services
from kpi.choices import SchemeStatus
from kpi.models import BranchScore, MonthlyFigure, Publication, SchemeVersion, ScoreRun
from kpi.simulation.changes import SimulationError, parse_changes
from kpi.simulation.selectors import simulate, simulation_backtest, simulation_base, simulation_sensitivity
from kpi.simulation.services import simulation_save_draft

D = Decimal
BRANCHES = ["nanjing", "wuxi", "xuzhou", "changzhou", "suzhou", "nantong", "lianyungang", "huaian", "yancheng",
            "yangzhou", "zhenjiang", "taizhou", "suqian"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module (20 s); each test runs in a transaction rolled back after it."""
    with django_db_blocker.unblock():
        call_command("load_demo", password="pw-12345678")
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def scheme(demo, db):
    return selectors.scheme_get(code="jiangsu-2023")


def stored(scheme):
    """The published 1–8月 run: total and rank per branch, and each branch's cell points."""
    run = ScoreRun.objects.get(scheme=scheme, month=8, is_current=True)
    rows = {b.branch.code: b for b in BranchScore.objects.filter(run=run).select_related("branch")}
    cells = {(code, c.indicator_code): c for code, score in rows.items() for c in score.cell_list()}
    return rows, cells


def command(*args) -> list[dict]:
    out = io.StringIO()
    call_command("simulate", "--scheme", "jiangsu-2023", "--month", "8", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def counts():
    return [m.objects.count() for m in (ScoreRun, BranchScore, MonthlyFigure, Publication, SchemeVersion)]


# 双录首次质检合格率(非银邮代理) sl_nonbank: base 4, cap 1; steps of 1 point (started), +0.2 above the target,
# −0.1 below. Target 95 → 96, value v (stored cell, exact):
#   nanjing     94.48     below 1.52 → 2 steps → 4 − 0.2 = 3.80  (was 0.52 below → 1 step → 3.90)
#   wuxi        93.06     below 2.94 → 3 → 3.70                  (was 1.94 → 2 → 3.80)
#   xuzhou      95.066185 below 0.93 → 1 → 3.90                  (was 0.07 above → 1 → 4.20)
#   changzhou   93.805310 below 2.19 → 3 → 3.70                  (was 1.19 → 2 → 3.80)
#   suzhou      94.833653 below 1.17 → 2 → 3.80                  (was 0.17 → 1 → 3.90)
#   nantong     94.736842 below 1.26 → 2 → 3.80                  (was 3.90)
#   lianyungang 94.966216 below 1.03 → 2 → 3.80                  (was 0.03 → 1 → 3.90)
#   huaian      95.70     below 0.30 → 1 → 3.90                  (was 0.70 above → 1 → 4.20)
#   yancheng    95.405405 below 0.59 → 1 → 3.90                  (was 4.20)
#   yangzhou    95.70     below 0.30 → 1 → 3.90                  (was 4.20)
#   zhenjiang   92.56     below 3.44 → 4 → 3.60                  (was 2.44 → 3 → 3.70)
#   taizhou     95.266781 below 0.73 → 1 → 3.90                  (was 4.20)
#   suqian      93.686287 below 2.31 → 3 → 3.70                  (was 1.31 → 2 → 3.80)
SL_NONBANK_96 = {"nanjing": "3.80", "wuxi": "3.70", "xuzhou": "3.90", "changzhou": "3.70", "suzhou": "3.80",
                 "nantong": "3.80", "lianyungang": "3.80", "huaian": "3.90", "yancheng": "3.90", "yangzhou": "3.90",
                 "zhenjiang": "3.60", "taizhou": "3.90", "suqian": "3.70"}

# 案均出险支付周期 claim_cycle_event: lower is better, base 10, cap 3; +0.2 per started day under the target;
# over it −0.1 per started day for the first 5 days, −0.2 per started day beyond. Target 45 → 40:
#   nanjing     47.32 over 7.32 → 5 × 0.1 + ⌈2.32⌉ = 3 × 0.2 → 10 − 1.1 = 8.90
#   wuxi        45.46 over 5.46 → 0.5 + 1 × 0.2 → 9.30
#   xuzhou      47.15 over 7.15 → 0.5 + 3 × 0.2 → 8.90
#   changzhou   42.34 over 2.34 → 3 × 0.1 → 9.70
#   suzhou      50.22 over 10.22 → 0.5 + 6 × 0.2 → 8.30
#   nantong     40.25 over 0.25 → 1 × 0.1 → 9.90
#   lianyungang 45.90 over 5.90 → 0.5 + 1 × 0.2 → 9.30
#   huaian      37.56 under 2.44 → 3 × 0.2 → 10.60
#   yancheng    56.99 over 16.99 → 0.5 + 12 × 0.2 → 7.10
#   yangzhou    43.79 over 3.79 → 4 × 0.1 → 9.60
#   zhenjiang   50.20 over 10.20 → 0.5 + 6 × 0.2 → 8.30
#   taizhou     43.49 over 3.49 → 4 × 0.1 → 9.60
#   suqian      50.00 over 10.00 → 0.5 + 5 × 0.2 → 8.50
CLAIM_CYCLE_40 = {"nanjing": "8.90", "wuxi": "9.30", "xuzhou": "8.90", "changzhou": "9.70", "suzhou": "8.30",
                  "nantong": "9.90", "lianyungang": "9.30", "huaian": "10.60", "yancheng": "7.10", "yangzhou": "9.60",
                  "zhenjiang": "8.30", "taizhou": "9.60", "suqian": "8.50"}

# Target 55 (the stored values all but yancheng's are under it): +0.2 per started day under, limited to
# 10 + cap. With cap 2 (max 12):
#   nanjing 7.68 → 8 × 0.2 = 1.6 → 11.60; wuxi 9.54 → 10 → 12.00; xuzhou 7.85 → 8 → 11.60;
#   changzhou 12.66 → 13 → 12.60 → limited 12.00; suzhou 4.78 → 5 → 11.00; nantong 14.75 → 15 → 13.00 → 12.00;
#   lianyungang 9.10 → 10 → 12.00; huaian 17.44 → 18 → 13.60 → 12.00; yancheng over 1.99 → 2 × 0.1 → 9.80;
#   yangzhou 11.21 → 12 → 12.40 → 12.00; zhenjiang 4.80 → 5 → 11.00; taizhou 11.51 → 12 → 12.00; suqian 5 → 11.00
CLAIM_CYCLE_55_CAP_2 = {"nanjing": "11.60", "wuxi": "12.00", "xuzhou": "11.60", "changzhou": "12.00", "suzhou": "11.00",
                        "nantong": "12.00", "lianyungang": "12.00", "huaian": "12.00", "yancheng": "9.80",
                        "yangzhou": "12.00", "zhenjiang": "11.00", "taizhou": "12.00", "suqian": "11.00"}


def expected_totals(scheme, code, points):
    """Stored total − stored points of the indicator + the hand-worked points."""
    rows, cells = stored(scheme)
    return {b: rows[b].total - cells[(b, code)].points + D(points[b]) for b in BRANCHES}


def check_rows(rows, totals):
    """Rows in the after ranking: totals as expected, ordered by total then (for ties) as kpi.scoring.engine.rank."""
    assert {r["branch"]: D(r["total_after"]) for r in rows} == totals
    after = [D(r["total_after"]) for r in rows]
    assert after == sorted(after, reverse=True)
    ranks = [int(r["rank_after"]) for r in rows]
    assert ranks == [1 + sum(t > total for t in after) for total in after]  # competition ranks 1, 2, 2, 4


def test_target_sl_nonbank_96_by_hand(scheme):
    simulation = simulate(scheme=scheme, month=8, changes=parse_changes({"indicators": {"sl_nonbank": {"target": "96"}}}))
    for b in BRANCHES:
        assert simulation.comparison.after.cell(b, "sl_nonbank").points == D(SL_NONBANK_96[b])
    rows = command("--target", "sl_nonbank=96")
    check_rows(rows, expected_totals(scheme, "sl_nonbank", SL_NONBANK_96))
    # each branch loses 0.10 or 0.30: the gaps are large enough that nobody moves; τ = 1
    stored_rows, _ = stored(scheme)
    assert all(int(r["rank_before"]) == stored_rows[r["branch"]].rank == int(r["rank_after"]) for r in rows)
    assert simulation.comparison.tau == 1
    assert simulation.comparison.cell_changes["sl_nonbank"] == 13
    assert simulation.notes == ["sl_nonbank：考核值 95 → 96"]
    # the changed cell explains itself under the new rule
    steps = simulation.comparison.after.cell("nanjing", "sl_nonbank").explanation["steps"]
    assert steps[0] == "未达标：差 1.52（94.48 − 96 = -1.52）"


def test_target_claim_cycle_event_40_by_hand(scheme):
    rows = command("--target", "claim_cycle_event=40")
    check_rows(rows, expected_totals(scheme, "claim_cycle_event", CLAIM_CYCLE_40))
    by_branch = {r["branch"]: r for r in rows}
    # huaian 96.80 − 11.60 + 10.60 = 95.80 and yangzhou 96.60 − 10.40 + 9.60 = 95.80 tie for 2nd; huaian first
    # on its higher quantitative score (82.30 − 1.00 = 81.30 against 81.10 − 0.80 = 80.30)
    assert (by_branch["huaian"]["total_after"], by_branch["yangzhou"]["total_after"]) == ("95.80", "95.80")
    assert [r["branch"] for r in rows[1:3]] == ["huaian", "yangzhou"]
    assert (by_branch["huaian"]["rank_after"], by_branch["yangzhou"]["rank_after"], by_branch["nantong"]["rank_after"]) == ("2", "2", "4")
    assert by_branch["yangzhou"]["rank_before"] == "3"


def make_draft_with_cap(scheme, cap):
    """A draft version as the office makes it in the admin: a copy of v1 with one field edited and cleaned."""
    draft = services.scheme_version_create_draft(scheme=scheme)
    indicator = draft.indicators.get(code="claim_cycle_event")
    indicator.bonus_cap = D(cap)
    indicator.full_clean()
    indicator.save()
    return draft


def test_a_draft_with_bonus_cap_2_changes_nothing_at_the_stored_target(scheme):
    # At target 45 the best bonus is huaian's 7.44 days under → 8 × 0.2 = 1.6 (11.60), under the new cap of 2:
    # no cell is limited, so every total and rank stays.
    draft = make_draft_with_cap(scheme, "2")
    rows = command("--version", str(draft.number))
    stored_rows, _ = stored(scheme)
    assert {r["branch"]: (D(r["total_after"]), int(r["rank_after"])) for r in rows} == {
        b: (stored_rows[b].total, stored_rows[b].rank) for b in BRANCHES}
    simulation = simulate(scheme=scheme, month=8, changes=parse_changes({"version": draft.number}))
    assert simulation.notes == ["claim_cycle_event：加分上限 3 → 2"]
    assert simulation.comparison.changed_cells == []


def test_a_draft_with_bonus_cap_2_limits_the_bonus_at_target_55(scheme):
    draft = make_draft_with_cap(scheme, "2")
    rows = command("--version", str(draft.number), "--target", "claim_cycle_event=55")
    check_rows(rows, expected_totals(scheme, "claim_cycle_event", CLAIM_CYCLE_55_CAP_2))
    # under the published cap of 3 the same target gives huaian 13.00 (13.60 limited to 13), not 12.00
    published = simulate(scheme=scheme, month=8, changes=parse_changes({"indicators": {"claim_cycle_event": {"target": "55"}}}))
    assert published.comparison.after.cell("huaian", "claim_cycle_event").points == D("13.00")
    drafted = simulate(scheme=scheme, month=8, changes=parse_changes({"version": draft.number, "indicators": {"claim_cycle_event": {"target": "55"}}}))
    assert drafted.comparison.after.cell("huaian", "claim_cycle_event").explanation["steps"][-2] == "限定在 0 至 12 分之间：12"


def test_the_simulator_writes_nothing(scheme):
    before = counts()
    published = list(BranchScore.objects.order_by("pk").values_list("pk", "total", "rank"))
    command("--target", "sl_nonbank=96", "--target", "claim_cycle_event=40")
    changes = parse_changes({"indicators": {"sl_nonbank": {"target": "96", "bonus_cap": "2"}},
                             "qualitative": [{"branch": "nanjing", "item": first_item(scheme), "score": "0"}],
                             "deductions": [{"branch": "wuxi", "points": "-3"}]})
    base = simulation_base(scheme=scheme, month=8)
    simulation_sensitivity(base=base, changes=changes, code="sl_nonbank", values=[D(94), D(95), D(96)])
    simulation_backtest(scheme=scheme, month=3, changes=changes)
    office_api().post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 8, "indicators": {"sl_nonbank": {"target": "96"}}}, format="json")
    assert counts() == before
    assert list(BranchScore.objects.order_by("pk").values_list("pk", "total", "rank")) == published


def first_item(scheme):
    return scheme.version_in_force().qualitative_items.filter(year_end_only=False).order_by("order").first().code


def test_office_changes_move_totals(scheme):
    item = first_item(scheme)
    stored_rows, _ = stored(scheme)
    nanjing = stored_rows["nanjing"]
    detail = {q["item"]: D(q["score"]) for q in nanjing.detail["qualitative"]}
    changes = parse_changes({"qualitative": [{"branch": "nanjing", "item": item, "score": "0"}],
                             "deductions": [{"branch": "wuxi", "points": "-3", "reason": "假设"}]})
    simulation = simulate(scheme=scheme, month=8, changes=changes)
    rows = {r.branch: r for r in simulation.rows}
    assert rows["nanjing"].delta == -detail[item]
    assert rows["wuxi"].delta == D(-3)
    assert [(c.code, c.delta) for c in rows["wuxi"].causes] == [("deductions", D(-3))]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope=1"], "方案中没有指标“nope”"),
        (["--target", "sl_nonbank=abc"], "指标 sl_nonbank，考核值：“abc”不是有效的数字"),
        (["--target", "sl_nonbank"], "--target sl_nonbank：应写成 指标代码=数值"),
        (["--target", "own_complaints_count=1"], "指标 own_complaints_count：同比指标以上年同期值为考核值，不能设定考核值"),
        (["--version", "9"], "方案“jiangsu-2023”没有版本 v9"),
    ],
)
def test_command_errors_name_the_code_and_exit_non_zero(scheme, args, message, capsys):
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("simulate", "--scheme", "jiangsu-2023", "--month", "8", *args, stderr=err)
    assert message in err.getvalue() + str(exc.value)


def test_a_rule_edit_is_validated_as_a_saved_indicator_is(scheme):
    with pytest.raises(SimulationError) as exc:
        simulate(scheme=scheme, month=8, changes=parse_changes({"indicators": {"sl_nonbank": {"rule": {"kind": "steps", "above": "x"}}}}))
    assert exc.value.errors == ["指标 sl_nonbank：达标后加分档(“above”)必须是列表"]


def office_api():
    client = APIClient()
    client.force_authenticate(User.objects.get(username="province"))
    return client


def test_the_api_answers_the_same_rows_as_the_command(scheme):
    response = office_api().post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 8,
                                                          "indicators": {"claim_cycle_event": {"target": "40"}}}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    rows = command("--target", "claim_cycle_event=40")
    assert [(r["branch"], r["total_before"], r["rank_before"], r["total_after"], r["rank_after"]) for r in body["rows"]] == [
        (r["branch"], r["total_before"], int(r["rank_before"]), r["total_after"], int(r["rank_after"])) for r in rows]
    yangzhou = next(r for r in body["rows"] if r["branch"] == "yangzhou")
    assert yangzhou["rank_change"] == 1 and yangzhou["causes"][0]["code"] == "claim_cycle_event"
    assert "yangzhou" in body["winners"] and body["cell_changes"] == {"claim_cycle_event": 13}


def test_the_api_refuses_bad_changes_and_other_roles(scheme):
    bad = office_api().post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 8,
                                                     "indicators": {"nope": {"target": "1"}}}, format="json")
    assert bad.status_code == 400 and "方案中没有指标“nope”" in bad.json()["message"]
    too_long = office_api().post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 13}, format="json")
    assert too_long.status_code == 400 and "month" in too_long.json()["fields"]
    staff = APIClient()
    staff.force_authenticate(User.objects.get(username="nanjing"))
    assert staff.post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 8}, format="json").status_code == 403
    assert APIClient().post("/api/v1/simulations/", {"scheme": "jiangsu-2023", "month": 8}, format="json").status_code in (401, 403)


def test_saving_a_simulation_makes_a_draft_version_with_the_diff_as_notes(scheme):
    draft = simulation_save_draft(scheme=scheme, month=8, changes=parse_changes({"indicators": {"sl_nonbank": {"target": "96"}}}))
    assert draft.status == SchemeStatus.DRAFT and draft.number == 2
    assert draft.indicators.get(code="sl_nonbank").target_value == D(96)
    assert "sl_nonbank：考核值 95 → 96" in draft.notes
    assert scheme.version_in_force().indicators.get(code="sl_nonbank").target_value == D(95)
    # the draft simulates like the change it was saved from
    rows = command("--version", "2")
    check_rows(rows, expected_totals(scheme, "sl_nonbank", SL_NONBANK_96))
    assert SchemeVersion.objects.filter(scheme=scheme, status=SchemeStatus.PUBLISHED).count() == 1


def test_sensitivity_gives_each_branch_a_rank_per_value(scheme):
    base = simulation_base(scheme=scheme, month=8)
    result = simulation_sensitivity(base=base, changes=parse_changes({}), code="claim_cycle_event", values=[D(40), D(45)])
    # 40: yangzhou ties huaian for 2nd (above); 45 is the published target: yangzhou 3rd
    assert result.ranks["yangzhou"] == [2, 3]
    assert result.ranks["huaian"] == [2, 2]


def office_browser():
    client = Client()
    client.force_login(User.objects.get(username="province"))
    return client


def page_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(rank before, rank after, total before, total after) of each row of the results table, in its order."""
    body = html[html.index('id="sim-rows"'):]
    pattern = r"<td class=\"text-nowrap\">(\d+) → <strong>(\d+)</strong>.*?<td class=\"num text-nowrap\">([\d.,-]+) → <strong>([\d.,-]+)</strong>"
    return re.findall(pattern, body, flags=re.S)


@pytest.mark.parametrize(
    ("form", "args"),
    [
        ({"t__sl_nonbank": "96"}, ["--target", "sl_nonbank=96"]),
        ({"t__claim_cycle_event": "40"}, ["--target", "claim_cycle_event=40"]),
        ({"version": "{draft}", "t__claim_cycle_event": "55"}, ["--version", "{draft}", "--target", "claim_cycle_event=55"]),
    ],
)
def test_the_page_and_the_command_agree(scheme, form, args):
    draft = make_draft_with_cap(scheme, "2")
    form = {k: v.format(draft=draft.number) for k, v in form.items()}
    args = [a.format(draft=draft.number) for a in args]
    response = office_browser().post("/simulate/results/", {"scheme": "jiangsu-2023", "month": "8", **form}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    expected = [(r["rank_before"], r["rank_after"], r["total_before"], r["total_after"]) for r in command(*args)]
    assert page_rows(response.content.decode()) == expected


def test_the_page_lists_changes_errors_and_explains_changed_cells(scheme):
    client = office_browser()
    page = client.get("/simulate/").content.decode()
    assert 'name="t__sl_nonbank"' in page and "js/simulate.js" in page and "<script>" not in page
    results = client.post("/simulate/results/", {"scheme": "jiangsu-2023", "month": "8", "t__sl_nonbank": "96"}).content.decode()
    assert "sl_nonbank：考核值 95 → 96" in results
    assert "未达标：差 1.52（94.48 − 96 = -1.52）" in results  # nanjing's cell under the new target
    bad = client.post("/simulate/results/", {"scheme": "jiangsu-2023", "month": "8", "t__sl_nonbank": "9x"}).content.decode()
    assert "指标 sl_nonbank，考核值：“9x”不是有效的数字" in bad


def test_sensitivity_and_backtest_panels(scheme):
    client = office_browser()
    sens = client.post("/simulate/sensitivity/", {"scheme": "jiangsu-2023", "month": "8", "sens-code": "claim_cycle_event",
                                                   "sens-start": "40", "sens-stop": "45", "sens-step": "5"}).content.decode()
    assert 'id="sens-chart"' in sens and "&quot;values&quot;: [&quot;40&quot;, &quot;45&quot;]" in sens
    back = client.post("/simulate/backtest/", {"scheme": "jiangsu-2023", "month": "2", "t__claim_cycle_event": "40"}).content.decode()
    assert back.count("<tr><td>") == 2  # windows 1月 and 1–2月


def test_saving_from_the_page_makes_a_draft(scheme):
    response = office_browser().post("/simulate/save/", {"scheme": "jiangsu-2023", "month": "8", "t__sl_nonbank": "96"})
    assert response.status_code == 302
    draft = SchemeVersion.objects.get(scheme=scheme, status=SchemeStatus.DRAFT)
    assert draft.indicators.get(code="sl_nonbank").target_value == D(96)
    assert f"version={draft.number}" in response["Location"]


def test_the_page_is_the_offices(scheme):
    staff = Client()
    staff.force_login(User.objects.get(username="nanjing"))
    assert staff.get("/simulate/").status_code == 403
    assert staff.post("/simulate/results/", {"month": "8"}).status_code == 403
