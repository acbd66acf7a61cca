"""The one table of complaint handling steps: name → allowed states → guards → input fields → service.

It drives everything a step has (issue 8, item 10), so the case page and the API cannot disagree:
- the services call `require(case, name)` before they change anything (one refusal message per rule);
- the case page offers a step exactly when `refusal(case, name)` is None, and builds its form from
  `inputs` (complaints.forms.step_form_class);
- the API builds each step's input serializer from the same `inputs`
  (complaints.api.serializers.step_input_class) and mounts one endpoint per name;
- the page's URL `/complaints/<pk>/steps/<name>/` and the API's `/api/v1/complaints/<pk>/<name>/` use
  the same names (the page's old names are kept as aliases in `ALIASES`).

Text inputs are bounded by their model column (`column`), or by `LONG_TEXT` when the column has no
limit; required text is refused by the service with its own message, so the field itself is optional.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaints import deadlines as dl
from complaints.choices import OPEN_STATUSES, NoticeMethod, PauseKind, Satisfaction, Status
from complaints.models import ClockRestart, Complaint, Extension, Pause, RepeatCall
from core.errors import ApplicationError

LONG_TEXT = 2000  # a TextField column: long enough for a decision, bounded all the same
SHORT_NOTE = 300  # notes that only go into the timeline


@dataclass(frozen=True)
class Input:
    """One input of a step: kind is date, datetime, text, choice, bool, user or case_number."""

    name: str
    kind: str
    label: str
    required: bool = True
    column: tuple[type, str] | None = None
    max_length: int | None = None
    choices: type | None = None
    param: str | None = None  # the service's keyword when it differs from the field's name
    multiline: bool = False
    help_text: str = ""

    @property
    def length(self) -> int | None:
        if self.kind == "case_number":
            return Complaint._meta.get_field("number").max_length
        if self.kind != "text":
            return None
        if self.column is not None:
            return self.column[0]._meta.get_field(self.column[1]).max_length or LONG_TEXT
        return self.max_length or SHORT_NOTE

    @property
    def keyword(self) -> str:
        return self.param or self.name


Guard = tuple[Callable[[Complaint], bool], str]


@dataclass(frozen=True)
class Step:
    """One handling step; `states` None means any status, `guards` are (condition that must hold, refusal)."""

    name: str
    label: str
    summary: str
    service: str  # a function of complaints.services, called with actor, case and the inputs
    action: str  # “不能{action}”
    states: tuple[str, ...] | None
    guards: tuple[Guard, ...] = ()
    inputs: tuple[Input, ...] = ()
    initial: Callable[[Complaint], dict] | None = None
    style: str = "primary"


# ---------------------------------------------------------------- conditions on a case


def _running_pause(case: Complaint) -> bool:
    return any(p.ended_on is None for p in case.pauses.all())


def _can_extend(case: Complaint) -> bool:
    extensions = [dl.Extension(e.granted_on, e.limit_days, e.approver, e.reason) for e in case.extensions.all()]
    return dl.next_extension_limit(dl.limit_in_force(case.clock_started_on, extensions)) is not None


def _sheet_pending(case: Complaint) -> bool:
    return bool(case.joint_sheet_sent_on) and not case.joint_sheet_answered_on


MATERIAL_INCOMPLETE = (lambda c: not c.material_complete, "本案登记时材料齐全，无需补正。")


def _date(name, label, **kwargs) -> Input:
    return Input(name, "date", label, **kwargs)


def _text(name, label, **kwargs) -> Input:
    return Input(name, "text", label, required=False, **kwargs)


OPEN = tuple(OPEN_STATUSES)
HANDLING = (Status.ACCEPTED, Status.INVESTIGATING)

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "material-request",
            _("告知补正材料"),
            "告知补正材料（5个工作日内）",
            "complaint_material_request",
            "告知补正材料",
            (Status.RECEIVED,),
            (MATERIAL_INCOMPLETE, (lambda c: not c.material_requested_on, "已告知过补正材料：补正材料应一次性告知。")),
            (_date("requested_on", _("告知补正日期")),),
        ),
        Step(
            "material-complete",
            _("材料补正齐全"),
            "材料补正齐全（10个工作日内告知是否受理）",
            "complaint_material_complete",
            "登记材料补正",
            (Status.RECEIVED,),
            (MATERIAL_INCOMPLETE, (lambda c: not c.material_completed_on, "已登记材料补正齐全。")),
            (_date("completed_on", _("材料补正齐全日期")),),
        ),
        Step(
            "accept",
            _("受理"),
            "受理",
            "complaint_accept",
            "受理",
            (Status.RECEIVED,),
            ((lambda c: c.material_complete or bool(c.material_completed_on), "投诉材料不全且尚未补正齐全，不能受理。"),),
            (_date("accepted_on", _("受理日期")), Input("handler", "user", _("经办人"), required=False)),
        ),
        Step(
            "investigate",
            _("开始调查"),
            "开始调查",
            "complaint_investigate",
            "开始调查",
            (Status.ACCEPTED,),
            inputs=(_text("note", _("调查安排")),),
        ),
        Step(
            "assign",
            _("指定经办人"),
            "指定经办人",
            "complaint_assign",
            "指定经办人",
            OPEN,
            inputs=(Input("handler", "user", _("经办人")),),
            style="secondary",
        ),
        Step(
            "joint-sheet",
            _("发出会办单"),
            "发出会办单（5个工作日内回复）",
            "complaint_joint_sheet_send",
            "发出会办单",
            OPEN,
            ((lambda c: not _sheet_pending(c), "已有会办单尚未回复。"),),
            (_date("sent_on", _("会办单发出日期")),),
            style="secondary",
        ),
        Step(
            "joint-sheet-answer",
            _("会办单回复"),
            "会办单回复",
            "complaint_joint_sheet_answer",
            "登记会办单回复",
            None,
            ((_sheet_pending, "没有待回复的会办单。"),),
            (_date("answered_on", _("会办单回复日期")),),
        ),
        Step(
            "extend",
            _("延期"),
            "延期（15→30→60日，须批准人和原因）",
            "complaint_extend",
            "延期",
            OPEN,
            (
                (lambda c: not _running_pause(c), "中止计时期间不能延期，请先恢复计时。"),
                (_can_extend, "处理期限已延长至60日，不能再延期。"),
            ),
            (
                _date("granted_on", _("批准日期")),
                _text("approver", _("批准人"), column=(Extension, "approver"), help_text="批准人（必填）"),
                _text("reason", _("延期原因"), column=(Extension, "reason"), multiline=True, help_text="延期原因（必填）"),
            ),
            style="warning",
        ),
        Step(
            "pause",
            _("中止计时"),
            "中止计时（外部鉴定、调解）",
            "complaint_pause",
            "中止计时",
            OPEN,
            ((lambda c: not _running_pause(c), "已有进行中的中止计时，请先恢复计时。"),),
            (
                Input("kind", "choice", _("中止原因"), choices=PauseKind),
                _date("started_on", _("开始日期")),
                _text("note", _("说明"), column=(Pause, "note")),
            ),
            style="secondary",
        ),
        Step(
            "resume",
            _("恢复计时"),
            "恢复计时",
            "complaint_resume",
            "恢复计时",
            None,
            ((_running_pause, "没有进行中的中止计时。"),),
            (_date("ended_on", _("恢复计时日期")),),
        ),
        Step(
            "restart",
            _("重新计时（新的事实和理由）"),
            "收到新的事实和理由，重新计时",
            "complaint_restart",
            "重新计时",
            OPEN,
            inputs=(
                _date("restarted_on", _("收到新事实和理由的日期")),
                _text("reason", _("新的事实和理由"), column=(ClockRestart, "reason"), multiline=True),
            ),
            style="secondary",
        ),
        Step(
            "decide",
            _("作出处理决定"),
            "作出处理决定",
            "complaint_decide",
            "作出处理决定",
            HANDLING,
            ((lambda c: not _running_pause(c), "中止计时尚未结束，请先恢复计时再作出决定。"),),
            (
                _date("decided_on", _("决定日期")),
                _text("decision", _("处理决定"), column=(Complaint, "decision"), multiline=True),
                _text("reasons", _("决定理由"), column=(Complaint, "decision_reasons"), multiline=True),
            ),
        ),
        Step(
            "notify",
            _("告知客户"),
            "告知客户处理决定",
            "complaint_notify",
            "告知客户",
            (Status.DECIDED,),
            inputs=(
                _date("notice_on", _("告知日期")),
                Input("notice_method", "choice", _("告知方式"), choices=NoticeMethod, param="method"),
            ),
        ),
        Step(
            "close", _("结案"), "结案", "complaint_close", "结案", (Status.NOTIFIED,), inputs=(_date("closed_on", _("结案日期")),)
        ),
        Step(
            "callback",
            _("满意度回访"),
            "满意度回访",
            "complaint_callback",
            "登记满意度回访",
            (Status.NOTIFIED, Status.CLOSED),
            inputs=(
                _date("callback_on", _("回访日期")),
                Input("satisfaction", "choice", _("满意度"), choices=Satisfaction),
            ),
            style="secondary",
        ),
        Step(
            "repeat-calls",
            _("登记重复来电"),
            "登记重复来电",
            "complaint_repeat_call_log",
            "登记重复来电",
            None,
            ((lambda c: c.status != Status.MERGED, "已合并的案件请在被并入的案件上登记来电。"),),
            (Input("called_at", "datetime", _("来电时间")), _text("note", _("来电内容"), column=(RepeatCall, "note"))),
            style="secondary",
        ),
        Step(
            "mediation",
            _("调解情况"),
            "登记调解情况",
            "complaint_mediation_update",
            "登记调解",
            None,
            ((lambda c: c.counts_in_figures, "已合并或受理前撤回的案件不能登记调解。"),),
            (
                _date("mediation_required_on", _("认定应调解日期"), required=False),
                _date("mediated_on", _("调解日期"), required=False),
                _date("agreement_on", _("达成调解协议日期"), required=False),
                _date("agreement_executed_on", _("调解协议履行日期"), required=False),
            ),
            initial=lambda c: {
                "mediation_required_on": c.mediation_required_on,
                "mediated_on": c.mediated_on,
                "agreement_on": c.agreement_on,
                "agreement_executed_on": c.agreement_executed_on,
            },
            style="secondary",
        ),
        Step(
            "major",
            _("重大投诉标记"),
            "重大投诉标记",
            "complaint_flag_major",
            "标记重大投诉",
            None,
            inputs=(
                Input("is_major", "bool", _("重大投诉")),
                _text("reason", _("情形说明"), column=(Complaint, "major_reason")),
            ),
            initial=lambda c: {"is_major": c.is_major, "reason": c.major_reason},
            style="secondary",
        ),
        Step(
            "overdue-reason",
            _("填写超期原因"),
            "填写超期原因",
            "complaint_overdue_reason_set",
            "填写超期原因",
            None,
            ((lambda c: c.is_overdue, "本案未超期。"),),
            (_text("reason", _("超期原因"), column=(Complaint, "overdue_reason"), multiline=True),),
            initial=lambda c: {"reason": c.overdue_reason},
            style="secondary",
        ),
        Step(
            "withdraw",
            _("客户撤回"),
            "客户撤回",
            "complaint_withdraw",
            "撤回",
            OPEN,
            inputs=(_date("withdrawn_on", _("撤回日期")), _text("reason", _("说明"))),
            style="danger",
        ),
        Step(
            "merge",
            _("合并为重复投诉"),
            "作为重复投诉并入另一案件",
            "complaint_merge_by_number",
            "合并",
            (Status.RECEIVED, Status.ACCEPTED, Status.INVESTIGATING),
            inputs=(
                Input("into", "case_number", _("并入案件编号"), help_text="被并入案件的编号"),
                _date("merged_on", _("合并日期")),
                Input("new_facts", "bool", _("有新的事实和理由（被并入案件重新计时）"), required=False),
                _text("reason", _("说明")),
            ),
            style="danger",
        ),
    )
}

# Names the case page used before the table; their URLs keep working.
ALIASES = {"joint-sheet-send": "joint-sheet", "repeat-call": "repeat-calls"}


def get(name: str) -> Step | None:
    """The step of a URL name (or an old alias), None if there is none."""
    return STEPS.get(ALIASES.get(name, name))


def refusal(case: Complaint, name: str) -> str | None:
    """Why the step cannot be taken on the case now (Chinese), or None when it can."""
    step = STEPS[name]
    if step.states is not None and case.status not in step.states:
        return f"案件当前状态为“{Status(case.status).label}”，不能{step.action}。"
    for holds, message in step.guards:
        if not holds(case):
            return message
    return None


def require(case: Complaint, name: str) -> None:
    """Refuse the step with its message unless the table allows it on the case now (services call this)."""
    message = refusal(case, name)
    if message is not None:
        raise ApplicationError(message)


def run(name: str, *, actor, case: Complaint, data: dict):
    """Call the step's service with the parsed inputs (form or serializer field names)."""
    from complaints import services

    step = STEPS[name]
    kwargs = {i.keyword: data[i.name] for i in step.inputs if i.name in data}
    return getattr(services, step.service)(actor=actor, case=case, **kwargs)
