"""Writes for complaints: intake, every handling step, deadlines, the overdue job and the holiday calendar.

Every service checks the actor's branch through branches.permissions, refuses bad input with one
ApplicationError in Chinese before it changes anything, recomputes the case's deadlines and writes
the case's timeline in the same transaction.
"""

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from branches.models import Branch
from branches.permissions import can_view_branch, is_officer
from complaints import deadlines as dl
from complaints import steps
from complaints.choices import (
    OPEN_STATUSES,
    CalendarDayKind,
    CalendarSource,
    Category,
    Channel,
    EventKind,
    NoticeMethod,
    PauseKind,
    Satisfaction,
    Source,
    Status,
)
from complaints.models import (
    CalendarDay,
    CalendarYear,
    CaseEvent,
    CaseNumberSequence,
    ClockRestart,
    Complaint,
    Extension,
    Pause,
    RepeatCall,
)
from complaints.selectors import (
    FIGURE_FIELDS,
    FIGURE_MONTH_FIELDS,
    NUMBER_PREFIX,
    complaint_by_number,
    past_due_q,
    work_calendar,
)
from complaints.workdays import TableCalendar, chinesecalendar_rows, chinesecalendar_years
from core import parsing
from core.errors import ApplicationError
from core.events import figures_changed

SHANGHAI = ZoneInfo("Asia/Shanghai")
cn = dl.cn

DEADLINE_LABELS = {
    "decision": "处理决定并告知期限",
    "limit15": "15日办结口径",
    "material_request": "告知补正材料期限（5个工作日）",
    "acceptance": "告知是否受理期限（10个工作日）",
    "joint_sheet": "会办单回复期限（120小时，5个工作日）",
}
EDITABLE_FIELDS = {
    "channel": "渠道",
    "regulator_ref": "监管转办编号",
    "customer_name": "客户姓名",
    "customer_phone": "联系电话",
    "customer_id_number": "证件号码",
    "policy_number": "保单号",
    "category": "投诉类别",
    "summary": "投诉内容",
    "received_at": "收到时间",
    "source": "来源",
}
PERSONAL_FIELDS = {"customer_name", "customer_phone", "customer_id_number"}
TEXT_FIELDS = {"regulator_ref", "customer_name", "customer_phone", "customer_id_number", "policy_number", "summary"}
REQUIRED_TEXT = {"customer_name": "请填写客户姓名。", "summary": "请填写投诉内容。"}
MAJOR_REASON = "标记为重大投诉时请说明情形（20人以上、群体事件或媒体曝光等）。"
# A receipt or call time may be a few minutes ahead of the server's clock (a clerk's PC), never more.
RECEIPT_TOLERANCE = datetime.timedelta(minutes=5)


# ---------------------------------------------------------------- helpers


def received_date(received_at: datetime.datetime) -> datetime.date:
    """The receipt date in Asia/Shanghai, whatever zone the time came in."""
    return received_at.astimezone(SHANGHAI).date()


def _today() -> datetime.date:
    return timezone.now().astimezone(SHANGHAI).date()


def _require_branch(actor, branch: Branch) -> None:
    if not can_view_branch(actor, branch):
        raise PermissionDenied("无权处理该机构的投诉")


def _locked(case: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("branch").get(pk=case.pk)


def _event(case: Complaint, kind: str, actor, message: str, **data) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        message=message,
        data=data,
    )


def _figure_facts(case: Complaint) -> dict:
    """The fields of a case the derived figures read, to compare before and after a change."""
    return {name: getattr(case, name) for name in FIGURE_FIELDS}


def _figures_changed(*changes: tuple[Complaint, dict | None]) -> None:
    """Tell the apps that derive figures from cases (kpi) which branches and months a change may move.

    `changes` are (case, its figure facts before the change, or None for a new case). Sent inside the
    service's transaction (the receiver acts on commit), once per branch: the cases' branches and any
    branch a case left, with the months of receipt, mediation and agreement before and after; nothing is
    sent for a case whose figure facts did not change.
    """
    months: dict[int, set[datetime.date]] = {}
    for case, before in changes:
        after = _figure_facts(case)
        if before == after:
            continue
        for state in [after] if before is None else [before, after]:
            dates = {state[f].replace(day=1) for f in FIGURE_MONTH_FIELDS if state[f] is not None}
            months.setdefault(state["branch_id"], set()).update(dates)
    for branch_id in sorted(months):
        figures_changed.send(sender="complaints", branch_id=branch_id, months=sorted(months[branch_id]))


def _check_date(
    value: datetime.date | None,
    label: str,
    *,
    not_before: datetime.date | None = None,
    before_label: str = "收到投诉日期",
    required: bool = True,
) -> None:
    if value is None:
        if required:
            raise ApplicationError(f"请填写{label}。")
        return
    parsing.check_date(value)
    if value > _today():
        raise ApplicationError(f"{label}（{cn(value)}）不能晚于今天。")
    if not_before is not None and value < not_before:
        raise ApplicationError(f"{label}（{cn(value)}）不能早于{before_label}（{cn(not_before)}）。")


def _received_at(value: datetime.datetime) -> datetime.datetime:
    """A receipt time: within core.parsing's bounds (naive means Asia/Shanghai) and not in the future."""
    value = parsing.check_datetime(value)
    if value > timezone.now() + RECEIPT_TOLERANCE:
        raise ApplicationError(f"收到时间（{cn(received_date(value))}）不能晚于当前时间。")
    return value


