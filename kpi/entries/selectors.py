"""Reads for branch data entry: the form's layout, a month's figures and timeline, review lists, notices."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from branches.models import Branch
from branches.permissions import can_edit_branch_figures, can_review_figures, visible_branch_ids
from kpi import selectors as kpi_selectors
from kpi.choices import SchemeStatus, Source
from kpi.models import (
    BranchScore,
    Component,
    Deduction,
    Indicator,
    MonthlyFigure,
    MonthlySubmission,
    Notice,
    Scheme,
    SchemeVersion,
    ScoreRun,
    SubmissionAction,
    SubmissionEvent,
    SubmissionStatus,
    Veto,
)
from kpi.outbox import pending_recompute_months
from kpi.rules import indicator_inputs
from kpi.scoring.aggregation import component_sums, window_totals
from kpi.scoring.decimals import ZERO

ROLE_LABELS = {
    "numerator": gettext_lazy("分子"),
    "denominator": gettext_lazy("分母"),
    "numerator2": gettext_lazy("第二项分子"),
    "denominator2": gettext_lazy("第二项分母"),
}


def month_parse(text: str) -> datetime.date | None:
    """'2023-09' → 2023-09-01; None if it is not a month."""
    try:
        year, month = (int(p) for p in text.split("-"))
        return datetime.date(year, month, 1)
    except ValueError:
        return None


def month_previous(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def month_is_future(month: datetime.date) -> bool:
    return month > timezone.localdate().replace(day=1)


def entry_scheme(*, branch: Branch, year: int) -> Scheme | None:
    """The published scheme of `year` that scores this branch, or None (e.g. county branches in 2023)."""
    schemes = Scheme.objects.filter(year=year, level=branch.level, versions__status=SchemeStatus.PUBLISHED).distinct()
    for scheme in schemes.select_related("province"):
        if kpi_selectors.scored_branches(scheme=scheme).filter(pk=branch.pk).exists():
            return scheme
    return None


def office_scheme(*, user, year: int | None) -> Scheme | None:
    """The published scheme of a year that the user's office works on: its province is the user's or within their scope."""
    if not year:
        return None
    schemes = Scheme.objects.filter(year=year, versions__status=SchemeStatus.PUBLISHED).distinct().order_by("code")
    visible = visible_branch_ids(user)
    if visible is not None:
        ancestors, branch = set(), user.branch
        while branch is not None:
            ancestors.add(branch.pk)
            branch = branch.parent
        schemes = schemes.filter(province_id__in=visible | ancestors)
    return schemes.first()


def entry_years() -> list[int]:
    return sorted(
        set(Scheme.objects.filter(versions__status=SchemeStatus.PUBLISHED).values_list("year", flat=True)), reverse=True
    )


@dataclass
class EntryComponent:
    """One component as the form shows it inside an indicator."""

    component: Component
    role: str
    # Entered components shared by several indicators get their input in the first one only.
    input_here: bool
    entered_in: str = ""

    @property
    def derived(self) -> bool:
        return self.component.source == Source.DERIVED


@dataclass
class EntryIndicator:
    indicator: Indicator
    components: list[EntryComponent]

    @property
    def derived(self) -> bool:
        """Complaint indicators come from the complaint records: shown read-only with their source."""
        return self.indicator.source == Source.DERIVED or all(c.derived for c in self.components)


@dataclass
class EntryLayout:
    """The form of a scheme version: themes → indicators → components; each entered component once."""

    version: SchemeVersion
    themes: list[tuple[str, list[EntryIndicator]]] = field(default_factory=list)
    components: dict[str, Component] = field(default_factory=dict)
    entered: list[str] = field(default_factory=list)

    @property
    def indicators(self) -> list[EntryIndicator]:
        return [i for _, group in self.themes for i in group]


def entry_layout(*, version: SchemeVersion) -> EntryLayout:
    """Every indicator of the version grouped by theme, with its components, units and definitions."""
    layout = EntryLayout(version=version)
    all_components = {c.code: c for c in Component.objects.all()}
    seen: dict[str, str] = {}
    groups: dict[str, list[EntryIndicator]] = {}
    for indicator in version.indicators.order_by("order"):
        inputs = indicator_inputs(indicator)
        roles = {getattr(inputs, attr): label for attr, label in reversed(ROLE_LABELS.items()) if getattr(inputs, attr)}
        rows = []
        for code in inputs.components:
            component = all_components[code]
            layout.components[code] = component
            entered = component.source == Source.ENTERED and indicator.source == Source.ENTERED
            first = entered and code not in seen
            if first:
                seen[code] = indicator.name
                layout.entered.append(code)
            rows.append(
                EntryComponent(component, roles.get(code, gettext_lazy("合计")), first, "" if first else seen.get(code, ""))
            )
        groups.setdefault(indicator.theme or "其他", []).append(EntryIndicator(indicator, rows))
    layout.themes = list(groups.items())
    return layout


def submission_get(*, branch: Branch, month: datetime.date) -> MonthlySubmission:
    """The month's submission; an unsaved draft at revision 0 if nobody has saved it yet."""
    found = MonthlySubmission.objects.filter(branch=branch, month=month).select_related("submitted_by", "reviewed_by").first()
    return found or MonthlySubmission(branch=branch, month=month)


