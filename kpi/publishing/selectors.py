"""Reads of official league tables: which window a user sees, what changed since it was published, and why.

A window is a scheme × January..month. Its *live* table is the current run, recomputed whenever data
changes; its *published* revisions are runs the office froze (Publication), which never change.
Branch staff see published revisions only; the office also sees the live table.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.urls import reverse

from branches.models import Branch
from branches.permissions import is_officer
from kpi import selectors
from kpi.choices import SchemeStatus, TargetKind
from kpi.models import (
    BranchScore,
    Component,
    CorrectionDecision,
    Deduction,
    DerivedCorrection,
    LockedDerivedFigure,
    MonthlySubmission,
    Publication,
    QualitativeScore,
    Scheme,
    ScoreRun,
    StoredCell,
    SubmissionEvent,
    SubmissionStatus,
    TargetOverride,
    Veto,
)
from kpi.templatetags.kpi_format import ytd_label

LIVE = "live"
_WINDOW = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_REVISION = re.compile(r"^r([0-9]{1,4})$")


def can_see_live(user) -> bool:
    """The live (provisional) table is the office's working copy; branches are ranked on published ones."""
    return is_officer(user)


def window_slug(scheme: Scheme, month: int) -> str:
    """A window's part of its address: the year and last month, e.g. 2023-08 for 1–8月 of 2023."""
    return f"{scheme.year}-{month:02d}"


def month_of_window(scheme: Scheme, text: str) -> int:
    """The last month of a window address of this scheme's year; 404 for anything else."""
    match = _WINDOW.match(text or "")
    if not match or int(match[1]) != scheme.year or not 1 <= int(match[2]) <= 12:
        raise Http404("没有这个考核窗口")
    return int(match[2])


def revision_of(text: str) -> int | None:
    """'r2' → 2, 'live' → None; 404 for anything else."""
    if text == LIVE:
        return None
    match = _REVISION.match(text or "")
    if not match or int(match[1]) < 1:
        raise Http404("没有这个发布版次")
    return int(match[1])


@dataclass
class Window:
    """One league table a user looks at: a published revision of a window, or its live table."""

    scheme: Scheme
    month: int
    run: ScoreRun | None
    publication: Publication | None
    revisions: list[Publication]

    @property
    def is_live(self) -> bool:
        return self.publication is None

    @property
    def slug(self) -> str:
        return window_slug(self.scheme, self.month)

    @property
    def revision_slug(self) -> str:
        return LIVE if self.publication is None else self.publication.slug

    @property
    def latest(self) -> Publication | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def is_latest_revision(self) -> bool:
        return self.publication is not None and self.publication == self.latest

    @property
    def label(self) -> str:
        return ytd_label(self.month)

    def url(self, *parts: str) -> str:
        """The stable address of this table, of a branch in it, or of one cell's explanation."""
        names = {0: "kpi:league-window", 1: "kpi:league-branch", 2: "kpi:league-cell"}
        return reverse(names[len(parts)], args=[self.scheme.code, self.slug, self.revision_slug, *parts])


def window_revisions(*, scheme: Scheme, month: int) -> list[Publication]:
    return list(
        Publication.objects.filter(scheme=scheme, month=month).select_related("published_by", "run").order_by("revision")
    )


def published_months(*, scheme: Scheme) -> list[int]:
    return sorted(set(Publication.objects.filter(scheme=scheme).values_list("month", flat=True)))


