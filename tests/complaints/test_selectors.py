"""Derived figures against a hand-computed fixture, and the monthly publication."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F, Q

from complaints import selectors, services
from complaints.choices import Status

from .conftest import D, at


@pytest.fixture
def world(intake, take, officer):
    """Hand-made cases; the comments give what each one contributes."""
    o = officer
    cases = {}
    # A: nanjing regulator, Jan, told on day 13 → reg 1, closed in 15 days.
    cases["A"] = take(intake(received="2023-01-05", source="regulator"), Status.NOTIFIED, notified="2023-01-18")
    # B: nanjing regulator, Jan, extended to 30 days and told on day 26 → reg 1, NOT a 15-day closure (extensions don't count).
    b = take(intake(received="2023-01-10", source="regulator"), Status.ACCEPTED, accepted="2023-01-11")
    b = services.complaint_joint_sheet_send(actor=o, case=b, sent_on=D("2023-01-11"))
    b = services.complaint_extend(actor=o, case=b, granted_on=D("2023-01-20"), approver="王经理", reason="需调取双录")
    services.complaint_repeat_call_log(actor=o, case=b, called_at=at("2023-02-02", 9), note="催办")
    b = services.complaint_joint_sheet_answer(actor=o, case=b, answered_on=D("2023-02-01"))
    b = services.complaint_decide(actor=o, case=b, decided_on=D("2023-02-04"), decision="维持", reasons="符合条款")
    cases["B"] = services.complaint_notify(actor=o, case=b, notice_on=D("2023-02-05"), method="letter")
    # C: nanjing self, Jan 20, 5 days paused, told on day 19 → own 1, a 15-day closure (paused days not counted).
    c = take(intake(received="2023-01-20"), Status.ACCEPTED)
    c = services.complaint_pause(actor=o, case=c, kind="appraisal", started_on=D("2023-01-22"))
    c = services.complaint_resume(actor=o, case=c, ended_on=D("2023-01-27"))
    # E: nanjing self, Jan 28, a repeat of C merged into it → not counted.
    cases["E"] = services.complaint_merge(
        actor=o, case=intake(received="2023-01-28"), into=c, merged_on=D("2023-01-28"), new_facts=False
    )
    c = services.complaint_decide(actor=o, case=c, decided_on=D("2023-02-07"), decision="补充赔付", reasons="属实")
    cases["C"] = services.complaint_notify(actor=o, case=c, notice_on=D("2023-02-08"), method="phone")
    # D: nanjing self, Jan 25, withdrawn before acceptance → not counted.
    cases["D"] = services.complaint_withdraw(actor=o, case=intake(received="2023-01-25"), withdrawn_on=D("2023-01-26"))
    # F: nanjing self, Jan 31, withdrawn after acceptance on day 3 → own 1, a 15-day closure.
    f = take(intake(received="2023-01-31"), Status.ACCEPTED)
    cases["F"] = services.complaint_withdraw(actor=o, case=f, withdrawn_on=D("2023-02-03"))
    # G: jiangning (county under nanjing) self, Feb 1, still open → own 1 for nanjing in Feb; a dispute mediated, agreement in March.
    g = take(intake(branch="jiangning", received="2023-02-01"), Status.ACCEPTED)
    cases["G"] = services.complaint_mediation_update(
        actor=o,
        case=g,
        mediation_required_on=D("2023-02-10"),
        mediated_on=D("2023-02-12"),
        agreement_on=D("2023-03-01"),
        agreement_executed_on=D("2023-03-10"),
    )
    # H: wuxi regulator, Feb 14, told on day 15 exactly → a 15-day closure; a dispute that should be mediated but was not.
    h = take(intake(branch="wuxi", received="2023-02-14", source="regulator"), Status.NOTIFIED, notified="2023-03-01")
    cases["H"] = services.complaint_mediation_update(actor=o, case=h, mediation_required_on=D("2023-02-20"))
    return cases


EXPECTED = {
    ("nanjing", "reg_complaints", "2023-01"): 2,
    ("nanjing", "reg_closed_15d", "2023-01"): 1,
    ("nanjing", "own_complaints", "2023-01"): 2,
    ("nanjing", "own_closed_15d", "2023-01"): 2,
    ("nanjing", "own_complaints", "2023-02"): 1,
    ("nanjing", "disputes_to_mediate", "2023-02"): 1,
    ("nanjing", "disputes_mediated", "2023-02"): 1,
    ("nanjing", "mediation_agreements", "2023-03"): 1,
    ("nanjing", "agreements_executed", "2023-03"): 1,
    ("wuxi", "reg_complaints", "2023-02"): 1,
    ("wuxi", "reg_closed_15d", "2023-02"): 1,
    ("wuxi", "disputes_to_mediate", "2023-02"): 1,
}


def _as_dict(frame):
    return {(r.branch, r.component, f"{r.month:%Y-%m}"): r.value for r in frame.itertuples()}


def test_derived_figures_equal_the_hand_computed_counts(world, tree):
    frame = selectors.derived_component_figures(
        branch_ids=[tree["nanjing"].pk, tree["wuxi"].pk],
        start=D("2023-01-01"),
        end=D("2023-03-01"),
        components=set(selectors.COMPONENT_RULES),
    )
    assert list(frame.columns) == ["branch", "component", "month", "value"]
    assert _as_dict(frame) == {k: Decimal(v) for k, v in EXPECTED.items()}
    assert all(isinstance(v, Decimal) for v in frame["value"]) and all(isinstance(m, datetime.date) for m in frame["month"])


def test_the_window_and_the_components_asked_for_limit_the_rows(world, tree):
    frame = selectors.derived_component_figures(
        branch_ids=[tree["nanjing"].pk],
        start=D("2023-02-01"),
        end=D("2023-02-01"),
        components={"own_complaints", "unknown"},
    )
    assert _as_dict(frame) == {("nanjing", "own_complaints", "2023-02"): Decimal(1)}


def test_a_county_asked_for_itself_keeps_its_own_cases(world, tree):
    frame = selectors.derived_component_figures(
        branch_ids=[tree["jiangning"].pk],
        start=D("2023-01-01"),
        end=D("2023-03-01"),
        components={"own_complaints"},
    )
    assert _as_dict(frame) == {("jiangning", "own_complaints", "2023-02"): Decimal(1)}


@pytest.mark.parametrize(
    ("component", "expected"),
    [("reg_complaints", {"A", "B"}), ("reg_closed_15d", {"A"}), ("own_complaints", {"C", "F"}), ("own_closed_15d", {"C", "F"})],
)
def test_the_case_list_link_lists_exactly_the_cases_behind_a_figure(world, users, client_for, component, expected):
    url = "/complaints/?" + selectors.derived_case_query(
        component=component, branch_code="nanjing", start=D("2023-01-01"), end=D("2023-01-01")
    )
    page = client_for(users["officer"]).get(url).content.decode()
    shown = {name for name, case in world.items() if f'data-number="{case.number}"' in page}
    assert shown == expected


def test_the_summary_gives_rates_overdue_and_last_year(world, tree, intake, take):
    take(intake(received="2022-01-10"), Status.NOTIFIED)
    services.complaints_mark_overdue(today=D("2023-02-20"))
    summary = selectors.derived_summaries(branches=[tree["nanjing"]], start=D("2023-01-01"), end=D("2023-02-01"))[
        tree["nanjing"].pk
    ]
    assert summary["totals"]["own_complaints"] == 3 and summary["previous_own"] == 1
    assert summary["overdue"] == 1  # G, open past its limit


def test_the_monthly_publication_lists_overdue_repeat_and_late_joint_sheets(world, users):
    services.complaints_mark_overdue(today=D("2023-02-20"))
    data = selectors.publication_rows(user=users["officer"], month=D("2023-02-01"))
    assert [c.number for c in data["overdue"]] == [world["G"].number]
    assert [(c.number, c.month_calls, c.total_calls) for c in data["repeat"]] == [(world["B"].number, 1, 1)]
    assert [c.number for c in data["joint"]] == [world["B"].number]
    rows = {s["branch"].code: s for s in data["summary"]}
    assert (rows["nanjing"]["received"], rows["nanjing"]["repeat_calls"], rows["jiangning"]["overdue"]) == (0, 1, 1)
    assert rows["wuxi"]["received"] == 1
    # Branch staff see their own branch only.
    staff = selectors.publication_rows(user=users["wuxi_staff"], month=D("2023-02-01"))
    assert staff["overdue"] == [] and [s["branch"].code for s in staff["summary"]] == ["wuxi"]


def _q_fields(node) -> set[str]:
    if isinstance(node, Q):
        return set().union(*(_q_fields(child) for child in node.children))
    name, value = node
    fields = {name.split("__")[0]}
    if isinstance(value, F):
        fields.add(value.name)
    return fields


def test_the_fields_that_tell_the_league_of_a_change_cover_every_rule():
    read = {field for rule in selectors.COMPONENT_RULES.values() for field in _q_fields(rule.q) | {rule.date_field}}
    assert read | {"branch_id"} == set(selectors.FIGURE_FIELDS)


def test_an_unanswered_joint_sheet_is_late_in_the_publication_only_after_its_due_date(intake, officer, users):
    case = services.complaint_joint_sheet_send(actor=officer, case=intake(received="2023-10-08"), sent_on=D("2023-10-09"))
    assert case.joint_sheet_due_on == D("2023-10-16")

    def late(today):
        return [
            c.number for c in selectors.publication_rows(user=users["officer"], month=D("2023-10-01"), today=D(today))["joint"]
        ]

    assert late("2023-10-12") == [] and late("2023-10-16") == []
    assert late("2023-10-17") == [case.number] and late("2024-01-01") == [case.number]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 32, "3.13"), (-1, 32, "-3.13"), (2, 3, "66.67"), (1, 1, "100.00"), (0, 5, "0.00"), (1, 0, None)],
)
def test_rates_are_decimal_percentages_rounded_half_up(numerator, denominator, expected):
    assert selectors.percent(numerator, denominator) == (Decimal(expected) if expected else None)
    if expected:
        assert str(selectors.percent(numerator, denominator)) == expected


def test_repeat_calls_belong_to_the_month_of_their_time_in_shanghai(intake, officer, users):
    case = intake(received="2023-02-01")
    for called_at in (at("2023-02-28", 23), at("2023-03-01", 0), at("2023-03-31", 23), at("2023-04-01", 0)):
        services.complaint_repeat_call_log(actor=officer, case=case, called_at=called_at)
    data = selectors.publication_rows(user=users["officer"], month=D("2023-03-01"))
    assert [(c.number, c.month_calls, c.total_calls) for c in data["repeat"]] == [(case.number, 2, 4)]