def month_figures(*, branch: Branch, month: datetime.date) -> dict[str, MonthlyFigure]:
    """The branch's stored figures of one month, by component code."""
    rows = MonthlyFigure.objects.filter(branch=branch, month=month).select_related("component", "updated_by")
    return {f.component.code: f for f in rows}


# The rest of the scheme's branches as one row of the compact window (not a slug: never a branch's code).
REST = "其他机构合计"


def scheme_window_figures(*, scheme: Scheme, month: datetime.date, branch: Branch | None = None) -> pd.DataFrame:
    """Every scored branch's figures of January..month (entered and derived): branch, component, month, value.

    With `branch`: that branch's own figures and the rest of the scheme as one row per component (`REST`), taken
    from the Σ the window's current runs stored — the same totals, averages and checks for a fraction of the
    reading — whenever those runs are up to date (no recompute pending); otherwise every branch's figures.
    """
    if branch is not None:
        compact = _compact_window_figures(scheme=scheme, branch=branch, month=month)
        if compact is not None:
            return compact
    return kpi_selectors.scheme_figures(scheme=scheme, year=month.year, month=month.month)


def _compact_window_figures(*, scheme: Scheme, branch: Branch, month: datetime.date) -> pd.DataFrame | None:
    """The branch's figures of this month (read), its January..last month and the rest of the scheme as one row per
    component, from what the windows' current runs kept (the scheme's Σ, the branch's totals); None when a run is
    missing, pending or from before runs kept totals."""
    kept = _kept_runs(scheme=scheme, branch=branch, month=month)
    if kept is None:
        return None
    m = month.month
    sums, own = kept
    mine = kpi_selectors.branch_figures(branch=branch, year=month.year, month=m, first=m)
    own_month = component_sums(window_totals(mine)) if not mine.empty else {}
    own_before = kpi_selectors.kept_decimals(own.get(m - 1, {}).get("totals"))
    before = sums.get(m - 1, {})
    january = month.replace(month=1)
    rows = [(branch.code, code, january, total) for code, total in own_before.items()]
    for code, total in sums[m].items():
        rows.append((REST, code, month, total - before.get(code, ZERO) - own_month.get(code, ZERO)))
        if m > 1:
            rows.append((REST, code, january, before.get(code, ZERO) - own_before.get(code, ZERO)))
    rest = pd.DataFrame(rows, columns=["branch", "component", "month", "value"])
    frames = [f for f in (mine, rest) if not f.empty]
    out = pd.concat(frames, ignore_index=True) if frames else rest
    out["value"] = out["value"].astype(object)
    return out


def previous_window_figures(*, scheme: Scheme, branch: Branch, month: datetime.date) -> pd.DataFrame:
    """The branch's figures of last year's January..month as far as it is scored on them (the components of the
    year-on-year indicators): from the window's current run when it is up to date, else read."""
    kept = _kept_runs(scheme=scheme, branch=branch, month=month)
    if kept is None:
        return kpi_selectors.branch_figures(branch=branch, year=month.year - 1, month=month.month)
    totals = kpi_selectors.kept_decimals(kept[1][month.month].get("previous_totals"))
    january = datetime.date(month.year - 1, 1, 1)
    frame = pd.DataFrame([(branch.code, c, january, v) for c, v in totals.items()], columns=["branch", "component", "month", "value"])
    frame["value"] = frame["value"].astype(object)
    return frame


def _kept_runs(*, scheme: Scheme, branch: Branch, month: datetime.date):
    """({month: the scheme's Σ of each component}, {month: the branch's kept detail}) of the current runs of this
    window and the one before, when both are up to date and kept the branch's totals; else None."""
    m = month.month
    if scheme.year != month.year or branch.level != scheme.level or not branch.path.startswith(scheme.province.path):
        return None
    wanted = {m, m - 1} - {0}
    runs = {r.month: r for r in ScoreRun.objects.filter(scheme=scheme, is_current=True, month__in=wanted).only("month", "sums")}
    if set(runs) != wanted or not all(r.sums for r in runs.values()) or wanted & pending_recompute_months(scheme=scheme):
        return None
    own = dict(BranchScore.objects.filter(run__in=list(runs.values()), branch=branch).values_list("run__month", "detail"))
    if set(own) != wanted or not all("totals" in d for d in own.values()):
        return None
    return {k: {c: Decimal(v) for c, v in r.sums.items()} for k, r in runs.items()}, own


