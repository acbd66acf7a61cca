"""Writes for branch data entry: save and submit a month (optimistic locking), review, notices, office scores.

Every write of a month happens under its MonthlySubmission row: `select_for_update` serialises the
writers on PostgreSQL and the revision check refuses a form loaded before someone else's change,
so nothing is overwritten unseen. Office scores (qualitative, deductions, veto) serialise on the
scheme row, as score runs do. Every change is kept by django-simple-history with who and why.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from branches.models import Branch
from branches.permissions import (
    can_edit_branch_figures,
    can_review_figures,
    can_score_qualitative,
    can_view_branch,
    visible_branch_ids,
)
from core.errors import ApplicationError, ConflictError
from core.uploads import check_attachment
from kpi import selectors as kpi_selectors
from kpi.entries.selectors import (
    REVIEW_FROM,
    EntryLayout,
    check_context,
    edit_refusal,
    events_since,
    month_figures,
    month_is_future,
    review_rows,
)
from kpi.entries.validation import Problem, figures_check, parse_figure
from kpi.models import (
    Deduction,
    MonthlyFigure,
    MonthlySubmission,
    Notice,
    NoticeKind,
    QualitativeScore,
    Scheme,
    SubmissionAction,
    SubmissionEvent,
    SubmissionStatus,
    Veto,
)
from kpi.publishing.services import month_lock_derived
from kpi.scoring.decimals import ZERO, fmt
from kpi.services import recompute_for_figure_change, recompute_on_commit


def _month_text(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def _entry_link(branch: Branch, month: datetime.date) -> str:
    return reverse("kpi:entry-form", args=[branch.code, f"{month:%Y-%m}"])


def _actor(user) -> str:
    return (user.get_full_name() or user.username) if user else "系统"


# ── optimistic locking ─────────────────────────────────────────────────────────────────────────────


def _conflict(submission: MonthlySubmission, revision: int) -> ConflictError:
    """The refusal of a stale form: what changed since it was loaded (old → new, who, when)."""
    events = events_since(submission=submission, revision=revision)
    details, loaded, latest = [], {}, {}
    for e in events:
        details.append(
            {
                "action": e.get_action_display(),
                "actor": _actor(e.actor),
                "at": e.at,
                "comment": e.comment,
                "changes": e.changes,
            }
        )
        for c in e.changes:
            loaded.setdefault(c["component"], c["old"])
            latest[c["component"]] = c["new"]
    who = "、".join(dict.fromkeys(d["actor"] for d in details)) or "他人"
    return ConflictError(
        f"保存未成功：您打开本页之后，{who} 已更新了本月数据（见下方）。为避免覆盖他人的修改，本次没有保存任何数据。"
        "请核对下列变动；页面已载入最新数据并保留了您的输入，确认无误后再保存。",
        extra={"conflict": details, "revision": submission.revision, "loaded": loaded, "latest": latest},
    )


def _locked_submission(*, branch: Branch, month: datetime.date, revision: int) -> MonthlySubmission:
    """The month's submission, row-locked, if it is still at `revision`; otherwise the conflict refusal."""
    MonthlySubmission.objects.get_or_create(branch=branch, month=month)
    submission = MonthlySubmission.objects.select_for_update().get(branch=branch, month=month)
    if submission.revision != revision:
        raise _conflict(submission, revision)
    return submission


def _next_revision(submission: MonthlySubmission, expected: int) -> int:
    """Move to the next revision; the compare-and-set also guards databases without row locks (SQLite)."""
    moved = MonthlySubmission.objects.filter(pk=submission.pk, revision=expected).update(revision=F("revision") + 1)
    if not moved:
        submission.refresh_from_db()
        raise _conflict(submission, expected)
    submission.revision = expected + 1
    return submission.revision


def _event(submission, action, user, *, comment="", changes=None) -> SubmissionEvent:
    return SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        actor=user,
        revision=submission.revision,
        status=submission.status,
        comment=comment,
        changes=changes or [],
    )


