"""The one read path of a league table as a scorecard: page, API, CSV and .xlsx all call `league_rows`.

Ranks and totals are published to everyone; indicator cells only within the viewer's branch scope
(branches.permissions.visible_branch_ids). Ranks are compared with the previous window of the same
kind (a published table with the previous window's latest revision, a live table with the live one)
and with the same window of last year's scheme where there is one.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _

from branches.permissions import visible_branch_ids
from core import cache, prepared
from kpi import selectors
from kpi.models import BranchScore, Publication, Scheme, ScoreRun, StoredCell
from kpi.publishing.selectors import Window, can_see_live
from kpi.rules import indicator_inputs
from kpi.scoring.aggregation import pooled_value
from kpi.scoring.decimals import ZERO
from kpi.templatetags.kpi_format import ytd_label

FULL, SOME, NOTHING = "full", "some", "nothing"
# Part of every cache key and ETag of a table: bump it when what a table renders to changes shape.
KEY_FORMAT = "t4"
AVERAGE_SECONDS = 24 * 3600
TIE_RULE = "总分相同者名次并列（如 1、2、2、4）；并列时按定量得分、再按机构代码排列先后；一票否决的机构列于最后。"


@dataclass(frozen=True)
class Column:
    """An indicator column: its name, unit, display precision, maximum (base + bonus) and the window's target."""

    code: str
    name: str
    unit: str
    precision: int
    base: Decimal
    bonus: Decimal
    direction: str
    target: Decimal | None
    target_source: str

    @property
    def max_points(self) -> Decimal:
        return self.base + self.bonus

    @property
    def max_label(self) -> str:
        base = f"{self.base.normalize():f}"
        return f"{base}+{self.bonus.normalize():f}" if self.bonus else base


@dataclass(frozen=True)
class Cell:
    """One branch × indicator: value, target, points, and the points lost against the indicator's base."""

    code: str
    value: Decimal | None
    value2: Decimal | None
    previous: Decimal | None
    target: Decimal | None
    points: Decimal
    base: Decimal
    max_points: Decimal
    explanation: dict

    @property
    def lost(self) -> Decimal:
        return max(self.base - self.points, ZERO)

    @property
    def gain_left(self) -> Decimal:
        """Points still to win up to the maximum (base + bonus)."""
        return max(self.max_points - self.points, ZERO)

    @property
    def level(self) -> str:
        """full: the base or more; some: part of it lost; nothing: no points at all."""
        if self.points >= self.base:
            return FULL
        return NOTHING if self.points <= ZERO else SOME


@dataclass
class Row:
    """One branch of the table: rank and its changes, totals, and (within scope) its cells."""

    branch_id: int
    code: str
    name: str
    rank: int
    position: int
    vetoed: bool
    total: Decimal
    qualitative: Decimal
    quantitative: Decimal
    deductions: Decimal
    detail: dict
    visible: bool
    qualitative_unscored: int
    qualitative_items: int
    cells: list[Cell | None] = field(default_factory=list)
    previous_rank: int | None = None
    previous_total: Decimal | None = None
    last_year_rank: int | None = None
    top: bool = False
    bottom: bool = False

    @property
    def rank_change(self) -> int | None:
        """Positive: moved up (a smaller rank number than in the previous window)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def last_year_change(self) -> int | None:
        return None if self.last_year_rank is None else self.last_year_rank - self.rank

    @property
    def total_change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def qualitative_pending(self) -> bool:
        """未评: qualitative items count in this window but none is scored yet."""
        return self.qualitative_items > 0 and self.qualitative_unscored == self.qualitative_items

    def most_lost(self, n: int = 3) -> list[tuple[Cell, "Column"]]:
        return self._most_lost[:n]

    _most_lost: list = field(default_factory=list, repr=False)


@dataclass
class Summary:
    """The average row (province Σ/Σ values and mean points) or the maximum row."""

    label: str
    values: list[Decimal | None]
    points: list[Decimal | None]
    total: Decimal | None
    qualitative: Decimal | None
    quantitative: Decimal | None


@dataclass
class Comparison:
    """The table ranks are compared with: which window, and whether it is published or live."""

    label: str
    month: int
    year: int
    live: bool


@dataclass
class League:
    """A window's table as the viewer may see it."""

    window: Window
    columns: list[Column]
    rows: list[Row]
    average: Summary | None
    maximum: Summary
    previous: Comparison | None
    last_year: Comparison | None
    qualitative_max: Decimal
    count: int = 0
    offset: int = 0
    tie_rule: str = TIE_RULE

    @property
    def summary_rows(self) -> list[tuple[str, Summary, list]]:
        """The average and maximum rows with their (points, value, column) per indicator, for templates."""
        return [
            (row_id, s, list(zip(s.points, s.values, self.columns, strict=True)))
            for row_id, s in (("average-row", self.average), ("maximum-row", self.maximum)) if s is not None
        ]

    @property
    def paged(self) -> bool:
        """Only some of the rows: a page of a larger table."""
        return self.offset > 0 or len(self.rows) < self.count

    @property
    def title(self) -> str:
        return f"{self.window.scheme.name} · {self.window.label}累计"