def window_get(
    *, user, scheme: Scheme, month: int, revision: int | None = None, live: bool = False, fallback_live: bool = True
) -> Window:
    """The table a user asked for: a revision, the live table (office only), or by default the latest
    published revision (on pages the office falls back to the live table of a window not yet published)."""
    revisions = window_revisions(scheme=scheme, month=month)
    if live or (revision is None and not revisions and fallback_live and can_see_live(user)):
        if not can_see_live(user):
            raise Http404("试算结果只对省公司开放")
        run = selectors.current_run(scheme=scheme, month=month)
        if run is None:
            raise Http404("该窗口尚未计分")
        return Window(scheme, month, run, None, revisions)
    if revision is None:
        if not revisions:
            raise Http404("该窗口尚未发布" + ("；试算结果请加 live=true" if can_see_live(user) else ""))
        publication = revisions[-1]
    else:
        publication = next((p for p in revisions if p.revision == revision), None)
        if publication is None:
            raise Http404("没有这个发布版次")
    return Window(scheme, month, publication.run, publication, revisions)


def landing_window(*, user, scheme: Scheme) -> Window | None:
    """Where a user lands: the latest published window; the office, before anything is published, the latest live one."""
    months = published_months(scheme=scheme)
    if months:
        return window_get(user=user, scheme=scheme, month=months[-1])
    computed = selectors.computed_months(scheme=scheme)
    if computed and can_see_live(user):
        return window_get(user=user, scheme=scheme, month=computed[-1], live=True)
    return None


@dataclass
class MenuEntry:
    month: int
    label: str
    revisions: int
    live: bool
    url: str


def window_menu(*, user, scheme: Scheme) -> list[MenuEntry]:
    """Every window the user may open: published ones for everyone, and for the office the live ones too."""
    published: dict[int, int] = {}
    for month, revision in Publication.objects.filter(scheme=scheme).values_list("month", "revision"):
        published[month] = max(revision, published.get(month, 0))
    live = set(selectors.computed_months(scheme=scheme)) if can_see_live(user) else set()
    out = []
    for month in sorted(set(published) | live):
        slug = window_slug(scheme, month)
        url = reverse("kpi:league-latest", args=[scheme.code, slug])
        out.append(MenuEntry(month, ytd_label(month), published.get(month, 0), month in live, url))
    return out


# ── what a live table would change in the published one ──────────────────────────────────────────────


@dataclass
class CellChange:
    code: str
    name: str
    old: Decimal | None
    new: Decimal | None


@dataclass
class BranchChange:
    """One branch whose total, rank or indicator points differ between two tables."""

    branch: str
    name: str
    old_total: Decimal | None
    new_total: Decimal | None
    old_rank: int | None
    new_rank: int | None
    cells: list[CellChange] = field(default_factory=list)

    def as_json(self) -> dict:
        text = lambda v: None if v is None else f"{v}"  # noqa: E731
        return {
            "branch": self.branch, "name": self.name, "old_total": text(self.old_total), "new_total": text(self.new_total),
            "old_rank": self.old_rank, "new_rank": self.new_rank,
            "cells": [{"code": c.code, "name": c.name, "old": text(c.old), "new": text(c.new)} for c in self.cells],
        }


def _scores(run: ScoreRun) -> dict[str, tuple]:
    """Each branch's (name, total, rank, stored cells) of a run, as values: no model object per row."""
    rows = run.branch_scores.values_list("branch__code", "branch__name", "total", "rank", "cells")
    return {code: (name, total, rank, cells or []) for code, name, total, rank, cells in rows}


def _points(cells: list) -> dict[str, Decimal]:
    return {c.indicator_code: c.points for c in map(StoredCell.from_row, cells)}


def run_diff(old: ScoreRun, new: ScoreRun) -> list[BranchChange]:
    """Every branch whose total, rank or any indicator's points differ from `old` to `new`, in the new rank order.

    A branch whose total, rank and stored cells are the same text in both runs is passed over without reading its
    cells (most of a republished window's 4,500 branches)."""
    if old.pk == new.pk:
        return []
    before, after = _scores(old), _scores(new)
    names = dict(new.version.indicators.values_list("code", "name"))
    changes = []
    for code in sorted(set(before) | set(after), key=lambda c: (after[c][2] if c in after else 10**6, c)):
        was, now = before.get(code), after.get(code)
        if was is not None and now is not None and was[1:] == now[1:]:
            continue
        cells_old, cells_new = _points(was[3]) if was else {}, _points(now[3]) if now else {}
        cells = [
            CellChange(ind, names.get(ind, ind), cells_old.get(ind), cells_new.get(ind))
            for ind in dict.fromkeys([*cells_new, *cells_old])
            if cells_old.get(ind) != cells_new.get(ind)
        ]
        old_total, new_total = (was[1] if was else None), (now[1] if now else None)
        old_rank, new_rank = (was[2] if was else None), (now[2] if now else None)
        if cells or old_total != new_total or old_rank != new_rank:
            changes.append(BranchChange(code, (now or was)[0], old_total, new_total, old_rank, new_rank, cells))
    return changes