def _require_regulator_ref(source: str, regulator_ref: str) -> None:
    if source == Source.REGULATOR and not regulator_ref.strip():
        raise ApplicationError("监管转办的投诉须填写监管转办编号。")


def _text(value: str | None, model, name: str, *, required: str = "") -> str:
    """Stripped text for a model's column: refused with `required` when blank, or when longer than the column."""
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(required)
    field = model._meta.get_field(name)
    if field.max_length and len(value) > field.max_length:
        with translation.override("zh-hans"):
            label = str(field.verbose_name)
        raise ApplicationError(f"{label}不能超过 {field.max_length} 个字（现为 {len(value)} 个字）。")
    return value


def _choice(value: str, choices, label: str) -> str:
    if value not in choices.values:
        raise ApplicationError(f"{label}“{value}”无效，可选：{'、'.join(f'{v}（{lbl}）' for v, lbl in choices.choices)}。")
    return value


def _next_number(branch: Branch, year: int) -> str:
    """The next case number of a branch and year; the sequence row is locked so two clerks never share one."""
    seq = CaseNumberSequence.objects.select_for_update().filter(branch=branch, year=year).first()
    if seq is None:
        try:
            with transaction.atomic():
                seq = CaseNumberSequence.objects.create(branch=branch, year=year)
        except IntegrityError:  # another request created the row first: wait for its lock
            seq = CaseNumberSequence.objects.select_for_update().get(branch=branch, year=year)
    while True:
        seq.last += 1
        number = f"{NUMBER_PREFIX}{year}-{branch.code}-{seq.last:05d}"
        if not Complaint.objects.filter(number=number).exists():
            seq.save(update_fields=["last"])
            return number


# ---------------------------------------------------------------- deadlines


def _dl_extensions(extensions: Iterable[Extension]) -> list[dl.Extension]:
    return [dl.Extension(e.granted_on, e.limit_days, e.approver, e.reason) for e in extensions]


def complaint_deadline_fields(*, case: Complaint, extensions, pauses, restarts, calendar: TableCalendar) -> dict:
    """Every limit of a case from its recorded facts, as field values (computes, saves nothing)."""
    ext = _dl_extensions(extensions)
    pau = [dl.Pause(p.started_on, p.ended_on, PauseKind(p.kind).label) for p in pauses]
    rst = [dl.Restart(r.restarted_on, r.reason) for r in restarts]
    ended_on, end_note = _end_of(case)
    decision = dl.decision_deadline(
        received_on=case.received_on, extensions=ext, pauses=pau, restarts=rst, ended_on=ended_on, end_note=end_note
    )
    limit15 = dl.decision_deadline(
        received_on=case.received_on,
        extensions=ext,
        pauses=pau,
        restarts=rst,
        ended_on=ended_on,
        end_note=end_note,
        count_extensions=False,
    )
    result = {
        "decision": _deadline_entry("decision", decision, ended_on),
        "limit15": _deadline_entry("limit15", limit15, ended_on),
    }
    if not case.material_complete:
        result["material_request"] = _deadline_entry(
            "material_request",
            dl.add_workdays(case.received_on, dl.MATERIAL_REQUEST_WORKDAYS, calendar),
            case.material_requested_on,
        )
    acceptance_base = case.received_on if case.material_complete else case.material_completed_on
    if acceptance_base:
        result["acceptance"] = _deadline_entry(
            "acceptance", dl.add_workdays(acceptance_base, dl.ACCEPTANCE_WORKDAYS, calendar), case.accepted_on
        )
    joint = None
    if case.joint_sheet_sent_on:
        joint = dl.add_workdays(case.joint_sheet_sent_on, dl.JOINT_SHEET_WORKDAYS, calendar)
        result["joint_sheet"] = _deadline_entry("joint_sheet", joint, case.joint_sheet_answered_on)
    clock = dl.clock_start(case.received_on, (r.on for r in rst))
    pending = [v for k, v in result.items() if k not in ("decision", "limit15") and not v["done_on"]]
    return {
        "clock_started_on": clock,
        "decision_due_on": decision.due_on,
        "limit15_due_on": limit15.due_on,
        "joint_sheet_due_on": joint.due_on if joint else None,
        "ended_on": ended_on,
        "deadlines": result,
        "calendar_official": all(v["official"] for v in pending),
    }


def _deadline_entry(key: str, deadline: dl.Deadline, done_on: datetime.date | None) -> dict:
    entry = {"label": DEADLINE_LABELS[key], **deadline.as_dict(), "done_on": done_on.isoformat() if done_on else None}
    if done_on and deadline.due_on:
        entry["met"] = done_on <= deadline.due_on
    return entry


def _end_of(case: Complaint) -> tuple[datetime.date | None, str]:
    if case.status in (Status.NOTIFIED, Status.CLOSED) and case.notice_on:
        return case.notice_on, f"{cn(case.notice_on)} 已将处理决定告知客户，办结"
    if case.status == Status.WITHDRAWN and case.withdrawn_on:
        return case.withdrawn_on, f"{cn(case.withdrawn_on)} 客户撤回投诉，处理终止"
    if case.status == Status.MERGED and case.merged_on:
        return case.merged_on, f"{cn(case.merged_on)} 并入其他案件处理，本案终止"
    return None, ""


DEADLINE_FIELDS = [
    "clock_started_on",
    "decision_due_on",
    "limit15_due_on",
    "joint_sheet_due_on",
    "ended_on",
    "deadlines",
    "calendar_official",
]


