"""Reads for the kpi app: scheme versions, window figures, current runs and league tables."""

import datetime
from decimal import Decimal

import pandas as pd
from django.db.models import Exists, OuterRef, Prefetch

from branches.models import Branch
from kpi.choices import Source
from kpi.models import (
    BranchScore,
    Component,
    IndicatorScore,
    MonthlyFigure,
    MonthlySubmission,
    QualitativeScore,
    Scheme,
    ScoreRun,
    SubmissionStatus,
    TargetOverride,
)
from kpi.templatetags.kpi_format import ytd_label


def scheme_get(*, code: str) -> Scheme:
    return Scheme.objects.select_related("province").get(code=code)


def scheme_default() -> Scheme | None:
    """The newest scheme that has a published version."""
    return Scheme.objects.filter(versions__status="published").order_by("-year", "code").first()


def scored_branches(*, scheme: Scheme):
    """The branches a scheme scores: its level, under its province."""
    return Branch.objects.filter(level=scheme.level, parent__in=scheme.province.descendant_ids()).order_by("sort_order", "code")


def window_months(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, month, 1)


# A month under review (draft, submitted or returned) does not count until the office approves it;
# months with no review record (loaded or imported figures) count as they are.
_unapproved_month = MonthlySubmission.objects.filter(
    branch_id=OuterRef("branch_id"), month=OuterRef("month")
).exclude(status=SubmissionStatus.APPROVED)


def window_figures(*, branch_ids, year: int, month: int) -> pd.DataFrame:
    """Monthly figures of January..month of a year: columns branch (code), component, month, value."""
    start, end = window_months(year, month)
    rows = list(
        MonthlyFigure.objects.filter(
            branch_id__in=branch_ids, month__range=(start, end), component__source=Source.ENTERED
        ).exclude(Exists(_unapproved_month)).values_list(
            "branch__code", "component__code", "month", "value"
        )
    )
    entered = pd.DataFrame(rows, columns=["branch", "component", "month", "value"])
    derived = _derived_figures(branch_ids=branch_ids, start=start, end=end)
    frames = [f for f in (entered, derived) if not f.empty]
    if not frames:
        return entered
    figures = pd.concat(frames, ignore_index=True)
    figures["value"] = figures["value"].map(Decimal).astype(object)
    return figures


def _derived_figures(*, branch_ids, start, end) -> pd.DataFrame:
    """Components of source 'derived' come from the complaints app; entered ones from branches."""
    derived_codes = set(Component.objects.filter(source=Source.DERIVED).values_list("code", flat=True))
    if not derived_codes:
        return pd.DataFrame(columns=["branch", "component", "month", "value"])
    from complaints.selectors import derived_component_figures

    return derived_component_figures(branch_ids=branch_ids, start=start, end=end, components=derived_codes)


def target_overrides(*, scheme: Scheme, month: int) -> dict[str, tuple[Decimal, str]]:
    return {o.indicator_code: (o.value, o.reason) for o in TargetOverride.objects.filter(scheme=scheme, month=month)}


def component_names() -> dict[str, str]:
    return dict(Component.objects.values_list("code", "name"))


def qualitative_as_of(*, scheme: Scheme, month: int) -> dict[int, dict[str, QualitativeScore]]:
    """Each branch's latest score per qualitative item given in months 1..month."""
    out: dict[int, dict[str, QualitativeScore]] = {}
    for s in QualitativeScore.objects.filter(scheme=scheme, month__lte=month).order_by("month"):
        out.setdefault(s.branch_id, {})[s.item_code] = s
    return out


def current_run(*, scheme: Scheme, month: int) -> ScoreRun | None:
    return ScoreRun.objects.filter(scheme=scheme, month=month, is_current=True).select_related("version").first()


def latest_current_run(*, scheme: Scheme) -> ScoreRun | None:
    return ScoreRun.objects.filter(scheme=scheme, is_current=True).order_by("-month").select_related("version").first()


def run_branch_scores(*, run: ScoreRun):
    """The run's rows in rank order, each with its indicator scores."""
    return run.branch_scores.select_related("branch").prefetch_related(
        Prefetch("indicator_scores", queryset=IndicatorScore.objects.order_by("pk"))
    )


def computed_months(*, scheme: Scheme) -> list[int]:
    """The window ends that have a current run."""
    return sorted(ScoreRun.objects.filter(scheme=scheme, is_current=True).values_list("month", flat=True))


def branch_trend(*, scheme: Scheme, branch) -> list[dict]:
    """A branch's total, quantitative score and rank in every computed window of a scheme, by month."""
    rows = BranchScore.objects.filter(run__scheme=scheme, run__is_current=True, branch=branch).order_by("run__month")
    return [
        {"month": month, "label": ytd_label(month), "total": str(total), "quantitative": str(quantitative), "rank": rank}
        for month, total, quantitative, rank in rows.values_list("run__month", "total", "quantitative", "rank")
    ]