@dataclass
class Cause:
    """Something that changed after a window was published and may move its table."""

    at: datetime.datetime
    what: str
    link: str


@dataclass
class Restatement:
    """The notice on a published window whose data changed: what the live table would change, and why."""

    publication: Publication
    changes: list[BranchChange]
    causes: list[Cause]
    corrections: list["PendingCorrection"]

    @property
    def needed(self) -> bool:
        return bool(self.changes or self.corrections)

    @property
    def shown_changes(self) -> list[BranchChange]:
        """The changes the notice lists (the first RESTATEMENT_SHOWN, in the live table's order)."""
        return self.changes[:RESTATEMENT_SHOWN]

    @property
    def more_changes(self) -> int:
        return max(0, len(self.changes) - RESTATEMENT_SHOWN)


# The office's notice lists this many changed branches; the rest are counted (a republish records them all).
RESTATEMENT_SHOWN = 20


def restatement(*, scheme: Scheme, month: int) -> Restatement | None:
    """For the latest published revision of a window: the live table's differences, their causes and the
    complaint corrections waiting on approved months; None when the window was never published."""
    revisions = window_revisions(scheme=scheme, month=month)
    if not revisions:
        return None
    publication = revisions[-1]
    live = selectors.current_run(scheme=scheme, month=month)
    changes = run_diff(publication.run, live) if live else []
    start, end = selectors.window_months(scheme.year, month)
    ids = list(selectors.scored_branches(scheme=scheme).values_list("pk", flat=True))
    corrections = pending_corrections(branch_ids=ids, start=start, end=end)
    causes = restatement_causes(scheme=scheme, month=month, since=publication.published_at, branch_ids=ids)
    return Restatement(publication, changes, causes, corrections)


def restatement_causes(*, scheme: Scheme, month: int, since: datetime.datetime, branch_ids: list[int]) -> list[Cause]:
    """What changed after `since` in the data behind the window: months reviewed or corrected, complaint
    cases, targets, the office's scores, the scheme."""
    from complaints.models import Complaint
    from complaints.selectors import in_figure_months_q

    start, end = selectors.window_months(scheme.year, month)
    causes: list[Cause] = []
    events = SubmissionEvent.objects.filter(
        at__gt=since, submission__branch_id__in=branch_ids, submission__month__range=(start, end)
    ).select_related("submission__branch", "actor")
    for e in events:
        s = e.submission
        causes.append(Cause(
            e.at, f"{s.branch.name} {s.month:%Y年%-m月}：{e.get_action_display()}{'（' + e.comment + '）' if e.comment else ''}",
            reverse("kpi:entry-history", args=[s.branch.code, f"{s.month:%Y-%m}"]),
        ))
    subtree = set(Branch.roots_of_subtrees(branch_ids))
    for case in Complaint.objects.filter(in_figure_months_q(start, end), branch_id__in=subtree, updated_at__gt=since).select_related("branch"):
        causes.append(Cause(
            case.updated_at, f"投诉 {case.number}（{case.branch.name}，{case.received_on:%Y年%-m月%-d日}收到）有变动",
            reverse("complaints:case-detail", args=[case.pk]),
        ))
    history = reverse("kpi:history")
    for r in TargetOverride.history.filter(scheme_id=scheme.pk, month=month, history_date__gt=since):
        causes.append(Cause(r.history_date, f"考核值调整：{r.indicator_code} = {r.value}（{r.reason}）", f"{history}?kind=overrides"))
    names = dict(Branch.objects.filter(pk__in=branch_ids).values_list("pk", "name"))
    for model, kind, label in ((QualitativeScore, "qualitative", "定性评分"), (Deduction, "deductions", "减分项"), (Veto, "vetoes", "一票否决")):
        for r in model.history.filter(scheme_id=scheme.pk, month__lte=month, branch_id__in=branch_ids, history_date__gt=since):
            causes.append(Cause(r.history_date, f"{names.get(r.branch_id)} {label}有变动（{r.history_change_reason or '未填原因'}）", f"{history}?kind={kind}"))
    for v in scheme.versions.filter(status=SchemeStatus.PUBLISHED, published_at__gt=since):
        causes.append(Cause(v.published_at, f"方案发布了新版本 v{v.number}", f"{history}?kind=scheme"))
    return sorted(causes, key=lambda c: c.at)