def _refresh(case: Complaint, *, calendar: TableCalendar | None = None) -> tuple[datetime.date | None, datetime.date | None]:
    """Recompute and store the case's deadlines; returns the decision limit before and after."""
    before = case.decision_due_on
    fields = complaint_deadline_fields(
        case=case,
        extensions=list(case.extensions.all()),
        pauses=list(case.pauses.all()),
        restarts=list(case.restarts.all()),
        calendar=calendar or work_calendar(),
    )
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()
    return before, case.decision_due_on


def _due_text(before, after) -> str:
    if after is None:
        return "处理期限暂停计算"
    if before and before != after:
        return f"处理期限 {cn(before)} → {cn(after)}"
    return f"处理期限 {cn(after)}"


# ---------------------------------------------------------------- intake and details


@transaction.atomic
def complaint_create(
    *,
    actor,
    branch: Branch,
    source: str,
    received_at: datetime.datetime,
    category: str,
    summary: str,
    customer_name: str,
    customer_phone: str = "",
    customer_id_number: str = "",
    policy_number: str = "",
    channel: str = "",
    regulator_ref: str = "",
    material_complete: bool = True,
    is_major: bool = False,
    major_reason: str = "",
    handler=None,
) -> Complaint:
    """Register a complaint (登记): its number, receipt and customer, and its first deadlines."""
    _require_branch(actor, branch)
    _choice(source, Source, "来源")
    _choice(category, Category, "投诉类别")
    channel = channel or (Channel.REGULATOR if source == Source.REGULATOR else Channel.HOTLINE)
    _choice(channel, Channel, "渠道")
    received_at = _received_at(received_at)
    customer_name = _text(customer_name, Complaint, "customer_name", required="请填写客户姓名。")
    summary = _text(summary, Complaint, "summary", required="请填写投诉内容。")
    customer_phone = parsing.parse_phone(_text(customer_phone, Complaint, "customer_phone"))
    customer_id_number = parsing.parse_id_number(_text(customer_id_number, Complaint, "customer_id_number"))
    policy_number = _text(policy_number, Complaint, "policy_number")
    regulator_ref = _text(regulator_ref, Complaint, "regulator_ref")
    _require_regulator_ref(source, regulator_ref)
    major_reason = _text(major_reason, Complaint, "major_reason", required=MAJOR_REASON if is_major else "")
    if handler is not None and not can_view_branch(handler, branch):
        raise ApplicationError("经办人须为本机构人员。")
    received_on = received_date(received_at)
    case = Complaint(
        number=_next_number(branch, received_on.year),
        branch=branch,
        source=source,
        channel=channel,
        received_at=received_at,
        received_on=received_on,
        clock_started_on=received_on,
        regulator_ref=regulator_ref,
        customer_name=customer_name,
        customer_phone=customer_phone,
        customer_id_number=customer_id_number,
        policy_number=policy_number,
        category=category,
        summary=summary,
        material_complete=material_complete,
        is_major=is_major,
        major_reason=major_reason,
        handler=handler,
    )
    fields = complaint_deadline_fields(case=case, extensions=[], pauses=[], restarts=[], calendar=work_calendar())
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()
    _figures_changed((case, None))
    material = "材料齐全" if material_complete else "材料不全，须在5个工作日内一次性告知补正"
    _event(
        case,
        EventKind.CREATED,
        actor,
        f"登记投诉：{Source(source).label}，{Channel(channel).label}，{Category(category).label}；{material}；{_due_text(None, case.decision_due_on)}",
        decision_due_on=str(case.decision_due_on),
    )
    return case


@transaction.atomic
def complaint_update(*, actor, case: Complaint, **changes) -> Complaint:
    """Correct a case's registration details; personal data is masked in the timeline entry."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    before_figures = _figure_facts(case)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"以下字段不能在此修改：{'、'.join(sorted(unknown))}。")
    if "category" in changes:
        _choice(changes["category"], Category, "投诉类别")
    if "channel" in changes:
        _choice(changes["channel"], Channel, "渠道")
    if "source" in changes:
        _choice(changes["source"], Source, "来源")
    for name in TEXT_FIELDS & set(changes):
        changes[name] = _text(changes[name], Complaint, name, required=REQUIRED_TEXT.get(name, ""))
    if "customer_phone" in changes:
        changes["customer_phone"] = parsing.parse_phone(changes["customer_phone"])
    if "customer_id_number" in changes:
        changes["customer_id_number"] = parsing.parse_id_number(changes["customer_id_number"])
    _require_regulator_ref(changes.get("source", case.source), changes.get("regulator_ref", case.regulator_ref))
    if "received_at" in changes:
        received_at = changes["received_at"] = _received_at(changes["received_at"])
        later = [d for d in (case.accepted_on, case.decided_on, case.notice_on) if d]
        if later and received_date(received_at) > min(later):
            raise ApplicationError(f"收到日期不能晚于已登记的受理、决定或告知日期（{cn(min(later))}）。")
    changed = [name for name, value in changes.items() if getattr(case, name) != value]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, changes[name])
    if "received_at" in changed:
        case.received_on = received_date(case.received_at)
    before, after = _refresh(case)
    _figures_changed((case, before_figures))
    shown = "、".join(EDITABLE_FIELDS[n] for n in changed)
    message = f"修改：{shown}"
    if before != after:
        message += f"；{_due_text(before, after)}"
    _event(case, EventKind.EDITED, actor, message, fields=changed)
    return case


@transaction.atomic
def complaint_assign(*, actor, case: Complaint, handler) -> Complaint:
    """Name the clerk who handles the case."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "assign")
    if handler is None or not can_view_branch(handler, case.branch):
        raise ApplicationError("经办人须为本机构人员。")
    case.handler = handler
    case.save(update_fields=["handler", "updated_at"])
    _event(case, EventKind.ASSIGNED, actor, f"经办人：{handler.get_full_name() or handler.username}")
    return case


