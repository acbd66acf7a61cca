"""Handling a case step by step: deadlines as recorded, the timeline, and refusals that change nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from complaints import services
from complaints.choices import EventKind, Status
from complaints.models import CaseEvent, Complaint, Extension
from core.errors import ApplicationError

from .conftest import D, at


def kinds(case):
    return list(case.events.order_by("at", "pk").values_list("kind", flat=True))


def snapshot(case):
    """Everything a refused step must leave as it was."""
    case = Complaint.objects.get(pk=case.pk)
    return (
        case.status,
        case.decision_due_on,
        case.deadlines,
        case.extensions.count(),
        case.pauses.count(),
        case.events.count(),
        case.decided_on,
    )


def test_intake_numbers_the_case_and_computes_its_limits(intake):
    case = intake(received="2023-09-28")
    assert case.number == "TS2023-nanjing-00001"
    assert intake(received="2023-10-02").number == "TS2023-nanjing-00002"
    assert case.status == Status.RECEIVED and case.received_on == D("2023-09-28")
    assert case.decision_due_on == D("2023-10-13") and case.limit15_due_on == D("2023-10-13")
    # 10 working days to accept: the National Day holiday is skipped, the make-up weekend counts.
    assert case.deadlines["acceptance"]["due_on"] == "2023-10-18"
    assert case.deadlines["decision"]["steps"][-1] == "期限届满日：2023年10月13日"
    assert kinds(case) == [EventKind.CREATED]


def test_receipt_late_in_the_evening_utc_is_the_next_day_in_shanghai(tree, users):
    received = datetime.datetime(2023, 9, 27, 17, 30, tzinfo=datetime.UTC)  # 01:30 on the 28th in Shanghai
    case = services.complaint_create(
        actor=users["officer"],
        branch=tree["nanjing"],
        source="self",
        received_at=received,
        category="claims",
        summary="x",
        customer_name="张三",
    )
    assert case.received_on == D("2023-09-28")


def test_a_case_goes_from_intake_to_closing_with_every_step_on_the_timeline(intake, users):
    actor = users["nanjing_staff"]
    case = intake(received="2023-03-01", actor=actor)
    case = services.complaint_accept(actor=actor, case=case, accepted_on=D("2023-03-02"), handler=actor)
    case = services.complaint_joint_sheet_send(actor=actor, case=case, sent_on=D("2023-03-02"))
    assert case.joint_sheet_due_on == D("2023-03-09")
    case = services.complaint_investigate(actor=actor, case=case, note="调取录音")
    case = services.complaint_joint_sheet_answer(actor=actor, case=case, answered_on=D("2023-03-08"))
    services.complaint_repeat_call_log(actor=actor, case=case, called_at=at("2023-03-05", 15), note="催办")
    case = services.complaint_decide(actor=actor, case=case, decided_on=D("2023-03-10"), decision="补充赔付", reasons="属实")
    case = services.complaint_notify(actor=actor, case=case, notice_on=D("2023-03-12"), method="phone")
    case = services.complaint_callback(actor=actor, case=case, callback_on=D("2023-03-14"), satisfaction="satisfied")
    case = services.complaint_close(actor=actor, case=case, closed_on=D("2023-03-15"))
    assert case.status == Status.CLOSED and case.ended_on == D("2023-03-12") and not case.is_overdue
    assert case.deadlines["decision"]["state"] == "ended"
    assert case.deadlines["joint_sheet"]["met"] is True
    assert kinds(case) == [
        EventKind.CREATED,
        EventKind.ACCEPTED,
        EventKind.JOINT_SHEET_SENT,
        EventKind.INVESTIGATING,
        EventKind.JOINT_SHEET_ANSWERED,
        EventKind.REPEAT_CALL,
        EventKind.DECIDED,
        EventKind.NOTIFIED,
        EventKind.CALLBACK,
        EventKind.CLOSED,
    ]
    assert all(e.actor == actor for e in case.events.all())


def test_extensions_go_to_30_then_60_days_and_no_further(officer, intake):
    case = intake(received="2023-09-28")
    case = services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-10"), approver="王经理", reason="需调取双录")
    assert case.decision_due_on == D("2023-10-28") and case.limit15_due_on == D("2023-10-13")
    case = services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-25"), approver="总经理", reason="需外部核实")
    assert case.decision_due_on == D("2023-11-27")
    before = snapshot(case)
    with pytest.raises(ApplicationError, match="已延长至60日"):
        services.complaint_extend(actor=officer, case=case, granted_on=D("2023-11-01"), approver="总经理", reason="再延")
    assert snapshot(case) == before
    assert "2023年10月13日 → 2023年10月28日" in case.events.get(kind=EventKind.EXTENDED, data__limit_days=30).message


@pytest.mark.parametrize(
    ("approver", "reason", "granted", "message"),
    [
        ("王经理", "", "2023-10-10", "延期必须填写原因。"),
        ("王经理", "   ", "2023-10-10", "延期必须填写原因。"),
        ("", "需调取双录", "2023-10-10", "延期必须填写批准人。"),
        ("王经理", "需调取双录", "2023-10-14", "处理期限已于 2023年10月13日 届满，不能再延期。"),
        ("王经理", "需调取双录", "2023-09-27", "不能早于收到投诉日期"),
    ],
)
def test_a_bad_extension_is_refused_in_chinese_and_changes_nothing(officer, intake, approver, reason, granted, message):
    case = intake(received="2023-09-28")
    before = snapshot(case)
    with pytest.raises(ApplicationError, match=message):
        services.complaint_extend(actor=officer, case=case, granted_on=D(granted), approver=approver, reason=reason)
    assert snapshot(case) == before
    assert not Extension.objects.exists()


def test_an_extension_dated_before_the_previous_one_or_the_restart_is_refused(officer, intake):
    case = services.complaint_extend(
        actor=officer, case=intake(received="2023-09-28"), granted_on=D("2023-10-08"), approver="王经理", reason="复杂"
    )
    before = snapshot(case)
    with pytest.raises(ApplicationError, match=r"延期批准日期（2023年10月5日）不能早于上次延期批准日期（2023年10月8日）"):
        services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-05"), approver="总经理", reason="再延")
    assert snapshot(case) == before

    case = services.complaint_restart(actor=officer, case=case, restarted_on=D("2023-10-12"), reason="客户补充了新的事实")
    with pytest.raises(ApplicationError, match=r"不能早于重新计时日期（2023年10月12日）"):
        services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-10"), approver="总经理", reason="再延")
    # After the restart the limit is 15 days again: the next extension takes it to 30, not 60.
    case = services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-13"), approver="总经理", reason="再延")
    assert case.extensions.last().limit_days == 30 and case.decision_due_on == D("2023-11-11")


def test_a_decision_before_receipt_is_refused_and_changes_nothing(officer, intake, take):
    case = take(intake(received="2023-09-28"), Status.ACCEPTED)
    before = snapshot(case)
    with pytest.raises(ApplicationError, match=r"处理决定日期（2023年9月27日）不能早于收到投诉日期（2023年9月28日）"):
        services.complaint_decide(actor=officer, case=case, decided_on=D("2023-09-27"), decision="补充赔付", reasons="属实")
    assert snapshot(case) == before


def test_steps_out_of_order_are_refused(officer, intake):
    case = intake()
    with pytest.raises(ApplicationError, match="案件当前状态为“已登记”，不能告知客户"):
        services.complaint_notify(actor=officer, case=case, notice_on=D("2023-10-01"), method="phone")
    with pytest.raises(ApplicationError, match="不能晚于今天"):
        services.complaint_accept(actor=officer, case=case, accepted_on=datetime.date.today() + datetime.timedelta(days=2))


def test_a_pause_moves_the_limit_and_blocks_the_decision_until_resumed(officer, intake, take):
    case = take(intake(received="2023-09-28"), Status.ACCEPTED)
    case = services.complaint_pause(actor=officer, case=case, kind="appraisal", started_on=D("2023-10-05"), note="伤残鉴定")
    assert case.decision_due_on is None and case.deadlines["decision"]["state"] == "paused"
    with pytest.raises(ApplicationError, match="中止计时尚未结束"):
        services.complaint_decide(actor=officer, case=case, decided_on=D("2023-10-06"), decision="x", reasons="y")
    case = services.complaint_resume(actor=officer, case=case, ended_on=D("2023-10-10"))
    assert case.decision_due_on == D("2023-10-18") and case.limit15_due_on == D("2023-10-18")
    # Notified on the 18th: late by the calendar, but within 15 days once the paused days are left out.
    case = services.complaint_decide(actor=officer, case=case, decided_on=D("2023-10-17"), decision="x", reasons="y")
    case = services.complaint_notify(actor=officer, case=case, notice_on=D("2023-10-18"), method="letter")
    assert not case.is_overdue and case.ended_on <= case.limit15_due_on


def test_late_notice_marks_the_case_overdue(intake, take):
    case = take(intake(received="2023-09-28"), Status.NOTIFIED, decided="2023-10-15", notified="2023-10-16")
    assert case.is_overdue and case.overdue_on == D("2023-10-14")
    assert "超过处理期限（2023年10月13日）3 日" in case.events.get(kind=EventKind.NOTIFIED).message


def test_withdrawal_before_acceptance_is_not_counted_after_acceptance_it_is(officer, intake, take):
    early = services.complaint_withdraw(actor=officer, case=intake(received="2023-03-01"), withdrawn_on=D("2023-03-02"))
    late = take(intake(received="2023-03-01"), Status.ACCEPTED)
    late = services.complaint_withdraw(actor=officer, case=late, withdrawn_on=D("2023-03-05"), reason="已协商解决")
    assert (early.status, early.counts_in_figures, early.ended_on) == (Status.WITHDRAWN, False, D("2023-03-02"))
    assert (late.counts_in_figures, late.ended_on) == (True, D("2023-03-05"))
    assert late.deadlines["decision"]["steps"][-1] == "2023年3月5日 客户撤回投诉，处理终止"
    with pytest.raises(ApplicationError, match="不能撤回"):
        services.complaint_withdraw(actor=officer, case=late, withdrawn_on=D("2023-03-06"))


def test_a_merged_repeat_with_new_facts_restarts_the_earlier_case(officer, intake, take):
    first = take(intake(received="2023-09-28"), Status.ACCEPTED)
    services.complaint_extend(actor=officer, case=first, granted_on=D("2023-10-05"), approver="王经理", reason="复杂")
    repeat = intake(received="2023-10-08")
    repeat = services.complaint_merge(
        actor=officer, case=repeat, into=first, merged_on=D("2023-10-08"), new_facts=True, reason="补充提供了新的病历"
    )
    first.refresh_from_db()
    assert (repeat.status, repeat.merged_into, repeat.counts_in_figures) == (Status.MERGED, first, False)
    # The clock of the first case restarts on the day the new facts arrived; the old extension no longer applies.
    assert first.clock_started_on == D("2023-10-08") and first.decision_due_on == D("2023-10-23")
    assert kinds(first)[-1] == EventKind.MERGED_IN and "重新计时" in first.events.last().message


def test_a_restart_never_ends_a_pause_before_it_started(officer, intake, take):
    first = take(intake(received="2023-09-28"), Status.ACCEPTED)
    services.complaint_pause(actor=officer, case=first, kind="appraisal", started_on=D("2023-10-05"))
    repeat = intake(received="2023-10-02")  # the new facts arrived before the appraisal started
    services.complaint_merge(actor=officer, case=repeat, into=first, merged_on=D("2023-10-06"), new_facts=True, reason="新病历")
    first.refresh_from_db()
    # The clock restarts on the 2nd; the appraisal started after that, belongs to the new clock and keeps running.
    assert [(p.started_on, p.ended_on) for p in first.pauses.all()] == [(D("2023-10-05"), None)]
    assert first.clock_started_on == D("2023-10-02") and first.deadlines["decision"]["state"] == "paused"
    first = services.complaint_resume(actor=officer, case=first, ended_on=D("2023-10-09"))
    assert first.decision_due_on == D("2023-10-21")  # 2 Oct + 15 days + 4 days paused


def test_a_withdrawal_or_merge_dated_before_the_running_pause_is_refused(officer, intake, take):
    case = take(intake(received="2023-09-28"), Status.ACCEPTED)
    services.complaint_pause(actor=officer, case=case, kind="mediation", started_on=D("2023-10-05"))
    before = snapshot(case)
    with pytest.raises(ApplicationError, match=r"撤回日期（2023年10月3日）不能早于进行中的中止计时开始日期（2023年10月5日）"):
        services.complaint_withdraw(actor=officer, case=case, withdrawn_on=D("2023-10-03"))
    with pytest.raises(ApplicationError, match=r"合并日期（2023年10月3日）不能早于进行中的中止计时开始日期"):
        services.complaint_merge(
            actor=officer, case=case, into=intake(received="2023-09-20"), merged_on=D("2023-10-03"), new_facts=False
        )
    assert snapshot(case) == before and case.pauses.get().ended_on is None


def test_a_merged_repeat_without_new_facts_leaves_the_clock(officer, intake):
    first = intake(received="2023-09-28")
    repeat = services.complaint_merge(
        actor=officer, case=intake(received="2023-10-02"), into=first, merged_on=D("2023-10-02"), new_facts=False
    )
    first.refresh_from_db()
    assert first.decision_due_on == D("2023-10-13") and repeat.status == Status.MERGED


@pytest.mark.parametrize(
    ("into_received", "repeat_received", "message"),
    [("2023-10-02", "2023-09-28", "重复投诉应晚于被并入的案件收到"), (None, "2023-09-28", "不能将案件并入自身")],
)
def test_bad_merges_are_refused(officer, intake, into_received, repeat_received, message):
    repeat = intake(received=repeat_received)
    into = intake(received=into_received) if into_received else repeat
    with pytest.raises(ApplicationError, match=message):
        services.complaint_merge(actor=officer, case=repeat, into=into, merged_on=D("2023-10-03"), new_facts=False)
    assert Complaint.objects.get(pk=repeat.pk).status == Status.RECEIVED


def test_restart_resets_the_limit_to_15_days(officer, intake):
    case = services.complaint_extend(
        actor=officer, case=intake(received="2023-09-28"), granted_on=D("2023-10-01"), approver="王经理", reason="复杂"
    )
    case = services.complaint_restart(actor=officer, case=case, restarted_on=D("2023-10-05"), reason="客户补充了新的事实")
    assert case.decision_due_on == D("2023-10-20")
    assert "重新计时前的 1 次延期不再适用" in case.deadlines["decision"]["steps"]


def test_incomplete_material_has_working_day_limits(officer, intake, take):
    case = intake(received="2023-09-27", material_complete=False)
    assert case.deadlines["material_request"]["due_on"] == "2023-10-10"
    assert "acceptance" not in case.deadlines
    with pytest.raises(ApplicationError, match="材料不全且尚未补正齐全"):
        services.complaint_accept(actor=officer, case=case, accepted_on=D("2023-09-28"))
    case = services.complaint_material_request(actor=officer, case=case, requested_on=D("2023-10-09"))
    case = services.complaint_material_complete(actor=officer, case=case, completed_on=D("2023-10-12"))
    assert case.deadlines["material_request"]["met"] is True
    assert case.deadlines["acceptance"]["due_on"] == "2023-10-26"
    case = services.complaint_accept(actor=officer, case=case, accepted_on=D("2023-10-13"))
    assert case.status == Status.ACCEPTED


def test_mediation_steps_must_follow_each_other(officer, intake):
    case = intake(received="2023-03-01")
    with pytest.raises(ApplicationError, match="填写达成调解协议日期前须先填写调解日期"):
        services.complaint_mediation_update(
            actor=officer, case=case, mediation_required_on=D("2023-03-02"), agreement_on=D("2023-03-05")
        )
    case = services.complaint_mediation_update(
        actor=officer, case=case, mediation_required_on=D("2023-03-02"), mediated_on=D("2023-03-04"), agreement_on=D("2023-03-05")
    )
    assert case.agreement_on == D("2023-03-05") and kinds(case)[-1] == EventKind.MEDIATION


def test_branch_staff_cannot_act_on_another_branchs_case(intake, users):
    case = intake(branch="nanjing")
    with pytest.raises(PermissionDenied):
        services.complaint_accept(actor=users["wuxi_staff"], case=case, accepted_on=D("2023-09-28"))
    with pytest.raises(PermissionDenied):
        intake(branch="wuxi", actor=users["nanjing_staff"])
    services.complaint_accept(actor=users["nanjing_staff"], case=intake(branch="jiangning"), accepted_on=D("2023-09-28"))


def test_the_edit_timeline_names_fields_but_not_personal_data(officer, intake):
    case = services.complaint_update(actor=officer, case=intake(), customer_phone="13900000000", category="surrender")
    event = case.events.get(kind=EventKind.EDITED)
    assert event.message == "修改：联系电话、投诉类别" and "13900000000" not in event.message


def test_major_flag_needs_the_circumstances(officer, intake):
    with pytest.raises(ApplicationError, match="请说明情形"):
        services.complaint_flag_major(actor=officer, case=intake(), is_major=True, reason="")
    assert not CaseEvent.objects.filter(kind=EventKind.MAJOR).exists()


# ---------------------------------------------------------------- derived figures: the league is told


@pytest.fixture
def figure_events():
    """Every figures_changed a service sends, as (branch id, months)."""
    from core.events import figures_changed

    sent = []

    def receiver(sender, *, branch_id, months, **kwargs):
        assert sender == "complaints"
        sent.append((branch_id, list(months)))

    figures_changed.connect(receiver, dispatch_uid="test-figure-events")
    yield sent
    figures_changed.disconnect(dispatch_uid="test-figure-events")


def test_registering_a_case_tells_the_league_its_branch_and_receipt_month(intake, tree, figure_events):
    intake(branch="jiangning", received="2023-09-28")
    assert figure_events == [(tree["jiangning"].pk, [D("2023-09-01")])]


def test_moving_the_receipt_tells_both_months_and_other_corrections_tell_nothing(intake, tree, officer, figure_events):
    case = intake(received="2023-09-28")
    figure_events.clear()
    services.complaint_update(actor=officer, case=case, customer_name="李四")
    assert figure_events == []
    services.complaint_update(actor=officer, case=case, received_at=at("2023-10-02"))
    assert figure_events == [(tree["nanjing"].pk, [D("2023-09-01"), D("2023-10-01")])]


def test_mediation_notice_withdrawal_and_merge_tell_the_league(intake, take, tree, officer, figure_events):
    case = take(intake(received="2023-09-28"), Status.DECIDED)
    figure_events.clear()
    services.complaint_notify(actor=officer, case=case, notice_on=D("2023-10-01"), method="phone")  # a 15-day closure
    assert figure_events == [(tree["nanjing"].pk, [D("2023-09-01")])]
    figure_events.clear()
    services.complaint_mediation_update(
        actor=officer, case=case, mediation_required_on=D("2023-10-05"), mediated_on=D("2023-10-06"), agreement_on=D("2023-11-02")
    )
    assert figure_events == [(tree["nanjing"].pk, [D("2023-09-01"), D("2023-10-01"), D("2023-11-01")])]

    earlier, repeat, gone = intake(received="2023-09-01"), intake(received="2023-09-02"), intake(received="2023-08-30")
    figure_events.clear()
    services.complaint_merge(actor=officer, case=repeat, into=earlier, merged_on=D("2023-09-03"), new_facts=False)
    services.complaint_withdraw(actor=officer, case=gone, withdrawn_on=D("2023-09-01"))  # before acceptance: not counted
    assert figure_events == [(tree["nanjing"].pk, [D("2023-09-01")]), (tree["nanjing"].pk, [D("2023-08-01")])]

    # A merge with new facts changes two cases of one branch: the league hears once.
    later = intake(received="2023-09-05")
    figure_events.clear()
    services.complaint_merge(actor=officer, case=later, into=earlier, merged_on=D("2023-09-06"), new_facts=True, reason="新证据")
    assert figure_events == [(tree["nanjing"].pk, [D("2023-09-01")])]


def test_registering_a_case_in_a_computed_window_recomputes_it(intake, django_capture_on_commit_callbacks):
    from kpi import demo
    from kpi import services as kpi_services
    from kpi.models import ScoreRun

    scheme = kpi_services.scheme_load(data=demo.scheme_data())
    before = kpi_services.score_run_compute(scheme=scheme, month=9)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        intake(received="2023-09-28")
    assert callbacks
    current = ScoreRun.objects.get(scheme=scheme, month=9, is_current=True)
    assert current.pk != before.pk


def test_text_longer_than_its_column_is_refused_in_chinese_before_anything_is_written(intake, officer):
    with pytest.raises(ApplicationError, match=r"^联系电话不能超过 30 个字（现为 31 个字）。$"):
        intake(customer_phone="1" * 31)
    assert not Complaint.objects.exists()
    case = intake()
    with pytest.raises(ApplicationError, match="保单号不能超过 40 个字"):
        services.complaint_update(actor=officer, case=case, policy_number="P" * 41)
    with pytest.raises(ApplicationError, match="批准人不能超过 60 个字"):
        services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-01"), approver="王" * 61, reason="复杂")
    assert Complaint.objects.get(pk=case.pk).policy_number == "P2023000001" and not Extension.objects.exists()


# ---------------------------------------------------------------- the holiday calendar


def test_only_the_office_may_change_the_calendar_whoever_calls_the_service(users):
    from complaints.models import CalendarDay, CalendarYear

    before = (CalendarDay.objects.count(), CalendarYear.objects.count())
    for user in (users["nanjing_staff"], users["county_staff"]):
        with pytest.raises(ApplicationError, match="只有省公司考核人员或管理员可以维护放假安排"):
            services.calendar_day_set(actor=user, day=D("2026-12-31"), kind="holiday", name="演示")
        with pytest.raises(ApplicationError, match="只有省公司考核人员或管理员可以维护放假安排"):
            services.calendar_day_delete(actor=user, day=D("2026-10-01"))
        with pytest.raises(ApplicationError, match="只有省公司考核人员或管理员可以维护放假安排"):
            services.calendar_year_import(actor=user, year=2027, rows=[(D("2027-10-01"), "holiday", "国庆节")])
    assert (CalendarDay.objects.count(), CalendarYear.objects.count()) == before
    services.calendar_day_set(actor=users["admin"], day=D("2026-12-31"), kind="holiday", name="演示")
    assert CalendarDay.objects.get(date=D("2026-12-31")).name == "演示"



def test_merging_by_number_accepts_it_typed_loosely_but_only_within_the_users_scope(officer, intake, users):
    first = intake(received="2023-09-28")
    typed = "  " + first.number.lower() + " "
    repeat = services.complaint_merge_by_number(
        actor=officer, case=intake(received="2023-10-02"), into=typed, merged_on=D("2023-10-02"), new_facts=False
    )
    assert repeat.status == Status.MERGED and repeat.merged_into_id == first.pk
    other = intake(branch="wuxi", received="2023-09-28")
    with pytest.raises(ApplicationError, match="找不到要并入的案件编号"):
        services.complaint_merge_by_number(
            actor=users["nanjing_staff"], case=intake(received="2023-10-03"), into=other.number,
            merged_on=D("2023-10-03"), new_facts=False,
        )