def _number(text) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _previous_run(window: Window, user) -> tuple[ScoreRun | None, Comparison | None]:
    """The previous window of the same kind; a published table whose previous window was never published
    falls back, for the office only, to that window's live table (branches are ranked on published ones)."""
    if window.month <= 1:
        return None, None
    return _same_kind_run(window.scheme, window.month - 1, live=window.is_live, user=user)


def _same_kind_run(scheme: Scheme, month: int, *, live: bool, user) -> tuple[ScoreRun | None, Comparison | None]:
    label = f"{scheme.year}年{ytd_label(month)}"
    if not live:
        publication = Publication.objects.filter(scheme=scheme, month=month).order_by("-revision").select_related("run").first()
        if publication is not None:
            return publication.run, Comparison(f"{label}（{_('第%(r)s版') % {'r': publication.revision}}）", month, scheme.year, False)
        if not can_see_live(user):
            return None, None
    run = selectors.current_run(scheme=scheme, month=month)
    return (run, Comparison(f"{label}（{_('试算')}）", month, scheme.year, True)) if run else (None, None)


def _last_year_run(window: Window, user) -> tuple[ScoreRun | None, Comparison | None]:
    scheme = window.scheme
    previous = Scheme.objects.filter(year=scheme.year - 1, province_id=scheme.province_id, level=scheme.level).first()
    if previous is None:
        return None, None
    return _same_kind_run(previous, window.month, live=window.is_live, user=user)


def comparison_runs(window: Window, user) -> tuple[ScoreRun | None, Comparison | None, ScoreRun | None, Comparison | None]:
    """The runs ranks are compared with: the previous window of the same kind and last year's same window."""
    previous_run, previous = _previous_run(window, user)
    last_run, last_year = _last_year_run(window, user)
    return previous_run, previous, last_run, last_year


def _ranks(runs: list[ScoreRun | None], branch_ids: list[int] | None) -> list[dict[int, tuple[int, Decimal]]]:
    """(rank, total) by branch in each run, in one query; only `branch_ids` when given (a page of rows)."""
    ids = [r.pk for r in runs if r is not None]
    out: dict[int, dict[int, tuple[int, Decimal]]] = {pk: {} for pk in ids}
    if ids:
        query = BranchScore.objects.filter(run_id__in=ids)
        if branch_ids is not None:
            query = query.filter(branch_id__in=branch_ids)
        for run_id, b, r, t in query.values_list("run_id", "branch_id", "rank", "total"):
            out[run_id][b] = (r, t)
    return [out.get(r.pk, {}) if r is not None else {} for r in runs]


def scope_key(user) -> str:
    """What the cells a user sees depend on, as a short text: `all`, or a digest of the visible branch ids."""
    visible = visible_branch_ids(user)
    if visible is None:
        return "all"
    return "b" + hashlib.sha1(",".join(map(str, sorted(visible))).encode()).hexdigest()[:16]


def window_key(window: Window, user) -> str:
    """What the table of a window is made of, computed without reading its rows: the run (a published run never
    changes; a recompute is a new run id), its completion time, the revision shown and the window's latest, the
    runs ranks are compared with, and the language."""
    previous_run, _, last_run, _ = comparison_runs(window, user)
    run = window.run
    parts = [
        KEY_FORMAT, run.pk, run.completed_at.isoformat() if run.completed_at else "", window.revision_slug,
        window.latest.revision if window.latest else 0, previous_run.pk if previous_run else 0,
        last_run.pk if last_run else 0, translation.get_language() or "",
    ]
    return "|".join(map(str, parts))


def table_key(window: Window, user) -> str:
    """A key that changes whenever the table a user sees could: `window_key` and the user's branch scope."""
    return f"{window_key(window, user)}|{scope_key(user)}"