@transaction.atomic
def complaint_flag_major(*, actor, case: Complaint, is_major: bool, reason: str = "") -> Complaint:
    """Mark or unmark a major complaint (重大投诉: 20 people or more, a mass incident, media exposure)."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "major")
    if is_major:
        reason = _text(reason, Complaint, "major_reason", required=MAJOR_REASON)
    case.is_major, case.major_reason = is_major, reason if is_major else ""
    case.save(update_fields=["is_major", "major_reason", "updated_at"])
    _event(case, EventKind.MAJOR, actor, f"标记为重大投诉：{reason}" if is_major else "取消重大投诉标记")
    return case


# ---------------------------------------------------------------- material, acceptance, investigation


@transaction.atomic
def complaint_material_request(*, actor, case: Complaint, requested_on: datetime.date) -> Complaint:
    """Record that the customer was told, once and completely, what material is missing."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "material-request")
    _check_date(requested_on, "告知补正日期", not_before=case.received_on)
    case.material_requested_on = requested_on
    _refresh(case)
    entry = case.deadlines["material_request"]
    _event(case, EventKind.MATERIAL_REQUESTED, actor, f"{cn(requested_on)} 告知客户补正材料；{_met_text(entry)}")
    return case


@transaction.atomic
def complaint_material_complete(*, actor, case: Complaint, completed_on: datetime.date) -> Complaint:
    """The missing material arrived: the 10 working days to accept or refuse start."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "material-complete")
    _check_date(
        completed_on,
        "材料补正齐全日期",
        not_before=case.material_requested_on or case.received_on,
        before_label="告知补正日期" if case.material_requested_on else "收到投诉日期",
    )
    case.material_completed_on = completed_on
    _refresh(case)
    due = case.deadlines["acceptance"]["due_on"]
    _event(case, EventKind.MATERIAL_COMPLETED, actor, f"{cn(completed_on)} 材料补正齐全；告知是否受理期限 {_iso_cn(due)}")
    return case


@transaction.atomic
def complaint_accept(*, actor, case: Complaint, accepted_on: datetime.date, handler=None) -> Complaint:
    """Accept the complaint (受理)."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "accept")
    _check_date(
        accepted_on,
        "受理日期",
        not_before=case.material_completed_on or case.received_on,
        before_label="材料补正齐全日期" if case.material_completed_on else "收到投诉日期",
    )
    if handler is not None:
        if not can_view_branch(handler, case.branch):
            raise ApplicationError("经办人须为本机构人员。")
        case.handler = handler
    case.status, case.accepted_on = Status.ACCEPTED, accepted_on
    _refresh(case)
    _event(case, EventKind.ACCEPTED, actor, f"{cn(accepted_on)} 受理；{_met_text(case.deadlines['acceptance'])}")
    return case


@transaction.atomic
def complaint_investigate(*, actor, case: Complaint, note: str = "") -> Complaint:
    """Start the investigation (调查核实)."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "investigate")
    case.status = Status.INVESTIGATING
    case.save(update_fields=["status", "updated_at"])
    _event(case, EventKind.INVESTIGATING, actor, f"开始调查核实{'：' + note.strip() if note.strip() else ''}")
    return case


@transaction.atomic
def complaint_joint_sheet_send(*, actor, case: Complaint, sent_on: datetime.date) -> Complaint:
    """Send the joint-handling sheet (会办单) to the departments concerned: 5 working days to answer."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "joint-sheet")
    _check_date(sent_on, "会办单发出日期", not_before=case.received_on)
    case.joint_sheet_sent_on, case.joint_sheet_answered_on = sent_on, None
    _refresh(case)
    _event(case, EventKind.JOINT_SHEET_SENT, actor, f"{cn(sent_on)} 发出会办单；回复期限 {cn(case.joint_sheet_due_on)}")
    return case


@transaction.atomic
def complaint_joint_sheet_answer(*, actor, case: Complaint, answered_on: datetime.date) -> Complaint:
    """Record the answer to the joint-handling sheet."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "joint-sheet-answer")
    _check_date(answered_on, "会办单回复日期", not_before=case.joint_sheet_sent_on, before_label="会办单发出日期")
    case.joint_sheet_answered_on = answered_on
    _refresh(case)
    _event(
        case, EventKind.JOINT_SHEET_ANSWERED, actor, f"{cn(answered_on)} 会办单回复；{_met_text(case.deadlines['joint_sheet'])}"
    )
    return case


# ---------------------------------------------------------------- the decision clock


@transaction.atomic
def complaint_extend(*, actor, case: Complaint, granted_on: datetime.date, approver: str, reason: str) -> Complaint:
    """Extend the decision limit to 30, then 60 days, with the approver and the reason."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "extend")
    reason = _text(reason, Extension, "reason", required="延期必须填写原因。")
    approver = _text(approver, Extension, "approver", required="延期必须填写批准人。")
    extensions = _dl_extensions(case.extensions.all())
    limit = dl.next_extension_limit(dl.limit_in_force(case.clock_started_on, extensions))
    restarted = case.clock_started_on != case.received_on
    _check_date(
        granted_on, "延期批准日期", not_before=case.clock_started_on, before_label="重新计时日期" if restarted else "收到投诉日期"
    )
    # Extensions are granted one after another: the one in force is always the latest.
    previous = max((e.granted_on for e in extensions), default=None)
    _check_date(granted_on, "延期批准日期", not_before=previous, before_label="上次延期批准日期")
    if case.decision_due_on and granted_on > case.decision_due_on:
        raise ApplicationError(f"处理期限已于 {cn(case.decision_due_on)} 届满，不能再延期。")
    Extension.objects.create(
        case=case,
        granted_on=granted_on,
        limit_days=limit,
        approver=approver,
        reason=reason,
        created_by=actor if actor.is_authenticated else None,
    )
    before, after = _refresh(case)
    _event(
        case,
        EventKind.EXTENDED,
        actor,
        f"{cn(granted_on)} 经 {approver} 批准延期至 {limit} 日：{reason}；{_due_text(before, after)}",
        limit_days=limit,
    )
    return case


