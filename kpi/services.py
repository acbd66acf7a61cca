"""Writes for the kpi app: schemes and their versions, scoring runs and their queueing."""

import logging

from django.db import transaction
from django.utils import timezone

from branches.models import Branch
from core.errors import ApplicationError
from kpi import outbox, selectors
from kpi.choices import RunStatus, SchemeStatus
from kpi.models import (
    BranchScore,
    Component,
    Indicator,
    IndicatorScore,
    QualitativeItem,
    Scheme,
    SchemeVersion,
    ScoreRun,
)
from kpi.rules import INDICATOR_FIELDS, indicator_definition
from kpi.scoring.aggregation import component_sums
from kpi.scoring.decimals import fmt
from kpi.scoring.league import league_assemble

logger = logging.getLogger(__name__)



@transaction.atomic
def scheme_load(*, data: dict) -> Scheme:
    """Create or refresh a scheme from its data file; its version 1 is published as shipped."""
    for c in data.get("components", []):
        Component.objects.update_or_create(code=c["code"], defaults={k: v for k, v in c.items() if k != "code"})
    province = Branch.objects.get(code=data["province"])
    scheme, _ = Scheme.objects.update_or_create(
        code=data["code"], defaults={"name": data["name"], "year": data["year"], "level": data["level"], "province": province}
    )
    if scheme.versions.exists():
        return scheme
    version = SchemeVersion.objects.create(scheme=scheme, number=1, notes=data.get("notes", ""))
    for order, ind in enumerate(data["indicators"], start=1):
        indicator = Indicator(version=version, order=order, **{k: ind.get(k) for k in INDICATOR_FIELDS if k in ind})
        indicator.full_clean()
        indicator.save()
    for order, item in enumerate(data.get("qualitative_items", []), start=1):
        QualitativeItem.objects.create(version=version, order=order, **item)
    scheme_version_publish(version=version)
    return scheme


@transaction.atomic
def scheme_version_publish(*, version: SchemeVersion) -> SchemeVersion:
    """Publish a draft version; the version it replaces is kept, marked superseded."""
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != SchemeStatus.DRAFT:
        raise ApplicationError("只有草稿版本可以发布。")
    if not version.indicators.exists():
        raise ApplicationError("方案版本没有任何定量指标，不能发布。")
    for indicator in version.indicators.all():
        indicator.full_clean(exclude=["version"])
    version.scheme.versions.filter(status=SchemeStatus.PUBLISHED).update(status=SchemeStatus.SUPERSEDED)
    version.status = SchemeStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save()
    recompute_scheme_on_commit(scheme=version.scheme)
    return version


@transaction.atomic
def scheme_version_create_draft(*, scheme: Scheme) -> SchemeVersion:
    """A new draft version copied from the newest version: how a published scheme gets changed."""
    source = scheme.versions.order_by("-number").first()
    if source is None:
        raise ApplicationError("该方案还没有任何版本。")
    if source.status == SchemeStatus.DRAFT:
        raise ApplicationError(f"已有草稿版本 v{source.number}，请先修改并发布它。")
    draft = SchemeVersion.objects.create(scheme=scheme, number=source.number + 1, notes=source.notes)
    Indicator.objects.bulk_create(
        Indicator(version=draft, **indicator_definition(i)) for i in source.indicators.all()
    )
    QualitativeItem.objects.bulk_create(
        QualitativeItem(version=draft, code=q.code, name=q.name, max_points=q.max_points, year_end_only=q.year_end_only, order=q.order)
        for q in source.qualitative_items.all()
    )
    return draft


def score_run_compute(*, scheme: Scheme, month: int) -> ScoreRun:
    """Score one window now (whether or not it was asked for) together with the scheme's pending windows."""
    return recompute_pending(scheme=scheme, months=[month])[month]


def recompute_pending(*, scheme: Scheme, months=(), ensure=()) -> dict[int, ScoreRun]:
    """`recompute_schemes` of one scheme: its pending windows, `months`, and `ensure` where never computed."""
    return recompute_schemes(schemes=[scheme], months=months, ensure=ensure)[scheme.pk]


def recompute_schemes(*, schemes, months=(), ensure=()) -> dict[int, dict[int, ScoreRun]]:
    """Recompute, for each scheme, every window that is waiting (kpi.outbox), `months`, and those of `ensure`
    that have no current run, in one pass; returns the runs written by scheme id and window.

    Runs of a scheme serialise on the scheme row from the first read, so a run that started earlier can never
    commit older figures over a newer run, and a burst of requests is one recompute per window: the second
    worker to arrive waits for the first, then finds nothing (or only what changed meanwhile) pending. The runs
    and the marking of the requests they satisfy commit together; readers keep seeing the previous runs until then.
    """
    with transaction.atomic():
        locked = list(Scheme.objects.select_for_update().filter(pk__in=[s.pk for s in schemes]).order_by("pk"))
        claims = {s.pk: outbox.pending_claims(scheme_id=s.pk) for s in locked}
        work = {}
        for scheme in locked:
            missing = set(ensure) - set(selectors.computed_months(scheme=scheme)) if ensure else set()
            work[scheme] = sorted({*claims[scheme.pk], *months, *missing})
        runs = _compute_windows(work)
        for pending in claims.values():
            for claim in pending.values():
                outbox.request_done(claim)
    return {s.pk: runs.get(s.pk, {}) for s in schemes}