# The newest run (by id and by completion) and publication of every scheme of a scheme's owner and level (this
# year's and last year's, which ranks are compared with): any recompute, completion or publication changes it;
# so does a recompute requested for the scheme (the page says "排名待更新" until it is done) and any change to the
# list of schemes (every page names them).
_STAMP_SQL = """
SELECT s.id,
  (SELECT MAX(r.id) FROM kpi_scorerun r JOIN kpi_scheme f ON r.scheme_id = f.id
    WHERE f.province_id = s.province_id AND f.level = s.level),
  (SELECT MAX(r.completed_at) FROM kpi_scorerun r JOIN kpi_scheme f ON r.scheme_id = f.id
    WHERE f.province_id = s.province_id AND f.level = s.level),
  (SELECT MAX(p.id) FROM kpi_publication p JOIN kpi_scheme f ON p.scheme_id = f.id
    WHERE f.province_id = s.province_id AND f.level = s.level),
  (SELECT MAX(q.id) FROM kpi_recomputerequest q WHERE q.scheme_id = s.id AND q.done_at IS NULL),
  (SELECT COUNT(*) FROM kpi_recomputerequest q WHERE q.scheme_id = s.id AND q.done_at IS NULL),
  (SELECT MAX(a.updated_at) FROM kpi_scheme a),
  (SELECT COUNT(*) FROM kpi_scheme a)
FROM kpi_scheme s WHERE s.code = %s
"""


def scheme_stamp(code: str) -> str | None:
    """One query that changes whenever which run a window of this scheme shows, or compares with, could change;
    None for no such scheme. Lets a read find its cached answer without resolving the window again."""
    row = prepared.fetchone("league_stamp", _STAMP_SQL, [code])
    return None if row is None else "|".join(map(str, row))


def league_rows(*, window: Window, user, explanations: bool = False, offset: int = 0, limit: int | None = None,
                summary: bool = True) -> League:
    """The table of a window for a user: every branch's rank, change and totals, cells within scope,
    the average and maximum rows and 未评 where qualitative items are not scored yet.

    Read from the run's snapshot in a fixed number of queries whatever the number of branches: the rows
    (`limit` rows from `offset`, or all) as values, the cells of just those rows that are within scope,
    and the compared runs' ranks of those branches in one query. Cells carry their explanation only when
    asked (`explanations`); the average row (`summary`) is computed once per run and cached."""
    run = window.run
    version = run.version
    targets = run.targets or {}
    indicators = list(version.indicators.order_by("order"))
    columns = [
        Column(i.code, i.label, i.unit, i.precision, i.base_points, i.bonus_cap, i.direction,
               _number((targets.get(i.code) or {}).get("value")), (targets.get(i.code) or {}).get("source") or "")
        for i in indicators
    ]
    counting = [q for q in version.qualitative_items.all() if q.counts_in(run.month)]
    counting_codes = {q.code for q in counting}
    qualitative_max = sum((q.max_points for q in counting), ZERO)
    visible = visible_branch_ids(user)

    ordered = BranchScore.objects.filter(run=run).order_by("rank", "-quantitative", "branch__code")
    fields = ("pk", "branch_id", "branch__code", "branch__name", "rank", "vetoed", "total", "qualitative",
              "quantitative", "deductions", "detail")
    if limit is None:
        scores = list(ordered.values_list(*fields))
        count = len(scores)
    else:
        count = ordered.count()
        scores = list(ordered.values_list(*fields)[offset:offset + limit])
    paged = limit is not None and not (offset == 0 and len(scores) == count)
    mine_ids = [s[0] for s in scores if visible is None or s[1] in visible]
    by_score: dict[int, dict[str, Cell]] = {}
    base = {c.code: c for c in columns}
    # Runs keep inputs, not explanations: asked for, they are rendered for just these rows.
    explained = _explanations(run, mine_ids) if explanations and mine_ids else {}
    stored_cells = BranchScore.objects.filter(run=run) if visible is None and not paged else BranchScore.objects.filter(pk__in=mine_ids)
    for pk, cells in stored_cells.values_list("pk", "cells") if mine_ids else ():
        for stored in map(StoredCell.from_row, cells):
            column = base.get(stored.indicator_code)
            if column is None:
                continue
            by_score.setdefault(pk, {})[stored.indicator_code] = Cell(
                stored.indicator_code, stored.value, stored.value2, stored.previous, stored.target, stored.points,
                column.base, column.max_points, explained.get(pk, {}).get(stored.indicator_code, {}),
            )

    previous_run, previous, last_run, last_year = comparison_runs(window, user)
    before, last = _ranks([previous_run, last_run], [s[1] for s in scores] if paged else None)

    rows = []
    for position, (pk, branch_id, code, name, rank, vetoed, total, qual, quant, ded, detail) in enumerate(scores, offset + 1):
        scored = {q.get("item") for q in (detail or {}).get("qualitative", [])} & counting_codes
        mine = visible is None or branch_id in visible
        cells = by_score.get(pk, {})
        row = Row(
            branch_id, code, name, rank, position, vetoed, total, qual, quant, ded, detail or {}, mine,
            len(counting_codes - scored), len(counting_codes),
            cells=[cells.get(c.code) for c in columns] if mine else [],
            previous_rank=before.get(branch_id, (None, None))[0], previous_total=before.get(branch_id, (None, None))[1],
            last_year_rank=last.get(branch_id, (None, None))[0],
        )
        if mine:
            ranked = sorted(
                ((cell, column) for cell, column in zip(row.cells, columns, strict=True) if cell is not None and cell.lost > 0),
                key=lambda pair: (-pair[0].lost, pair[1].code),
            )
            row._most_lost = ranked
        row.top = not row.vetoed and row.rank <= 3
        row.bottom = row.position > count - 3 and not row.top
        rows.append(row)

    average = _run_average(run, columns, indicators) if summary else None
    maximum = Summary(
        _("满分"), [None] * len(columns), [c.max_points for c in columns],
        qualitative_max + sum((c.max_points for c in columns), ZERO), qualitative_max, sum((c.max_points for c in columns), ZERO),
    )
    return League(window, columns, rows, average, maximum, previous, last_year, qualitative_max, count=count, offset=offset)