@transaction.atomic
def complaint_pause(*, actor, case: Complaint, kind: str, started_on: datetime.date, note: str = "") -> Complaint:
    """Stop the clock for outside appraisal or mediation."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "pause")
    _choice(kind, PauseKind, "中止原因")
    note = _text(note, Pause, "note")
    pauses = list(case.pauses.all())
    last_end = max([p.ended_on for p in pauses if p.started_on >= case.clock_started_on], default=None)
    _check_date(
        started_on,
        "中止开始日期",
        not_before=last_end or case.clock_started_on,
        before_label="上次中止结束日期" if last_end else "计时起点",
    )
    if case.decision_due_on and started_on > case.decision_due_on:
        raise ApplicationError(f"处理期限已于 {cn(case.decision_due_on)} 届满，不能再中止计时。")
    Pause.objects.create(case=case, kind=kind, started_on=started_on, note=note)
    _refresh(case)
    _event(
        case,
        EventKind.PAUSED,
        actor,
        f"{cn(started_on)} 起{PauseKind(kind).label}，中止计时{'：' + note if note else ''}",
    )
    return case


@transaction.atomic
def complaint_resume(*, actor, case: Complaint, ended_on: datetime.date) -> Complaint:
    """End the running pause: the limit moves by the days paused."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "resume")
    pause = case.pauses.get(ended_on__isnull=True)
    _check_date(ended_on, "恢复计时日期", not_before=pause.started_on, before_label="中止开始日期")
    pause.ended_on = ended_on
    pause.save(update_fields=["ended_on"])
    before, after = _refresh(case)
    days = (ended_on - pause.started_on).days
    _event(case, EventKind.RESUMED, actor, f"{cn(ended_on)} 恢复计时，中止 {days} 日不计入；{_due_text(before, after)}")
    return case


@transaction.atomic
def complaint_restart(
    *, actor, case: Complaint, restarted_on: datetime.date, reason: str, from_case: Complaint | None = None
) -> Complaint:
    """New facts or reasons arrived: the decision limit starts again from that day."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "restart")
    figures = _figure_facts(case)
    reason = _text(reason, ClockRestart, "reason", required="重新计时必须说明新的事实和理由。")
    _check_date(restarted_on, "重新计时日期", not_before=case.clock_started_on, before_label="计时起点")
    _restart(case, restarted_on, reason, from_case)
    before, after = _refresh(case)
    _figures_changed((case, figures))
    _event(
        case, EventKind.RESTARTED, actor, f"{cn(restarted_on)} 收到新的事实和理由，重新计时：{reason}；{_due_text(before, after)}"
    )
    return case


def _restart(case: Complaint, on: datetime.date, reason: str, from_case: Complaint | None) -> None:
    # A running pause that started before the new clock ends where it starts: the new clock owes nothing
    # to the old one. One that started on or after that day belongs to the new clock and keeps running.
    case.pauses.filter(ended_on__isnull=True, started_on__lt=on).update(ended_on=on)
    ClockRestart.objects.create(case=case, restarted_on=on, reason=reason, from_case=from_case)


def _end_running_pause(case: Complaint, on: datetime.date, label: str) -> None:
    """Handling ends on `on` (withdrawal, merge): a running pause ends that day, which cannot precede its start."""
    pause = case.pauses.filter(ended_on__isnull=True).first()
    if pause is None:
        return
    if on < pause.started_on:
        raise ApplicationError(f"{label}（{cn(on)}）不能早于进行中的中止计时开始日期（{cn(pause.started_on)}）。")
    pause.ended_on = on
    pause.save(update_fields=["ended_on"])


# ---------------------------------------------------------------- decision, notice, closing


@transaction.atomic
def complaint_decide(*, actor, case: Complaint, decided_on: datetime.date, decision: str, reasons: str) -> Complaint:
    """Record the decision (处理决定) with its reasons."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "decide")
    figures = _figure_facts(case)
    decision = _text(decision, Complaint, "decision", required="请填写处理决定。")
    reasons = _text(reasons, Complaint, "decision_reasons", required="请填写决定理由。")
    _check_date(decided_on, "处理决定日期", not_before=case.received_on)
    _check_date(decided_on, "处理决定日期", not_before=case.accepted_on, before_label="受理日期")
    case.status, case.decided_on, case.decision, case.decision_reasons = Status.DECIDED, decided_on, decision, reasons
    _refresh(case)
    _figures_changed((case, figures))
    _event(case, EventKind.DECIDED, actor, f"{cn(decided_on)} 作出处理决定：{decision}（理由：{reasons}）")
    return case