# ── saving and submitting a month ──────────────────────────────────────────────────────────────────


@dataclass
class SaveResult:
    submission: MonthlySubmission
    changes: list[dict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    submitted: bool = False


def _write_figures(*, layout, branch, month, values, user, reason) -> list[dict]:
    """Create or update the month's figures that differ from the stored ones; every change keeps its history."""
    existing = month_figures(branch=branch, month=month)
    now = timezone.now()
    creates, updates, changes = [], [], []
    for code in layout.entered:
        new = values.get(code)
        if new is None:
            continue
        figure = existing.get(code)
        if figure is not None and figure.value == new:
            continue
        changes.append(
            {
                "component": code,
                "name": layout.components[code].name,
                "old": None if figure is None else fmt(figure.value),
                "new": fmt(new),
            }
        )
        if figure is None:
            creates.append(
                MonthlyFigure(branch=branch, component=layout.components[code], month=month, value=new, updated_by=user)
            )
        else:
            figure.value, figure.updated_by, figure.updated_at = new, user, now
            updates.append(figure)
    if creates:
        bulk_create_with_history(creates, MonthlyFigure, default_user=user, default_change_reason=reason)
    if updates:
        bulk_update_with_history(
            updates, MonthlyFigure, ["value", "updated_by", "updated_at"], default_user=user, default_change_reason=reason
        )
    return changes


@transaction.atomic
def figures_save(
    *,
    scheme: Scheme,
    layout: EntryLayout,
    branch: Branch,
    month: datetime.date,
    raw: dict[str, str],
    revision: int,
    user,
    submit: bool = False,
    reason: str = "",
) -> SaveResult:
    """Save a month's figures all or nothing, refusing a form loaded before another change; optionally submit them."""
    if not can_edit_branch_figures(user, branch):
        raise PermissionDenied
    if month_is_future(month):
        raise ApplicationError("不能填报未来的月份。")
    submission = _locked_submission(branch=branch, month=month, revision=revision)
    refusal = edit_refusal(user=user, branch=branch, submission=submission)
    if refusal:
        raise ApplicationError(refusal)
    if submission.status == SubmissionStatus.SUBMITTED and submit:
        raise ApplicationError("本月数据已提交。")
    reason = reason.strip()
    if submission.status == SubmissionStatus.SUBMITTED and not reason:
        raise ApplicationError("修改机构已提交的数据，须填写修改说明。", extra={"errors": [Problem("请填写修改说明", "reason")]})
    checked = figures_check(
        layout=layout, context=check_context(scheme=scheme, branch=branch, month=month), raw=raw, require_all=submit
    )
    if not checked.ok:
        raise ApplicationError(
            f"有 {len(checked.errors)} 处错误，未保存。请按提示修改后再保存。",
            extra={"errors": checked.errors, "warnings": checked.warnings},
        )
    default_reason = "提交审核" if submit else ("重新填报" if submission.status == SubmissionStatus.RETURNED else "机构填报")
    changes = _write_figures(
        layout=layout, branch=branch, month=month, values=checked.values, user=user, reason=reason or default_reason
    )
    if not changes and not submit:
        return SaveResult(submission, [], checked.warnings)
    _next_revision(submission, revision)
    if submit:
        submission.status = SubmissionStatus.SUBMITTED
        submission.submitted_by, submission.submitted_at = user, timezone.now()
    submission.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    _event(submission, SubmissionAction.SUBMITTED if submit else SubmissionAction.SAVED, user, comment=reason, changes=changes)
    if submit:
        # The office's own inbox: the province branch's notices are what its officers see.
        Notice.objects.create(
            branch=scheme.province,
            month=month,
            kind=NoticeKind.REVIEW,
            sender=user,
            link=_entry_link(branch, month),
            message=f"{branch.name}已提交{_month_text(month)}的月度数据，请审核。",
        )
    if changes:
        recompute_for_figure_change(year=month.year, month=month.month, branch_ids=[branch.pk], entered_only=True)
    return SaveResult(submission, changes, checked.warnings, submitted=submit)


# ── review: return, approve and lock, reopen ───────────────────────────────────────────────────────


def _review_step(*, branch, month, user, revision, to, action, comment, notice) -> MonthlySubmission:
    if not can_review_figures(user) or not can_view_branch(user, branch):
        raise PermissionDenied
    submission = _locked_submission(branch=branch, month=month, revision=revision)
    if submission.status not in REVIEW_FROM[action]:
        raise ApplicationError(f"本月当前状态为“{submission.get_status_display()}”，不能{SubmissionAction(action).label}。")
    _next_revision(submission, revision)
    submission.status = to
    submission.reviewed_by, submission.reviewed_at, submission.comment = user, timezone.now(), comment
    submission.save(update_fields=["status", "reviewed_by", "reviewed_at", "comment", "updated_at"])
    _event(submission, action, user, comment=comment)
    Notice.objects.create(
        branch=branch, month=month, kind=NoticeKind.REVIEW, message=notice, link=_entry_link(branch, month), sender=user
    )
    return submission


@transaction.atomic
def submission_return(*, branch: Branch, month: datetime.date, user, revision: int, comment: str) -> MonthlySubmission:
    """Send a submitted month back to the branch with the office's comment."""
    comment = comment.strip()
    if not comment:
        raise ApplicationError("退回时须填写退回原因，告诉机构需要修改什么。")
    return _review_step(
        branch=branch,
        month=month,
        user=user,
        revision=revision,
        to=SubmissionStatus.RETURNED,
        action=SubmissionAction.RETURNED,
        comment=comment,
        notice=f"省公司退回了{_month_text(month)}的月度数据：{comment}",
    )


@transaction.atomic
def submission_approve(*, branch: Branch, month: datetime.date, user, revision: int, comment: str = "") -> MonthlySubmission:
    """Approve a submitted month; it is locked from then on."""
    submission = _review_step(
        branch=branch,
        month=month,
        user=user,
        revision=revision,
        to=SubmissionStatus.APPROVED,
        action=SubmissionAction.APPROVED,
        comment=comment.strip(),
        notice=f"{_month_text(month)}的月度数据已审核通过并锁定。",
    )
    month_lock_derived(submission=submission, user=user)
    recompute_for_figure_change(year=month.year, month=month.month, branch_ids=[branch.pk])
    return submission


@transaction.atomic
def submission_reopen(*, branch: Branch, month: datetime.date, user, revision: int, reason: str) -> MonthlySubmission:
    """Unlock an approved month so it can be corrected; needs an officer and a reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("重新打开已锁定的月份须填写原因。")
    submission = _review_step(
        branch=branch,
        month=month,
        user=user,
        revision=revision,
        to=SubmissionStatus.RETURNED,
        action=SubmissionAction.REOPENED,
        comment=reason,
        notice=f"省公司重新打开了{_month_text(month)}的月度数据，请更正后重新提交：{reason}",
    )
    recompute_for_figure_change(year=month.year, month=month.month, branch_ids=[branch.pk])
    return submission


# ── notices ────────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def notices_remind(*, scheme: Scheme, month: datetime.date, user, branch_ids: set[int] | None = None) -> list[Branch]:
    """Remind every branch within the user's scope that has not submitted the month yet (an in-app notice);
    returns the branches reminded."""
    if not can_review_figures(user):
        raise PermissionDenied
    scope = visible_branch_ids(user)
    if scope is not None:
        branch_ids = scope if branch_ids is None else branch_ids & scope
    pending = [r.branch for r in review_rows(scheme=scheme, month=month, branch_ids=branch_ids) if not r.submitted]
    Notice.objects.bulk_create(
        Notice(
            branch=b,
            month=month,
            kind=NoticeKind.REMINDER,
            sender=user,
            link=_entry_link(b, month),
            message=f"请尽快填报并提交{_month_text(month)}的月度数据（{_actor(user)}提醒）。",
        )
        for b in pending
    )
    return pending


def notice_mark_read(*, notice: Notice, user) -> Notice:
    """Mark one of the user's branch's notices read."""
    if notice.branch_id != user.branch_id:
        raise PermissionDenied
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


# ── office scores: qualitative items, deductions, veto ─────────────────────────────────────────────


def _save_with_history(obj, *, user, reason: str) -> None:
    obj._change_reason = reason
    obj._history_user = user
    obj.save()


def _delete_with_history(obj, *, user, reason: str) -> None:
    obj._change_reason = reason
    obj._history_user = user
    obj.delete()


def _office_lock(*, scheme: Scheme, user, branch: Branch) -> Scheme:
    """Office writes of a scheme serialise on its row (as score runs do), so check-then-write is safe."""
    if not can_score_qualitative(user) or not can_view_branch(user, branch):
        raise PermissionDenied
    return Scheme.objects.select_for_update().get(pk=scheme.pk)


@transaction.atomic
def qualitative_scores_save(
    *,
    scheme: Scheme,
    branch: Branch,
    month: int,
    scores: dict[str, str],
    notes: dict[str, str],
    loaded: dict[str, str],
    user,
    reason: str = "",
) -> list[dict]:
    """Score a branch's qualitative items as of `month` within each item's maximum; refuses a stale page."""
    _office_lock(scheme=scheme, user=user, branch=branch)
    version = scheme.version_in_force()
    items = {q.code: q for q in version.qualitative_items.all()}
    current = kpi_selectors.qualitative_as_of(scheme=scheme, month=month).get(branch.pk, {})
    errors, conflicts, writes = [], [], []
    for code, item in items.items():
        if code not in scores:
            continue
        now = current.get(code)
        now_value = now.score if now else None
        was, _ = parse_figure(loaded.get(code), column=SCORE_COLUMN)
        if was != now_value:
            conflicts.append(
                {
                    "item": f"{code} {item.name}",
                    "old": fmt(was) if was is not None else "—",
                    "new": fmt(now_value) if now_value is not None else "—",
                    "actor": _actor(now.history.first().history_user) if now else "—",
                }
            )
            continue
        value, error = parse_figure(scores[code], column=SCORE_COLUMN)
        note = (notes.get(code) or "").strip()
        label = f"{code} {item.name}"
        if error:
            errors.append(Problem(f"{label}：{error}", code))
        elif value is None:
            if now_value is not None:
                errors.append(Problem(f"{label}：已有得分不能清空", code))
        elif value < ZERO or value > item.max_points:
            errors.append(Problem(f"{label}：得分须在 0 至 {fmt(item.max_points)} 分之间", code))
        elif not item.counts_in(month) and value != now_value:
            errors.append(Problem(f"{label}：年末评价项，只能在 12 月评分", code))
        elif value != now_value or (now is not None and note != now.reason):
            writes.append((code, value, note, now_value))
    if conflicts:
        raise ConflictError(
            "保存未成功：您打开本页之后，以下得分已被他人修改。为避免覆盖，本次没有保存任何得分；页面已载入最新得分，请核对后再保存。",
            extra={"conflict": conflicts},
        )
    reason = reason.strip()
    if not errors and not reason and any(old is not None for _, _, _, old in writes):
        errors.append(Problem("修改已有得分，须填写变更原因", "reason"))
    if errors:
        raise ApplicationError(f"有 {len(errors)} 处错误，未保存。", extra={"errors": errors})
    changes = []
    for code, value, note, old in writes:
        score = QualitativeScore.objects.filter(scheme=scheme, branch=branch, item_code=code, month=month).first()
        if score is None:
            score = QualitativeScore(scheme=scheme, branch=branch, item_code=code, month=month)
        score.score, score.reason, score.unpublished = value, note, False
        _save_with_history(score, user=user, reason=reason or "定性评分")
        changes.append({"item": code, "old": None if old is None else fmt(old), "new": fmt(value)})
    if changes:
        recompute_on_commit(scheme=scheme, month=month)
    return changes


def _office_record_save(record, *, user, reason: str, attachment):
    """Save a validated deduction or veto with its attachment and history, and recompute its windows."""
    check_attachment(attachment)
    if attachment is not None:
        record.attachment = attachment
    _save_with_history(record, user=user, reason=reason)
    recompute_on_commit(scheme=record.scheme, month=record.month)
    return record


def _office_record_withdraw(record, *, user, reason: str, missing_reason: str) -> None:
    """Withdraw a deduction or veto with a reason; the record and the reason stay in its history."""
    _office_lock(scheme=record.scheme, user=user, branch=record.branch)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(missing_reason)
    scheme, month = record.scheme, record.month
    _delete_with_history(record, user=user, reason=reason)
    recompute_on_commit(scheme=scheme, month=month)


# A single deduction larger than a whole year's total is a typing error, not a decision.
MAX_DEDUCTION = Decimal(100)
DEDUCTION_COLUMN = Deduction._meta.get_field("points")
DEDUCTION_SIGN = "扣分请填正数：填 4 表示减 4 分（不要加负号）"
SCORE_COLUMN = QualitativeScore._meta.get_field("score")


@transaction.atomic
def deduction_add(*, scheme: Scheme, branch: Branch, month: int, points: str, reason: str, user, attachment=None) -> Deduction:
    """Record a deduction (减分) with its reason.

    One rule for the sign: the field holds the points taken off (扣分), typed as a positive number;
    "4" is stored as −4 and "-4" is refused, so a typed minus can never mean two things.
    """
    _office_lock(scheme=scheme, user=user, branch=branch)
    value, error = parse_figure(points, column=DEDUCTION_COLUMN, label="扣分")
    reason = reason.strip()
    problems = []
    if error or value is None or value == ZERO:
        problems.append(Problem(error or "请填写扣分分值（不能为 0）", "points"))
    elif value < ZERO:
        problems.append(Problem(DEDUCTION_SIGN, "points"))
    elif value > MAX_DEDUCTION:
        problems.append(Problem(f"单项扣分不能超过 {MAX_DEDUCTION} 分", "points"))
    if not reason:
        problems.append(Problem("请填写扣分原因", "reason"))
    if problems:
        raise ApplicationError("减分项未保存。", extra={"errors": problems})
    return _office_record_save(
        Deduction(scheme=scheme, branch=branch, month=month, points=-value, reason=reason),
        user=user,
        reason=reason,
        attachment=attachment,
    )


@transaction.atomic
def deduction_delete(*, deduction: Deduction, reason: str, user) -> None:
    """Withdraw a deduction; the record and the reason stay in its history."""
    _office_record_withdraw(deduction, user=user, reason=reason, missing_reason="撤销减分项须填写原因。")


@transaction.atomic
def veto_set(*, scheme: Scheme, branch: Branch, month: int, reason: str, user, attachment=None) -> Veto:
    """Record the veto (一票否决) of a branch for the year, with its reason."""
    _office_lock(scheme=scheme, user=user, branch=branch)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("一票否决须填写原因。", extra={"errors": [Problem("请填写原因", "reason")]})
    if Veto.objects.filter(scheme=scheme, branch=branch).exists():
        raise ApplicationError("该机构本年度已有一票否决记录。")
    return _office_record_save(
        Veto(scheme=scheme, branch=branch, month=month, reason=reason), user=user, reason=reason, attachment=attachment
    )


@transaction.atomic
def veto_revoke(*, veto: Veto, reason: str, user) -> None:
    """Withdraw a veto; the record and the reason stay in its history."""
    _office_record_withdraw(veto, user=user, reason=reason, missing_reason="撤销一票否决须填写原因。")