def _explanations(run: ScoreRun, score_ids: list[int]) -> dict[int, dict[str, dict]]:
    """The explanations of these branch scores' cells, rendered from the inputs the run keeps."""
    scores = BranchScore.objects.filter(pk__in=score_ids).select_related("branch")
    return selectors.cell_explanations(run=run, branch_scores=scores)


def _run_average(run: ScoreRun, columns, indicators) -> Summary:
    """The average row of a run, computed from the whole run once (every branch's component totals the run keeps)
    and then kept in the cache: a run never changes (a recompute is a new run)."""
    key = f"league-average:{KEY_FORMAT}:{run.pk}:{run.completed_at.isoformat() if run.completed_at else ''}"
    cached = cache.get(key)
    if cached is None:
        rows = list(BranchScore.objects.filter(run=run).values_list("total", "qualitative", "quantitative", "detail", "cells"))
        kept = any("totals" in (row[3] or {}) for row in rows)
        by_code: dict[str, list[tuple[Decimal, dict | None]]] = {}
        for row in rows:
            detail, cells = row[3], row[4] or []
            if kept:  # every cell of the branch reads its kept totals, parsed once; of a cell only its points
                totals = {c: _number(v) for c, v in ((detail or {}).get("totals") or {}).items()}
                for cell in cells:
                    by_code.setdefault(cell[0], []).append((StoredCell.points_of(cell), totals))
                continue
            for cell in map(StoredCell.from_row, cells):
                # a run written before runs kept their totals: the components its explanations recorded
                by_code.setdefault(cell.indicator_code, []).append((cell.points, cell.explanation.get("inputs")))
        cached = _average(columns, indicators, by_code, [r[:3] for r in rows])
        cache.set(key, cached, AVERAGE_SECONDS)
    values, points, total, qualitative, quantitative = cached
    return Summary(_("平均"), values, points, total, qualitative, quantitative)