@transaction.atomic
def complaint_notify(*, actor, case: Complaint, notice_on: datetime.date, method: str) -> Complaint:
    """Tell the customer the decision: the case is handled (办结); late notice marks it overdue."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "notify")
    figures = _figure_facts(case)
    _choice(method, NoticeMethod, "告知方式")
    _check_date(notice_on, "告知日期", not_before=case.decided_on, before_label="处理决定日期")
    due = case.decision_due_on
    case.status, case.notice_on, case.notice_method = Status.NOTIFIED, notice_on, method
    if due and notice_on > due and not case.is_overdue:
        case.is_overdue, case.overdue_on = True, dl.overdue_on(due)
    _refresh(case)
    _figures_changed((case, figures))
    timing = f"超过处理期限（{cn(due)}）{(notice_on - due).days} 日" if due and notice_on > due else "在处理期限内"
    closed15 = "，计入15日办结" if case.limit15_due_on and notice_on <= case.limit15_due_on else ""
    _event(case, EventKind.NOTIFIED, actor, f"{cn(notice_on)} 以{NoticeMethod(method).label}告知客户处理决定，{timing}{closed15}")
    return case


@transaction.atomic
def complaint_close(*, actor, case: Complaint, closed_on: datetime.date) -> Complaint:
    """Close the case (结案) after the customer was told."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "close")
    _check_date(closed_on, "结案日期", not_before=case.notice_on, before_label="告知日期")
    figures = _figure_facts(case)
    case.status, case.closed_on = Status.CLOSED, closed_on
    case.save(update_fields=["status", "closed_on", "updated_at"])
    _figures_changed((case, figures))
    _event(case, EventKind.CLOSED, actor, f"{cn(closed_on)} 结案")
    return case


@transaction.atomic
def complaint_withdraw(*, actor, case: Complaint, withdrawn_on: datetime.date, reason: str = "") -> Complaint:
    """The customer withdrew: handling ends that day; before acceptance the case is not counted."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "withdraw")
    _check_date(withdrawn_on, "撤回日期", not_before=case.received_on)
    figures = _figure_facts(case)
    _end_running_pause(case, withdrawn_on, "撤回日期")
    case.status, case.withdrawn_on = Status.WITHDRAWN, withdrawn_on
    case.counts_in_figures = case.accepted_on is not None and case.accepted_on <= withdrawn_on
    _refresh(case)
    _figures_changed((case, figures))
    counted = "（受理后撤回，仍计入投诉件数）" if case.counts_in_figures else "（受理前撤回，不计入投诉件数）"
    _event(
        case,
        EventKind.WITHDRAWN,
        actor,
        f"{cn(withdrawn_on)} 客户撤回投诉{counted}{'：' + reason.strip() if reason.strip() else ''}",
    )
    return case


def complaint_merge_by_number(*, actor, case: Complaint, into: str, **fields) -> Complaint:
    """Merge into the case with the number the user typed (one they may see)."""
    target = complaint_by_number(user=actor, number=into)
    if target is None:
        raise ApplicationError("找不到要并入的案件编号（或无权查看）。")
    return complaint_merge(actor=actor, case=case, into=target, **fields)


@transaction.atomic
def complaint_merge(
    *, actor, case: Complaint, into: Complaint, merged_on: datetime.date, new_facts: bool, reason: str = ""
) -> Complaint:
    """Merge a repeated complaint into the earlier case; new facts restart the earlier case's clock."""
    first, second = sorted([case, into], key=lambda c: c.pk)
    first, second = _locked(first), _locked(second)
    case, into = (first, second) if first.pk == case.pk else (second, first)
    _require_branch(actor, case.branch)
    _require_branch(actor, into.branch)
    if case.pk == into.pk:
        raise ApplicationError("不能将案件并入自身。")
    steps.require(case, "merge")
    if into.branch_id != case.branch_id:
        raise ApplicationError("只能并入同一机构的案件。")
    if not into.is_open:
        raise ApplicationError(f"案件 {into.number} 已办结，只能并入处理期限内的案件。")
    if case.received_on < into.received_on:
        raise ApplicationError(f"重复投诉应晚于被并入的案件收到（{into.number} 收到于 {cn(into.received_on)}）。")
    _check_date(merged_on, "合并日期", not_before=case.received_on)
    if new_facts:
        reason = _text(reason, ClockRestart, "reason", required="有新的事实和理由时请说明。")
    figures, into_figures = _figure_facts(case), _figure_facts(into)
    _end_running_pause(case, merged_on, "合并日期")
    case.status, case.merged_into, case.merged_on, case.counts_in_figures = Status.MERGED, into, merged_on, False
    _refresh(case)
    _event(
        case,
        EventKind.MERGED,
        actor,
        f"{cn(merged_on)} 作为重复投诉并入 {into.number}{'：' + reason if reason else ''}",
        into=into.number,
    )
    message = f"并入重复投诉 {case.number}（收到于 {cn(case.received_on)}）"
    if new_facts:
        restart_on = max(case.received_on, into.clock_started_on)
        _restart(into, restart_on, f"重复投诉 {case.number} 提出新的事实和理由：{reason}", case)
        before, after = _refresh(into)
        message += f"，有新的事实和理由，自 {cn(restart_on)} 重新计时；{_due_text(before, after)}"
    _event(into, EventKind.MERGED_IN, actor, message, repeat=case.number)
    _figures_changed((case, figures), (into, into_figures))
    return case