# ── complaint changes waiting on approved months ─────────────────────────────────────────────────────


@dataclass
class PendingCorrection:
    """A complaint-derived component of an approved month whose cases now count differently."""

    branch: Branch
    month: datetime.date
    component: Component
    locked: Decimal
    live: Decimal
    cases: list = field(default_factory=list)

    @property
    def cases_query(self) -> str:
        from complaints.selectors import derived_case_query

        return derived_case_query(component=self.component.code, branch_code=self.branch.code, start=self.month, end=self.month)


def pending_corrections(*, branch_ids, start: datetime.date, end: datetime.date) -> list[PendingCorrection]:
    """Every locked derived figure of start..end that the cases no longer agree with and the office has not
    decided on (a decision to leave a value holds until the cases change again)."""
    locked_keys = selectors.locked_months(branch_ids=branch_ids, start=start, end=end)
    if not locked_keys:
        return []
    from complaints.models import Complaint
    from complaints.selectors import in_figure_months_q

    branches = {b.pk: b for b in Branch.objects.filter(pk__in={b for b, _ in locked_keys})}
    by_code = {b.code: b.pk for b in branches.values()}
    components = {c.code: c for c in Component.objects.filter(source="derived")}
    live = selectors.live_derived_figures(branch_ids=list(branches), start=start, end=end)
    live_values = {(by_code[r.branch], r.month, r.component): r.value for r in live.itertuples()}
    locked_values = {
        (b, m, c): v
        for b, m, c, v in LockedDerivedFigure.objects.filter(branch_id__in=list(branches), month__range=(start, end))
        .values_list("branch_id", "month", "component__code", "value")
    }
    left = {}
    for d in DerivedCorrection.objects.filter(branch_id__in=list(branches), month__range=(start, end)).order_by("decided_at", "pk"):
        left[(d.branch_id, d.month, d.component.code)] = d.live_value if d.decision == CorrectionDecision.LEFT else None
    locked_at = dict(
        ((b, m), at) for b, m, at in MonthlySubmission.objects.filter(
            branch_id__in=list(branches), month__range=(start, end), status=SubmissionStatus.APPROVED
        ).values_list("branch_id", "month", "derived_locked_at")
    )
    out = []
    for branch_id, month in sorted(locked_keys, key=lambda k: (k[1], branches[k[0]].sort_order)):
        for code, component in sorted(components.items()):
            key = (branch_id, month, code)
            now, then = live_values.get(key, Decimal(0)), locked_values.get(key, Decimal(0))
            if now == then or left.get(key) == now:
                continue
            out.append(PendingCorrection(branches[branch_id], month, component, then, now))
    for p in out:
        p.cases = list(
            Complaint.objects.filter(
                in_figure_months_q(p.month, p.month),
                branch_id__in=p.branch.descendant_ids(),
                updated_at__gt=locked_at[(p.branch.pk, p.month)],
            ).order_by("received_on")[:20]
        )
    return out