def _compute_windows(work: dict[Scheme, list[int]]) -> dict[int, dict[int, ScoreRun]]:
    """Load the windows' inputs of all the schemes in one read (window N = window N−1 + month N), assemble
    each ranked league with the pure core and save it as the window's run. Schemes asking for the same
    windows are read together."""
    groups: dict[tuple[int, ...], list[tuple[Scheme, SchemeVersion]]] = {}
    for scheme, months in work.items():
        if not months:
            continue
        version = scheme.version_in_force()
        if version is None:
            raise ApplicationError("方案尚未发布，不能计分。")
        groups.setdefault(tuple(months), []).append((scheme, version))
    runs: dict[int, dict[int, ScoreRun]] = {}
    branch_ids = dict(Branch.objects.values_list("code", "pk")) if groups else {}
    for months, pairs in groups.items():
        inputs = selectors.league_inputs_by_scheme(schemes=pairs, months=months)
        for scheme, version in pairs:
            for month, window in inputs[scheme.pk].items():
                # Points on the exact engine; the explanations are rendered when someone asks for them
                # (kpi.selectors.cell_explanations), from the inputs the run keeps.
                league = league_assemble(window, explain=False)
                runs.setdefault(scheme.pk, {})[month] = _write_run(scheme, version, month, window, league, branch_ids)
    return runs


def _write_run(scheme, version, month, inputs, league, branch_ids: dict[str, int]) -> ScoreRun:
    """Save a run's rows and make it the window's current run (inside the caller's transaction).

    The run keeps what its explanations are rendered from: each branch's component totals of the window and of
    the year before (`BranchScore.detail["totals"]`, `["previous_totals"]`, exact, as text; None for a branch
    with no figures) and each target at full precision (`targets[code]["exact"]`).
    """
    result = league.window
    run = ScoreRun.objects.create(
        scheme=scheme, version=version, month=month, sums=_texts(component_sums(inputs.totals)),
        targets={
            k: {"value": None if v["value"] is None else fmt(v["value"]), "source": v["source"],
                "exact": None if v["value"] is None else str(v["value"])}
            for k, v in result.targets.items()
        },
    )
    totals, previous = _rows_as_text(inputs.totals), _rows_as_text(inputs.previous_totals)
    branch_scores = BranchScore.objects.bulk_create(
        BranchScore(
            run=run, branch_id=branch_ids[code], qualitative=r.qualitative, quantitative=r.quantitative,
            deductions=r.deductions, total=r.total, rank=r["rank"], vetoed=r.vetoed,
            detail={**league.details[code], "totals": totals.get(code), "previous_totals": previous.get(code)},
        )
        for code, r in league.table.iterrows()
    )
    score_ids = dict(zip(league.table.index, branch_scores, strict=True))
    IndicatorScore.objects.bulk_create(
        (
            IndicatorScore(
                branch_score=score_ids[c.branch], indicator_code=c.indicator, value=c.value, value2=c.value2,
                previous=c.previous, target=c.target, points=c.points, explanation={},
            )
            for c in result.cells.itertuples()
        ),
        batch_size=5000,
    )
    ScoreRun.objects.filter(scheme=scheme, month=month, is_current=True).update(is_current=False)
    run.status, run.is_current, run.completed_at = RunStatus.COMPLETE, True, timezone.now()
    run.save(update_fields=["status", "is_current", "completed_at"])
    # Superseded runs go, except published ones: a published table is kept exactly as it was ranked on.
    ScoreRun.objects.filter(
        scheme=scheme, month=month, is_current=False, status=RunStatus.COMPLETE, publication__isnull=True
    ).delete()
    logger.info("scored %s 1–%s月: run %s", scheme.code, month, run.pk)
    return run


def _texts(values: dict) -> dict[str, str]:
    return {code: str(value) for code, value in values.items()}


def _rows_as_text(totals) -> dict[str, dict[str, str]]:
    """A totals table (rows branch, columns component) as {branch: {component: exact text}}."""
    return {branch: _texts(row) for branch, row in totals.to_dict(orient="index").items()} if len(totals) else {}


def recompute_on_commit(*, scheme: Scheme, month: int) -> None:
    """Request the recompute of every window that contains `month` (kpi.outbox: durable, dispatched on commit)."""
    last = max([month, *selectors.computed_months(scheme=scheme)])
    outbox.recompute_request(scheme=scheme, months=range(month, last + 1))


def recompute_scheme_on_commit(*, scheme: Scheme) -> None:
    """Request the recompute of every window the scheme has been computed for."""
    outbox.recompute_request(scheme=scheme, months=selectors.computed_months(scheme=scheme))


def recompute_for_figure_change(*, year: int, month: int, branch_ids=None) -> None:
    """After figures of a month change: recompute the windows that contain them, of the schemes that read them.

    A scheme reads the figures of the branches under its owner (the province for its prefectures' scheme, head
    office, through the roll-up, for the provinces' scheme); `branch_ids` (default: any branch) are whose figures
    changed. The published schemes of that year recompute every window from `month` on; those of the next year
    (which compare with this one) recompute only the windows already computed from `month` on.
    """
    published = Scheme.objects.filter(versions__status=SchemeStatus.PUBLISHED).distinct()
    if branch_ids is not None:
        published = published.filter(province__path__in=selectors.ancestor_paths(branch_ids=branch_ids))
    for scheme in published.filter(year=year):
        recompute_on_commit(scheme=scheme, month=month)
    for scheme in published.filter(year=year + 1):
        outbox.recompute_request(scheme=scheme, months=(m for m in selectors.computed_months(scheme=scheme) if m >= month))


def recompute_for_months(*, months, branch_ids=None) -> None:
    """recompute_for_figure_change for many changed months: each year from its first changed month."""
    for year in sorted({m.year for m in months}):
        recompute_for_figure_change(year=year, month=min(m.month for m in months if m.year == year), branch_ids=branch_ids)


def on_figures_changed(sender, *, branch_id: int, months, **kwargs) -> None:
    """Receiver of core.events.figures_changed: another app changed figures kpi derives from."""
    recompute_for_months(months=months, branch_ids=[branch_id])