# ---------------------------------------------------------------- calls, mediation, call-back, overdue reason


@transaction.atomic
def complaint_repeat_call_log(*, actor, case: Complaint, called_at: datetime.datetime, note: str = "") -> RepeatCall:
    """Log one repeat call of the customer while the case is being handled (重复来电)."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "repeat-calls")
    called_at = parsing.check_datetime(called_at)
    if called_at < case.received_at:
        raise ApplicationError("来电时间不能早于收到投诉时间。")
    if called_at > timezone.now() + RECEIPT_TOLERANCE:
        raise ApplicationError("来电时间不能晚于当前时间。")
    note = _text(note, RepeatCall, "note")
    call = RepeatCall.objects.create(
        case=case, called_at=called_at, note=note, logged_by=actor if actor.is_authenticated else None
    )
    count = case.repeat_calls.count()
    _event(
        case,
        EventKind.REPEAT_CALL,
        actor,
        f"{called_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 客户重复来电（第 {count} 次）{'：' + note if note else ''}",
    )
    return call


MEDIATION_STEPS = (
    ("mediation_required_on", "认定应调解日期", None),
    ("mediated_on", "调解日期", "mediation_required_on"),
    ("agreement_on", "达成调解协议日期", "mediated_on"),
    ("agreement_executed_on", "调解协议履行日期", "agreement_on"),
)


@transaction.atomic
def complaint_mediation_update(
    *, actor, case: Complaint, mediation_required_on=None, mediated_on=None, agreement_on=None, agreement_executed_on=None
) -> Complaint:
    """Record the dispute's mediation: should be mediated, mediated, agreement reached, agreement carried out."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "mediation")
    values = {
        "mediation_required_on": mediation_required_on,
        "mediated_on": mediated_on,
        "agreement_on": agreement_on,
        "agreement_executed_on": agreement_executed_on,
    }
    for field, label, previous in MEDIATION_STEPS:
        value = values[field]
        if value is None:
            continue
        if previous and values[previous] is None:
            prev_label = next(lbl for f, lbl, _p in MEDIATION_STEPS if f == previous)
            raise ApplicationError(f"填写{label}前须先填写{prev_label}。")
        floor = values[previous] if previous else case.received_on
        floor_label = next(lbl for f, lbl, _p in MEDIATION_STEPS if f == previous) if previous else "收到投诉日期"
        _check_date(value, label, not_before=floor, before_label=floor_label)
    changed = [label for field, label, _p in MEDIATION_STEPS if getattr(case, field) != values[field]]
    if not changed:
        return case
    figures = _figure_facts(case)
    for field, value in values.items():
        setattr(case, field, value)
    case.save(update_fields=[*values, "updated_at"])
    _figures_changed((case, figures))
    shown = "；".join(f"{label} {cn(values[f]) if values[f] else '（空）'}" for f, label, _p in MEDIATION_STEPS)
    _event(case, EventKind.MEDIATION, actor, f"调解情况：{shown}")
    return case


@transaction.atomic
def complaint_callback(*, actor, case: Complaint, callback_on: datetime.date, satisfaction: str) -> Complaint:
    """Record the satisfaction call-back after the customer was told."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "callback")
    _choice(satisfaction, Satisfaction, "满意度")
    _check_date(callback_on, "回访日期", not_before=case.notice_on, before_label="告知日期")
    case.callback_on, case.satisfaction = callback_on, satisfaction
    case.save(update_fields=["callback_on", "satisfaction", "updated_at"])
    _event(case, EventKind.CALLBACK, actor, f"{cn(callback_on)} 满意度回访：{Satisfaction(satisfaction).label}")
    return case


@transaction.atomic
def complaint_overdue_reason_set(*, actor, case: Complaint, reason: str) -> Complaint:
    """The branch's reason for an overdue case, published monthly (超时原因)."""
    case = _locked(case)
    _require_branch(actor, case.branch)
    steps.require(case, "overdue-reason")
    case.overdue_reason = _text(reason, Complaint, "overdue_reason", required="请填写超期原因。")
    case.save(update_fields=["overdue_reason", "updated_at"])
    _event(case, EventKind.OVERDUE, actor, f"超期原因：{case.overdue_reason}")
    return case


# ---------------------------------------------------------------- jobs


def complaints_mark_overdue(*, today: datetime.date | None = None, batch: int = 1000) -> int:
    """Mark open cases past their decision limit as overdue (the daily job); running it again marks nothing new."""
    today = today or _today()
    marked = 0
    while True:
        with transaction.atomic():
            cases = list(
                Complaint.objects.select_for_update(skip_locked=True)
                .filter(past_due_q(today), is_overdue=False)
                .only("pk", "decision_due_on")[:batch]
            )
            if not cases:
                return marked
            now = timezone.now()
            for case in cases:
                case.is_overdue, case.overdue_on = True, dl.overdue_on(case.decision_due_on)
            Complaint.objects.bulk_update(cases, ["is_overdue", "overdue_on"])
            CaseEvent.objects.bulk_create(
                CaseEvent(
                    case=c,
                    kind=EventKind.OVERDUE,
                    at=now,
                    message=f"处理期限 {cn(c.decision_due_on)} 已届满，尚未告知客户处理决定，标记为超期",
                )
                for c in cases
            )
            marked += len(cases)