@dataclass
class CheckContext:
    """What the validator compares typed figures with."""

    stored: dict[str, Decimal]
    last_month: dict[str, Decimal]
    derived_month: dict[str, Decimal]
    others_month: pd.DataFrame
    locked: bool


def check_context(*, scheme: Scheme, branch: Branch, month: datetime.date, figures: pd.DataFrame | None = None) -> CheckContext:
    """The stored figures, last month's, the derived ones and the other branches' of the same month."""
    if figures is None:
        figures = scheme_window_figures(scheme=scheme, month=month)
    this_month = figures[figures["month"] == month] if not figures.empty else figures
    mine = this_month[this_month["branch"] == branch.code] if not figures.empty else figures
    derived_codes = set(Component.objects.filter(source=Source.DERIVED).values_list("code", flat=True))
    last = MonthlyFigure.objects.filter(branch=branch, month=month_previous(month)).values_list("component__code", "value")
    status = MonthlySubmission.objects.filter(branch=branch, month=month).values_list("status", flat=True).first()
    return CheckContext(
        stored={c: f.value for c, f in month_figures(branch=branch, month=month).items()},
        last_month=dict(last),
        derived_month={r.component: r.value for r in mine.itertuples() if r.component in derived_codes},
        others_month=this_month[this_month["branch"] != branch.code] if not figures.empty else figures,
        locked=status == SubmissionStatus.APPROVED,
    )


def submission_timeline(*, submission: MonthlySubmission) -> QuerySet[SubmissionEvent]:
    if submission.pk is None:
        return SubmissionEvent.objects.none()
    return submission.events.select_related("actor").order_by("-revision", "-pk")


def events_since(*, submission: MonthlySubmission, revision: int) -> list[SubmissionEvent]:
    """What happened to a month after the revision a form was loaded at, oldest first."""
    return list(submission.events.filter(revision__gt=revision).select_related("actor").order_by("revision", "pk"))


@dataclass
class BranchMonth:
    """One branch's state for one month, as the office's review list shows it."""

    branch: Branch
    submission: MonthlySubmission | None
    figures: int
    updated_at: datetime.datetime | None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else SubmissionStatus.DRAFT

    @property
    def submitted(self) -> bool:
        return self.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)


def review_rows(*, scheme: Scheme, month: datetime.date, branch_ids: set[int] | None = None) -> list[BranchMonth]:
    """Every scored branch (within `branch_ids` if given) with its submission and figure count for the month."""
    branches = kpi_selectors.scored_branches(scheme=scheme)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    subs = {
        s.branch_id: s
        for s in MonthlySubmission.objects.filter(month=month, revision__gt=0).select_related("submitted_by", "reviewed_by")
    }
    stats = {
        r["branch_id"]: r
        for r in MonthlyFigure.objects.filter(month=month, component__source=Source.ENTERED)
        .values("branch_id")
        .annotate(n=Count("pk"), last=Max("updated_at"))
    }
    return [BranchMonth(b, subs.get(b.pk), stats.get(b.pk, {}).get("n", 0), stats.get(b.pk, {}).get("last")) for b in branches]


def year_grid(*, scheme: Scheme, branch_ids: set[int] | None) -> list[tuple[Branch, list[tuple[datetime.date, str | None]]]]:
    """Rows of branches, each with the months of the scheme's year and the month's status (None: nothing saved)."""
    months = [datetime.date(scheme.year, m, 1) for m in range(1, 13)]
    months = [m for m in months if not month_is_future(m)]
    branches = kpi_selectors.scored_branches(scheme=scheme)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    # A submission still at revision 0 was opened and saved without any change: not started.
    status = {
        (s.branch_id, s.month): s.status
        for s in MonthlySubmission.objects.filter(month__year=scheme.year, branch__in=branches, revision__gt=0)
    }
    has_figures = set(
        MonthlyFigure.objects.filter(month__year=scheme.year, branch__in=branches).values_list("branch_id", "month").distinct()
    )
    rows = []
    for b in branches:
        cells = []
        for m in months:
            state = status.get((b.pk, m))
            if state is None and (b.pk, m) in has_figures:
                state = SubmissionStatus.DRAFT
            cells.append((m, state))
        rows.append((b, cells))
    return rows