def case_locked_month_effects(*, case) -> list[PendingCorrection]:
    """The pending corrections a complaint case is behind: it changed after an approved month was locked."""
    from complaints.selectors import FIGURE_MONTH_FIELDS

    months = {getattr(case, f).replace(day=1) for f in FIGURE_MONTH_FIELDS if getattr(case, f, None)}
    if not months:
        return []
    branch, owner_ids = case.branch, []
    while branch is not None:
        owner_ids.append(branch.pk)
        branch = branch.parent
    # One pass over the months the case touches (not one per month).
    pending = pending_corrections(branch_ids=owner_ids, start=min(months), end=max(months))
    return [p for p in pending if p.month in months and case in p.cases]


# ── what a provisional table rests on ───────────────────────────────────────────────────────────────


@dataclass
class MonthProgress:
    month: int
    approved: int
    total: int

    @property
    def complete(self) -> bool:
        return self.approved == self.total


def approval_progress(*, scheme: Scheme, month: int) -> list[MonthProgress]:
    """For each month of the window: how many scored branches have it approved ("9月：1/13 已审核")."""
    ids = list(selectors.scored_branches(scheme=scheme).values_list("pk", flat=True))
    start, end = selectors.window_months(scheme.year, month)
    approved: dict[int, int] = {}
    for m in MonthlySubmission.objects.filter(
        branch_id__in=ids, month__range=(start, end), status=SubmissionStatus.APPROVED
    ).values_list("month", flat=True):
        approved[m.month] = approved.get(m.month, 0) + 1
    return [MonthProgress(m, approved.get(m, 0), len(ids)) for m in range(1, month + 1)]


@dataclass
class TargetBasis:
    indicator: str
    value: str | None
    source: str


def target_basis(*, run: ScoreRun) -> list[TargetBasis]:
    """The targets of a run that are not fixed in the scheme: an official override, or a pooled average."""
    indicators = {i.code: i for i in run.version.indicators.all()}
    out = []
    for code, target in (run.targets or {}).items():
        indicator = indicators.get(code)
        if indicator is None or indicator.target_kind == TargetKind.FIXED:
            continue
        out.append(TargetBasis(indicator.label, target.get("value"), target.get("source") or ""))
    return out


def branch_trend(*, user, scheme: Scheme, branch, live: bool) -> list[dict]:
    """A branch's total and rank window by window: the latest published revisions, or (the office, from a live
    table) the live tables."""
    if live and can_see_live(user):
        rows = BranchScore.objects.filter(run__scheme=scheme, run__is_current=True, branch=branch)
    else:
        latest = {}
        for month, revision, run_id in Publication.objects.filter(scheme=scheme).values_list("month", "revision", "run_id"):
            if revision >= latest.get(month, (0, None))[0]:
                latest[month] = (revision, run_id)
        rows = BranchScore.objects.filter(run_id__in=[r for _, r in latest.values()], branch=branch)
    # Qualitative points only where some item was scored: an unscored window is not a zero.
    return [
        {"month": month, "label": ytd_label(month), "total": str(total), "quantitative": str(quantitative), "rank": rank,
         "qualitative": str(qualitative) if (detail or {}).get("qualitative") else None}
        for month, total, quantitative, qualitative, rank, detail in rows.order_by("run__month").values_list(
            "run__month", "total", "quantitative", "qualitative", "rank", "detail")
    ]


def on_locked_month_effects(sender, *, case, **kwargs) -> list[str]:
    """Receiver of core.events.locked_month_effects: which approved months this case's change is waiting on."""
    return [
        f"{p.branch.name} {p.month:%Y年%-m月} {p.component.name}：锁定 {p.locked.normalize():f}，按投诉记录 {p.live.normalize():f}（待省公司处理）"
        for p in case_locked_month_effects(case=case)
    ]