def complaints_recompute_open_deadlines(*, batch: int = 500) -> int:
    """Recompute the deadlines of every open case (after the holiday calendar changed); returns how many changed."""
    calendar = work_calendar()
    changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            cases = list(
                Complaint.objects.select_for_update()
                .filter(status__in=OPEN_STATUSES, pk__gt=last_pk)
                .prefetch_related("extensions", "pauses", "restarts")
                .order_by("pk")[:batch]
            )
            if not cases:
                return changed
            last_pk = cases[-1].pk
            updated, events, now = [], [], timezone.now()
            for case in cases:
                fields = complaint_deadline_fields(
                    case=case,
                    extensions=case.extensions.all(),
                    pauses=case.pauses.all(),
                    restarts=case.restarts.all(),
                    calendar=calendar,
                )
                diff = _working_day_changes(case.deadlines, fields["deadlines"])
                if fields["deadlines"] == case.deadlines and fields["calendar_official"] == case.calendar_official:
                    continue
                for name, value in fields.items():
                    setattr(case, name, value)
                updated.append(case)
                if diff:
                    events.append(
                        CaseEvent(
                            case=case, kind=EventKind.DEADLINES, at=now, message="放假安排调整，期限重算：" + "；".join(diff)
                        )
                    )
            Complaint.objects.bulk_update(updated, DEADLINE_FIELDS)
            CaseEvent.objects.bulk_create(events)
            changed += len(updated)


def _working_day_changes(old: dict, new: dict) -> list[str]:
    out = []
    for key, entry in new.items():
        before = (old.get(key) or {}).get("due_on")
        if before != entry["due_on"] or (old.get(key) or {}).get("official") != entry["official"]:
            mark = "" if entry["official"] else f"（{dl.UNOFFICIAL}）"
            out.append(f"{entry['label']} {_iso_cn(before)} → {_iso_cn(entry['due_on'])}{mark}")
    return out


def _iso_cn(value: str | None) -> str:
    return cn(datetime.date.fromisoformat(value)) if value else "无"


def _met_text(entry: dict) -> str:
    due = _iso_cn(entry["due_on"])
    if entry.get("met") is False:
        return f"期限 {due}，已超期"
    official = "" if entry["official"] else f"（{dl.UNOFFICIAL}）"
    return f"期限 {due}{official}，按期"


# ---------------------------------------------------------------- holiday calendar


def _require_calendar_editor(actor) -> None:
    if not is_officer(actor):
        raise ApplicationError("只有省公司考核人员或管理员可以维护放假安排。")


def _queue_recompute() -> None:
    from complaints import tasks

    transaction.on_commit(lambda: tasks.recompute_open_deadlines.delay())


@transaction.atomic
def calendar_year_import(
    *, actor, year: int, rows: list[tuple[datetime.date, str, str]], notice: str = "", source: str = CalendarSource.IMPORT
) -> CalendarYear:
    """Enter (or replace) one year's official schedule as a whole; open deadlines are recomputed after commit."""
    _require_calendar_editor(actor)
    notice = _text(notice, CalendarYear, "notice")
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(CalendarDay(date=d, kind=kind, name=name) for d, kind, name in rows)
    entry, _ = CalendarYear.objects.update_or_create(
        year=year,
        defaults={"source": source, "notice": notice, "updated_by": actor},
    )
    _queue_recompute()
    return entry


def _require_entered(year: int) -> CalendarYear:
    entry = CalendarYear.objects.filter(year=year).first()
    if entry is None:
        raise ApplicationError(f"{year}年的放假安排尚未录入，请先导入该年的放假安排。")
    return entry


@transaction.atomic
def calendar_day_set(*, actor, day: datetime.date, kind: str, name: str = "") -> CalendarDay:
    """Add or change one holiday or make-up working day of an entered year."""
    _require_calendar_editor(actor)
    entry = _require_entered(day.year)
    _choice(kind, CalendarDayKind, "类型")
    if kind == CalendarDayKind.WORKDAY and day.weekday() < 5:
        raise ApplicationError(f"{cn(day)} 是周一至周五，本来就是工作日，不能标为调休上班。")
    name = _text(name, CalendarDay, "name")
    obj, _ = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    entry.source, entry.updated_by = CalendarSource.OFFICE, actor
    entry.save(update_fields=["source", "updated_by", "updated_at"])
    _queue_recompute()
    return obj


@transaction.atomic
def calendar_day_delete(*, actor, day: datetime.date) -> None:
    """Remove one exception day: the date goes back to the Monday–Friday rule."""
    _require_calendar_editor(actor)
    entry = _require_entered(day.year)
    deleted, _ = CalendarDay.objects.filter(date=day).delete()
    if not deleted:
        raise ApplicationError(f"{cn(day)} 不是已录入的节假日或调休日。")
    entry.source, entry.updated_by = CalendarSource.OFFICE, actor
    entry.save(update_fields=["source", "updated_by", "updated_at"])
    _queue_recompute()


@transaction.atomic
def calendar_seed(*, years: Iterable[int] | None = None, recompute: bool = True) -> list[int]:
    """Enter the years chinesecalendar knows that the office has not entered yet; returns the years seeded."""
    known = set(chinesecalendar_years())
    wanted = sorted(known if years is None else set(years) & known)
    entered = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    seeded = [y for y in wanted if y not in entered]
    CalendarDay.objects.filter(date__year__in=seeded).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, kind=kind, name=name) for y in seeded for d, kind, name in chinesecalendar_rows(y)
    )
    CalendarYear.objects.bulk_create(
        CalendarYear(year=y, source=CalendarSource.PACKAGE, notice="chinesecalendar") for y in seeded
    )
    if seeded and recompute:
        _queue_recompute()
    return seeded