def notices_for(*, user) -> QuerySet[Notice]:
    """Notices addressed to the user's own branch."""
    if not user.is_authenticated or user.branch_id is None:
        return Notice.objects.none()
    return Notice.objects.filter(branch_id=user.branch_id).select_related("sender")


def with_unread_notices(users: QuerySet) -> QuerySet:
    """Users with `unread_notices`, their branch's unread notice count, read in the same query."""
    unread = Notice.objects.filter(branch_id=OuterRef("branch_id"), read_at__isnull=True).order_by().values("branch_id")
    return users.annotate(unread_notices=Subquery(unread.annotate(n=Count("pk")).values("n")[:1]))


def unread_notice_count(*, user) -> int:
    """As of the request's start when the user came with it (`with_unread_notices`: every change to notices is a
    POST that redirects), else counted now."""
    if hasattr(user, "unread_notices"):
        return user.unread_notices or 0  # no unread notice: the subquery's NULL
    return notices_for(user=user).filter(read_at__isnull=True).count()


@dataclass
class Freshness:
    """How fresh a window's scores are: when the current run finished, and whether figures changed since."""

    run: ScoreRun | None
    stale: bool


def score_freshness(*, scheme: Scheme, month: int) -> Freshness:
    run = kpi_selectors.current_run(scheme=scheme, month=month)
    if run is None:
        return Freshness(None, True)
    ids = kpi_selectors.scored_branches(scheme=scheme).values_list("pk", flat=True)
    start, end = kpi_selectors.window_months(scheme.year, month)
    newer = MonthlyFigure.objects.filter(branch_id__in=ids, month__range=(start, end), updated_at__gt=run.completed_at).exists()
    return Freshness(run, newer)


# Which review step may follow which state: the one table the services and the pages both read.
REVIEW_FROM = {
    SubmissionAction.APPROVED: {SubmissionStatus.SUBMITTED},
    SubmissionAction.RETURNED: {SubmissionStatus.SUBMITTED},
    SubmissionAction.REOPENED: {SubmissionStatus.APPROVED},
}


def edit_refusal(*, user, branch: Branch, submission: MonthlySubmission) -> str | None:
    """Why this user may not change this month's figures now, or None if they may."""
    if not can_edit_branch_figures(user, branch):
        return "您没有修改该机构数据的权限。"
    if submission.is_locked:
        return "本月数据已审核锁定，不能修改；如需更正，请联系省公司重新打开。"
    if submission.status == SubmissionStatus.SUBMITTED and not can_review_figures(user):
        return "本月数据已提交，正在等待省公司审核，暂不能修改；如需修改，请联系省公司退回。"
    return None


def review_actions(*, user, submission: MonthlySubmission) -> list[str]:
    """The review steps this user may take on the month now."""
    if not can_review_figures(user):
        return []
    return [action for action, states in REVIEW_FROM.items() if submission.status in states]


def office_overview(*, scheme: Scheme, month: int, branch_ids: set[int] | None = None) -> tuple[list, list[dict]]:
    """The office's page of a window: each branch (within `branch_ids` if given) with its item scores as of `month`
    and the totals the run would count."""
    version = scheme.version_in_force()
    items = list(version.qualitative_items.order_by("order"))
    scores = kpi_selectors.qualitative_as_of(scheme=scheme, month=month)
    # The run's own reading of the qualitative scores (year-end items count in December only): one rule, one place.
    code_of = dict(kpi_selectors.scored_branches(scheme=scheme).values_list("pk", "code"))
    counted = kpi_selectors.qualitative_entries(scheme=scheme, version=version, month=month, code_of=code_of)
    totals = {pk: sum((e.score for e in counted.get(code, ())), Decimal(0)) for pk, code in code_of.items()}
    deductions: dict[int, Decimal] = {}
    for d in Deduction.objects.filter(scheme=scheme, month__lte=month):
        deductions[d.branch_id] = deductions.get(d.branch_id, Decimal(0)) + d.points
    vetoed = set(Veto.objects.filter(scheme=scheme, month__lte=month).values_list("branch_id", flat=True))
    branches = kpi_selectors.scored_branches(scheme=scheme)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    rows = [
        {
            "branch": b,
            "cells": [scores.get(b.pk, {}).get(i.code) for i in items],
            "total": totals.get(b.pk, Decimal(0)),
            "deductions": deductions.get(b.pk, Decimal(0)),
            "vetoed": b.pk in vetoed,
        }
        for b in branches
    ]
    return items, rows
