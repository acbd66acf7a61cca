"""Writes for the kpi app: schemes and their versions, scoring runs and their queueing."""

import logging

from django.db import connection, transaction
from django.utils import timezone

from branches.models import Branch
from core.bulk import collector_paused, delete_rows, insert_rows
from core.errors import ApplicationError
from kpi import outbox, selectors
from kpi.choices import RunStatus, SchemeStatus
from kpi.models import (
    BranchScore,
    Component,
    Indicator,
    QualitativeItem,
    Scheme,
    SchemeVersion,
    ScoreRun,
    StoredCell,
)
from kpi.rules import INDICATOR_FIELDS, indicator_definition
from kpi.scoring.aggregation import component_sums
from kpi.scoring.decimals import fmt
from kpi.scoring.league import league_assemble_many

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
        _grouping_memory()
        # FOR NO KEY UPDATE: runs wait for each other, a change that refers to the scheme (its recompute request's
        # foreign key, checked with a key-share lock) does not wait for a run
        locked = list(Scheme.objects.select_for_update(no_key=True).filter(pk__in=[s.pk for s in schemes]).order_by("pk"))
        claims = outbox.pending_claims(scheme_ids=[s.pk for s in locked])
        work, changed = {}, {}
        for scheme in locked:
            missing = set(ensure) - set(selectors.computed_months(scheme=scheme)) if ensure else set()
            work[scheme] = sorted({*claims[scheme.pk], *months, *missing})
            if set(work[scheme]) == set(claims[scheme.pk]):  # only what was asked for, by changes that say where
                changed[scheme.pk] = outbox.claimed_change(claims[scheme.pk].values())
        with collector_paused():
            runs = _compute_windows(work, changed)
        for pending in claims.values():
            for claim in pending.values():
                outbox.request_done(claim)
    return {s.pk: runs.get(s.pk, {}) for s in schemes}


# PostgreSQL's memory for one sort or grouping of the recompute's reads (its default, 4 MB, sorts a year of the
# company's complaint counts on disk); SET LOCAL: for this transaction only.
RECOMPUTE_WORK_MEM = "64MB"


def _grouping_memory() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{RECOMPUTE_WORK_MEM}'")


def _compute_windows(work: dict[Scheme, list[int]], changed: dict[int, outbox.Change | None]) -> dict[int, dict[int, ScoreRun]]:
    """Load the windows' inputs of all the schemes in one read (window N = window N−1 + month N), score every
    scheme's window of a month together with the pure core (kpi.scoring.league.league_assemble_many: schemes of
    the same rules in one pass per indicator) and save them as the windows' runs. Schemes asking for the same
    windows are read together; a scheme with `changed` branches reads only the scored branches above them."""
    groups: dict[tuple[int, ...], list[tuple[Scheme, SchemeVersion]]] = {}
    in_force = Scheme.versions_in_force(scheme for scheme, months in work.items() if months)
    for scheme, months in work.items():
        if not months:
            continue
        version = in_force.get(scheme.pk)
        if version is None:
            raise ApplicationError("方案尚未发布，不能计分。")
        groups.setdefault(tuple(months), []).append((scheme, version))
    runs: dict[int, dict[int, ScoreRun]] = {}
    branch_ids = dict(Branch.objects.values_list("code", "pk")) if groups else {}
    for months, pairs in groups.items():
        inputs = selectors.league_inputs_by_scheme(schemes=pairs, months=months, changed=changed)
        for chunk in _chunks(months, sum(len(inputs[s.pk][months[0]].branches) for s, _ in pairs)):
            # Points on the exact engine; the explanations are rendered when someone asks for them
            # (kpi.selectors.cell_explanations), from the inputs the run keeps.
            windows = {(scheme, version, month): inputs[scheme.pk].pop(month) for month in chunk for scheme, version in pairs}
            leagues = league_assemble_many(windows)
            for run in _write_runs(windows, leagues, branch_ids):
                runs.setdefault(run.scheme_id, {})[run.month] = run
    return runs