def _average(columns, indicators, by_code, totals) -> tuple:
    """The province's own value of each indicator (Σ numerators / Σ denominators of the scored branches, from
    the components each cell recorded; none when a branch lacks one) and the mean points; a plain sum is shown as
    the mean per branch."""
    values, points = [], []
    for column, indicator in zip(columns, indicators, strict=True):
        inputs = indicator_inputs(indicator)
        components = inputs.components
        cells = by_code.get(column.code, [])
        points.append(sum((p for p, _ in cells), ZERO) / len(cells) if cells else None)
        sums = dict.fromkeys(components, ZERO)
        for _points, recorded in cells:
            if isinstance(recorded, dict):  # the branch's component totals, {component: Decimal}
                figures = [recorded.get(c) for c in components]
            else:  # an explanation's inputs, [(name, value), …] in the components' order
                figures = [_number(v) for _, v in (recorded or [])]
            if len(figures) != len(components) or any(f is None for f in figures):
                sums = None
                break
            for code, figure in zip(components, figures, strict=True):
                sums[code] += figure
        if not cells or sums is None:
            values.append(None)
            continue
        # Σ in the rows' order, as pooled_value sums a table of them
        pooled = pooled_value(inputs, pd.DataFrame([sums], dtype=object))
        if inputs.denominator is None and pooled is not None:
            pooled = pooled / len(cells)
        values.append(pooled)
    n = len(totals)
    mean = (lambda i: sum((t[i] for t in totals), ZERO) / n) if n else (lambda i: None)
    return values, points, mean(0), mean(1), mean(2)


@dataclass
class LossLine:
    """One indicator on a branch's page: its cell, column, and what it takes to gain the next step."""

    cell: Cell
    column: Column
    hints: list[str]


def branch_losses(*, table: League, row: Row, indicators: dict) -> list[LossLine]:
    """A branch's indicators ordered by points lost (then by bonus still open), each with the next-step hint
    the monthly form gives (kpi.scoring.next_step, worded by kpi.entries.preview.hint_text)."""
    from kpi.entries.preview import hint_text
    from kpi.rules import indicator_spec
    from kpi.scoring.next_step import next_step

    lines = []
    for cell, column in zip(row.cells, table.columns, strict=True):
        if cell is None:
            continue
        hints = []
        if cell.value is not None and cell.gain_left > 0:
            spec = indicator_spec(indicators[column.code])
            parts = [(1, "")] if spec.rule.kind != "two_part" else [(1, "第一项"), (2, "第二项")]
            for part, part_name in parts:
                step = next_step(spec, cell.value, cell.target, value2=cell.value2, previous=cell.previous, part=part)
                if step is not None:
                    hints.append(hint_text(step, unit=spec.unit, precision=spec.precision, part_name=part_name))
        lines.append(LossLine(cell, column, hints))
    return sorted(lines, key=lambda line: (-line.cell.lost, -line.cell.gain_left, line.column.code))


def league_charts(*, table: League, user) -> dict:
    """Chart data for the table's page: per indicator every visible branch's value against the target and the
    province's own value; the heatmap of points lost (visible branches); each branch's total over the windows
    of the same kind (published totals are public, so every branch appears). A page of a larger table charts
    its own rows."""
    visible_rows = [r for r in table.rows if r.visible]
    window = table.window
    indicators = []
    for i, column in enumerate(table.columns):
        values = [r.cells[i].value for r in visible_rows]
        indicators.append({
            "code": column.code, "name": column.name, "unit": column.unit,
            "target": None if column.target is None else float(column.target),
            "average": None if table.average is None or table.average.values[i] is None
            else round(float(table.average.values[i]), column.precision),
            "values": [None if v is None else round(float(v), column.precision) for v in values],
        })
    heat = [[x, y, float(r.cells[x].lost)] for y, r in enumerate(visible_rows) for x in range(len(table.columns))
            if r.cells[x] is not None]
    if window.is_live and can_see_live(user):
        runs = dict(ScoreRun.objects.filter(scheme=window.scheme, is_current=True).values_list("month", "pk"))
    else:
        latest: dict[int, tuple[int, int]] = {}
        for month, revision, run_id in Publication.objects.filter(scheme=window.scheme).values_list("month", "revision", "run_id"):
            if revision >= latest.get(month, (0, 0))[0]:
                latest[month] = (revision, run_id)
        runs = {m: r for m, (_, r) in latest.items()}
    months = sorted(runs)
    totals: dict[int, dict[int, float]] = {}
    history_rows = BranchScore.objects.filter(run_id__in=list(runs.values()))
    if table.paged:
        history_rows = history_rows.filter(branch_id__in=[r.branch_id for r in table.rows])
    for run_id, branch_id, total in history_rows.values_list("run_id", "branch_id", "total"):
        totals.setdefault(branch_id, {})[run_id] = float(total)
    history = [
        {"name": r.name, "totals": [totals.get(r.branch_id, {}).get(runs[m]) for m in months]} for r in table.rows
    ]
    return {
        "branches": [r.name for r in visible_rows], "indicators": indicators,
        "columns": [c.name for c in table.columns], "heat": heat,
        "windows": [ytd_label(m) for m in months], "history": history,
    }
