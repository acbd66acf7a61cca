"""Writes of official league tables: publish a window, lock an approved month's complaint figures, and
decide on a complaint change that would alter an approved month."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from branches.models import Branch
from branches.permissions import can_publish_league
from core.errors import ApplicationError
from kpi import selectors
from kpi.models import (
    Component,
    CorrectionDecision,
    DerivedCorrection,
    LockedDerivedFigure,
    MonthlySubmission,
    Notice,
    NoticeKind,
    Publication,
    Scheme,
    SubmissionAction,
    SubmissionEvent,
    SubmissionStatus,
)
from kpi.publishing.selectors import run_diff, window_slug
from kpi.templatetags.kpi_format import ytd_label

NOTE_MAX = 500
REASON_MAX = 300


def _text(value: str, *, name: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(f"请填写{name}。")
    if len(value) > limit:
        raise ApplicationError(f"{name}不能超过 {limit} 个字（现为 {len(value)} 个字）。")
    return value


@transaction.atomic
def window_publish(*, scheme: Scheme, month: int, user, note: str, reference: str = "") -> Publication:
    """Freeze the window's live table as its next published revision; the branches are told.

    The run is serialised with recomputes on the scheme row, so what is published is exactly the table
    the office looked at or a newer complete one, never half of one.
    """
    if not can_publish_league(user, scheme.province):
        raise PermissionDenied
    note = _text(note, name="发布说明", limit=NOTE_MAX)
    Scheme.objects.select_for_update().get(pk=scheme.pk)
    run = selectors.current_run(scheme=scheme, month=month)
    if run is None:
        raise ApplicationError(f"{ytd_label(month)}尚未计分，不能发布。")
    previous = Publication.objects.filter(scheme=scheme, month=month).order_by("-revision").select_related("run").first()
    changes = []
    if previous is not None:
        changes = [c.as_json() for c in run_diff(previous.run, run)]
        if not changes:
            raise ApplicationError(f"试算结果与已发布的第{previous.revision}版完全相同，无需重新发布。")
    revision = previous.revision + 1 if previous else 1
    publication = Publication(
        scheme=scheme, month=month, revision=revision, run=run, published_by=user, published_at=timezone.now(),
        note=note, reference=reference.strip()[:200], changes=changes,
    )
    publication._change_reason = note
    publication.save()
    link = reverse("kpi:league-window", args=[scheme.code, window_slug(scheme, month), publication.slug])
    text = f"{scheme.name} {ytd_label(month)}排名已发布" + (f"第{revision}版（更正第{revision - 1}版）" if previous else "")
    Notice.objects.bulk_create(
        Notice(branch=b, kind=NoticeKind.PUBLICATION, message=f"{text}：{note}"[:500], link=link, sender=user)
        for b in selectors.scored_branches(scheme=scheme)
    )
    return publication


def month_lock_derived(*, submission: MonthlySubmission, user=None) -> None:
    """Lock the complaint-derived components of an approved branch × month at their present values, with
    the entered ones: later case changes wait as corrections for the office instead of moving the month."""
    months_lock_derived(submissions=[submission], user=user)


def months_lock_derived(*, submissions: list[MonthlySubmission], user=None) -> None:
    """month_lock_derived for many approved months at once (the same few queries however many)."""
    if not submissions:
        return
    months = [s.month for s in submissions]
    live = selectors.live_derived_figures(
        branch_ids=list({s.branch_id for s in submissions}), start=min(months), end=max(months)
    )
    codes = dict(Branch.objects.filter(pk__in={s.branch_id for s in submissions}).values_list("pk", "code"))
    values = {(r.branch, r.month, r.component): r.value for r in live.itertuples()}
    components = list(Component.objects.filter(source="derived"))
    keys = Q()
    for s in submissions:
        keys |= Q(branch_id=s.branch_id, month=s.month)
    LockedDerivedFigure.objects.filter(keys).delete()
    bulk_create_with_history(
        [
            LockedDerivedFigure(branch_id=s.branch_id, component=c, month=s.month,
                                value=values.get((codes[s.branch_id], s.month, c.code), Decimal(0)))
            for s in submissions for c in components
        ],
        LockedDerivedFigure, default_user=user, default_change_reason="月度数据审核锁定",
    )
    MonthlySubmission.objects.filter(pk__in=[s.pk for s in submissions]).update(derived_locked_at=timezone.now())


def _pending(branch: Branch, month: datetime.date, component_code: str):
    from kpi.publishing.selectors import pending_corrections

    found = [p for p in pending_corrections(branch_ids=[branch.pk], start=month, end=month) if p.component.code == component_code]
    if not found:
        raise ApplicationError("该项已没有待处理的更正（可能已被处理，或投诉数据又恢复原值），请刷新页面。")
    return found[0]


def _expect(pending, expected: str) -> None:
    try:
        same = Decimal(expected) == pending.live
    except (ArithmeticError, ValueError, TypeError):
        same = False
    if not same:
        raise ApplicationError(f"投诉数据又有变化（现为 {pending.live.normalize():f}），请刷新页面后再处理。")


@transaction.atomic
def correction_accept(*, branch: Branch, month: datetime.date, component_code: str, expected: str, user, reason: str = ""):
    """Take a complaint change into an approved month: its locked figure becomes the cases' count; the
    month's timeline records it and the windows containing the month recompute (published ones wait for
    the office to republish)."""
    from kpi.services import recompute_for_figure_change

    if not can_publish_league(user, branch):
        raise PermissionDenied
    submission = MonthlySubmission.objects.select_for_update().filter(branch=branch, month=month).first()
    pending = _pending(branch, month, component_code)
    _expect(pending, expected)
    reason = (reason or "").strip()[:REASON_MAX] or "接受投诉数据更正"
    figure, _ = LockedDerivedFigure.objects.get_or_create(
        branch=branch, month=month, component=pending.component, defaults={"value": Decimal(0)}
    )
    figure.value = pending.live
    figure._change_reason = reason
    figure._history_user = user
    figure.save()
    DerivedCorrection.objects.create(
        branch=branch, month=month, component=pending.component, locked_value=pending.locked, live_value=pending.live,
        decision=CorrectionDecision.ACCEPTED, reason=reason, decided_by=user,
    )
    submission.revision += 1
    submission.save(update_fields=["revision", "updated_at"])
    SubmissionEvent.objects.create(
        submission=submission, action=SubmissionAction.CORRECTED, actor=user, revision=submission.revision,
        status=SubmissionStatus.APPROVED, comment=reason,
        changes=[{"component": pending.component.code, "name": pending.component.name,
                  "old": f"{pending.locked.normalize():f}", "new": f"{pending.live.normalize():f}"}],
    )
    recompute_for_figure_change(year=month.year, month=month.month, branch_ids=[branch.pk])
    return figure


@transaction.atomic
def correction_leave(*, branch: Branch, month: datetime.date, component_code: str, expected: str, user, reason: str):
    """Leave an approved month as it was locked despite a complaint change, with a reason; the notice goes
    away until the cases change again."""
    if not can_publish_league(user, branch):
        raise PermissionDenied
    reason = _text(reason, name="不予调整的原因", limit=REASON_MAX)
    pending = _pending(branch, month, component_code)
    _expect(pending, expected)
    return DerivedCorrection.objects.create(
        branch=branch, month=month, component=pending.component, locked_value=pending.locked, live_value=pending.live,
        decision=CorrectionDecision.LEFT, reason=reason, decided_by=user,
    )