# Windows scored and written together hold about this many branch rows (a national month is ~4,500).
CHUNK_ROWS = 6_000


def _chunks(months, rows: int) -> list[list[int]]:
    """The months in groups of about CHUNK_ROWS branch rows in all (`rows` a window): small schemes score and
    write all their windows at once, the whole company one month at a time (memory stays bounded)."""
    size = max(1, CHUNK_ROWS // max(rows, 1))
    return [list(months[i : i + size]) for i in range(0, len(months), size)]


def _write_runs(windows: dict, leagues: dict, branch_ids: dict[str, int]) -> list[ScoreRun]:
    """Save the runs of many windows ({(scheme, version, month): inputs} and their leagues) as the windows' current
    runs (inside the caller's transaction): a few statements whatever the number of windows, the runs and their
    cells by COPY on PostgreSQL (core.bulk).

    A run keeps what its explanations are rendered from: each branch's component totals of the window and of
    the year before (`BranchScore.detail["totals"]`, `["previous_totals"]`, exact, as text; None for a branch
    with no figures) and each target at full precision (`targets[code]["exact"]`).
    """
    keys = list(windows)
    # the keys are every scheme × every month of the call (kpi.services._compute_windows)
    windows_of = ScoreRun.objects.filter(scheme_id__in={s.pk for s, _, _ in keys}, month__in={m for _, _, m in keys})
    windows_of.filter(is_current=True).update(is_current=False)
    started = timezone.now()
    fields = ["scheme", "version", "month", "status", "is_current", "started_at", "completed_at", "targets", "sums"]
    values = [
        (
            scheme.pk, version.pk, month, RunStatus.COMPLETE, True, started, started,
            {
                k: {"value": None if v["value"] is None else fmt(v["value"]), "source": v["source"],
                    "exact": None if v["value"] is None else str(v["value"])}
                for k, v in leagues[scheme, version, month].window.targets.items()
            },
            _texts(component_sums(windows[scheme, version, month].totals)),
        )
        for scheme, version, month in keys
    ]
    ids = insert_rows(ScoreRun, fields, values, ids=True)
    runs = [
        ScoreRun(pk=pk, scheme=scheme, version=version, month=month, **dict(zip(fields[3:], row[3:], strict=True)))
        for pk, (scheme, version, month), row in zip(ids, keys, values, strict=True)
    ]
    for run in runs:
        run._state.adding, run._state.db = False, connection.alias  # saved, as bulk_create leaves its objects
    scores = []
    for run, key in zip(runs, keys, strict=True):
        inputs, league = windows[key], leagues[key]
        totals, previous, table = _rows_as_text(inputs.totals), _rows_as_text(inputs.previous_totals), league.rows
        cells = _cells_by_branch(league.window)
        scores.extend(
            (run.pk, branch_ids[code], qualitative, quantitative, deductions, total, rank, bool(vetoed),
             {**league.details[code], "totals": totals.get(code), "previous_totals": previous.get(code)}, cells.get(code, []))
            for code, qualitative, quantitative, deductions, total, rank, vetoed in zip(
                *(table[c] for c in ("branch", "qualitative", "quantitative", "deductions", "total", "rank", "vetoed")), strict=True
            )
        )
    insert_rows(
        BranchScore, ["run", "branch", "qualitative", "quantitative", "deductions", "total", "rank", "vetoed", "detail", "cells"],
        scores,
    )
    # Superseded runs go, except published ones: a published table is kept exactly as it was ranked on.
    stale = list(windows_of.filter(is_current=False, status=RunStatus.COMPLETE, publication__isnull=True).values_list("pk", flat=True))
    if stale:
        delete_rows(BranchScore, list(BranchScore.objects.filter(run_id__in=stale).values_list("pk", flat=True)))
        delete_rows(ScoreRun, stale)  # nothing else refers to an unpublished run
    logger.info("scored %d windows: runs %s", len(runs), ids)
    return runs


def _cells_by_branch(window) -> dict[str, list[list]]:
    """A window's cells as each branch score stores them (BranchScore.cells), in the indicators' order."""
    columns = {name: window.column(column) for name, column in zip(StoredCell.ROW, ("indicator", *StoredCell.ROW[1:]), strict=True)}
    out: dict[str, list[list]] = {}
    for code, row in zip(window.column("branch"), StoredCell.rows(columns), strict=True):
        out.setdefault(code, []).append(row)
    return out


def _texts(values: dict) -> dict[str, str]:
    return {code: str(value) for code, value in values.items()}


def _rows_as_text(totals) -> dict[str, dict[str, str]]:
    """A totals table (rows branch, columns component) as {branch: {component: exact text}}."""
    columns = totals.columns.tolist()
    return {
        branch: {c: str(v) for c, v in zip(columns, row, strict=True)}
        for branch, row in zip(totals.index.tolist(), totals.to_numpy().tolist(), strict=True)
    }


def recompute_on_commit(*, scheme: Scheme, month: int, branch_ids=None, entered_only: bool = False) -> None:
    """Request the recompute of every window that contains `month` (kpi.outbox: durable, dispatched on commit);
    `branch_ids`: whose figures changed (None: anything may have); `entered_only`: only their entered figures."""
    last = max([month, *selectors.computed_months(scheme=scheme)])
    outbox.recompute_request(scheme=scheme, months=range(month, last + 1), branch_ids=branch_ids, entered_only=entered_only)


def recompute_scheme_on_commit(*, scheme: Scheme) -> None:
    """Request the recompute of every window the scheme has been computed for."""
    outbox.recompute_request(scheme=scheme, months=selectors.computed_months(scheme=scheme))


def recompute_for_figure_change(*, year: int, month: int, branch_ids=None, entered_only: bool = False) -> None:
    """After figures of a month change: recompute the windows that contain them, of the schemes that read them.

    A scheme reads the figures of the branches under its owner (the province for its prefectures' scheme, head
    office, through the roll-up, for the provinces' scheme); `branch_ids` (default: any branch) are whose figures
    changed, and `entered_only` says that only their entered figures did (not what their complaints count, nor
    which months are locked). The published schemes of that year recompute every window from `month` on; those of
    the next year (which compare with this one) recompute only the windows already computed from `month` on.
    """
    published = selectors.published_schemes()
    if branch_ids is not None:
        published = published.filter(province__path__in=selectors.ancestor_paths(branch_ids=branch_ids))
    for scheme in published.filter(year=year):
        recompute_on_commit(scheme=scheme, month=month, branch_ids=branch_ids, entered_only=entered_only)
    for scheme in published.filter(year=year + 1):
        months = (m for m in selectors.computed_months(scheme=scheme) if m >= month)
        outbox.recompute_request(scheme=scheme, months=months, branch_ids=branch_ids, entered_only=entered_only)


def recompute_for_months(*, months, branch_ids=None, entered_only: bool = False) -> None:
    """recompute_for_figure_change for many changed months: each year from its first changed month."""
    for year in sorted({m.year for m in months}):
        first = min(m.month for m in months if m.year == year)
        recompute_for_figure_change(year=year, month=first, branch_ids=branch_ids, entered_only=entered_only)


def on_figures_changed(sender, *, branch_id: int, months, **kwargs) -> None:
    """Receiver of core.events.figures_changed: another app changed figures kpi derives from."""
    recompute_for_months(months=months, branch_ids=[branch_id])


def recompute_every_published_scheme() -> None:
    """Request the recompute of every computed window of every published scheme, reading everything: after a rare
    change of the organisation or of what a component is, what any run kept of any branch may be wrong."""
    for scheme in selectors.published_schemes():
        recompute_scheme_on_commit(scheme=scheme)


def on_tree_changed(sender, *, branch_id: int, **kwargs) -> None:
    """Receiver of core.events.tree_changed: a branch moved."""
    recompute_every_published_scheme()
