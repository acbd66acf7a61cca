"""Score a whole scheme over one year-to-date window from component totals (pure: no ORM)."""

import copy
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from kpi.scoring.aggregation import Inputs, indicator_values, pooled_value
from kpi.scoring.decimals import ONE, ZERO, fmt
from kpi.scoring.engine import IndicatorSpec, is_missing, prepare, score_indicator
from kpi.scoring.exact import ENGINES, prepared_points
from kpi.scoring.memo import Memo

TARGET_SOURCES = {
    "fixed": "方案规定的固定考核值",
    "provincial_average": "全省加权平均(各机构分子合计 ÷ 分母合计)",
    "year_on_year": "上年同期值",
}


# The engine a window is scored with when no explanation is wanted (kpi.scoring.exact proves it equal).
FAST_ENGINE = "exact"
CELL_COLUMNS = ("value", "value2", "previous", "target", "points", "explanation", "indicator", "branch")


@dataclass(frozen=True)
class ScoredIndicator:
    """An indicator as the window scorer needs it: the rule spec and how its value is aggregated."""

    spec: IndicatorSpec
    inputs: Inputs


class WindowResult:
    """Every branch × indicator cell with its explanation, and the target each indicator used.

    `cells` is a table (columns CELL_COLUMNS, one row per branch × indicator, indicator by indicator); the many-
    window scorer gives the same cells as lists (`columns`) and the table is built only when someone reads it."""

    def __init__(self, cells: pd.DataFrame | None = None, targets: dict[str, dict] | None = None, *, columns: dict[str, list] | None = None):
        self._cells, self._columns = cells, columns
        self.targets = targets if targets is not None else {}

    @property
    def cells(self) -> pd.DataFrame:
        if self._cells is None:
            self._cells = pd.DataFrame(self._columns, columns=list(CELL_COLUMNS), dtype=object) if self._columns["points"] else pd.DataFrame()
        return self._cells

    def column(self, name: str) -> list:
        """One column of the cells as a list (empty when there are none)."""
        if self._columns is not None:
            return self._columns[name]
        return self._cells[name].tolist() if name in self._cells else []

    def quantitative(self) -> pd.Series:
        """Σ of indicator points per branch."""
        return self.cells.groupby("branch")["points"].sum()


def _present(values: pd.DataFrame, branches: list[str] | None) -> pd.DataFrame:
    """Values re-indexed to `branches`, with None (not NaN) where a branch has no figures."""
    if branches is not None:
        values = values.reindex(branches)
    return pd.DataFrame(
        {col: [None if is_missing(v) else v for v in values[col].tolist()] for col in values.columns},
        index=values.index, columns=values.columns, dtype=object,
    )


def resolve_target(item: ScoredIndicator, totals: pd.DataFrame, override: tuple[Decimal, str] | None):
    """The target an indicator uses in this window, and where it comes from."""
    spec = item.spec
    if override is not None:
        return override[0], f"省公司调整的考核值：{override[1]}"
    if spec.target_kind == "provincial_average":
        return pooled_value(item.inputs, totals), TARGET_SOURCES["provincial_average"]
    if spec.target_kind == "year_on_year":
        return None, TARGET_SOURCES["year_on_year"]
    return spec.target, TARGET_SOURCES["fixed"]


def score_window(
    indicators: list[ScoredIndicator],
    totals: pd.DataFrame,
    previous_totals: pd.DataFrame,
    overrides: dict[str, tuple[Decimal, str]] | None = None,
    component_names: dict[str, str] | None = None,
    branches: list[str] | None = None,
    *,
    engine: str | None = None,
    explain: bool = True,
    targets: dict[str, dict] | None = None,
) -> WindowResult:
    """Score every branch on every indicator from `totals` (rows branch, columns component Σ).

    `branches` lists every branch to score (default: the rows of `totals`); one with no figures
    at all scores 0 with "missing data" rather than an empty-denominator value.

    `explain=False` leaves every cell's explanation None (a national recompute stores none; one branch's are
    rendered on demand by `kpi.scoring.league.explain_cells`). `engine` is "decimal" (the reference, the
    only one that explains) or "exact" (kpi.scoring.exact: the same points on integers); by default
    "decimal" when explaining and `FAST_ENGINE` otherwise. `targets` ({code: {"value", "source"}}, as in
    `WindowResult.targets`) are used instead of resolving them from `totals`, so that a few branches can be
    scored against the whole window's provincial averages.
    """
    engine = engine or ("decimal" if explain else FAST_ENGINE)
    if engine not in ENGINES:
        raise ValueError(f"unknown scoring engine {engine!r}; one of {', '.join(ENGINES)}")
    if explain and engine != "decimal":
        raise ValueError("explanations are rendered by the Decimal engine: explain=False with engine='exact'")
    overrides = overrides or {}
    names = component_names or {}
    frames, columns, resolved = [], {c: [] for c in CELL_COLUMNS}, {}
    for item in indicators:
        spec = item.spec
        table = _present(indicator_values(item.inputs, totals), branches)
        if spec.target_kind == "year_on_year":
            table["previous"] = _present(indicator_values(item.inputs, previous_totals), list(table.index))["value"]
        if targets is not None:
            target, source = targets[spec.code]["value"], targets[spec.code]["source"]
        else:
            target, source = resolve_target(item, totals, overrides.get(spec.code))
        resolved[spec.code] = {"value": target, "source": source}
        if not explain:
            if engine == "exact":
                df, _, complete, used = prepare(spec, table, target)
                df["target"], df["points"] = used, prepared_points(spec, df, complete, used)
            else:
                df = score_indicator(spec, table, target, explain=False)
            n = len(df)
            for col in ("value", "value2", "previous", "target", "points"):
                columns[col].extend(df[col].tolist())
            columns["explanation"].extend([None] * n)
            columns["indicator"].extend([spec.code] * n)
            columns["branch"].extend(df.index.tolist())
            continue
        scored = _score_explained(spec, table, target)
        formula = item.inputs.describe(names)
        component_sums = {
            code: totals[code].to_dict() if code in totals.columns else {} for code in item.inputs.components
        }
        extras = {
            "formula": formula,
            "target": fmt(target) if target is not None else None,
            "target_source": source,
        }
        scored["explanation"] = [
            {
                **explanation,
                **extras,
                "inputs": [[names.get(code, code), fmt(component_sums[code].get(branch))] for code in item.inputs.components],
                "raw_value": fmt(raw, 6) if raw is not None else None,
                "value": fmt(value, spec.precision) if value is not None else None,
            }
            for branch, explanation, raw, value in zip(
                scored.index, scored["explanation"].tolist(), table["value"].tolist(), scored["value"].tolist()
            )
        ]
        scored["indicator"] = spec.code
        scored["branch"] = scored.index
        frames.append(scored.reset_index(drop=True))
    if not explain:
        cells = pd.DataFrame(columns, dtype=object) if indicators else pd.DataFrame()
    else:
        cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return WindowResult(cells=cells, targets=resolved)


# One branch's explained cells, by their exact inputs (the monthly form's preview: a keystroke changes the inputs of
# the few indicators that read the typed component; the others are looked up).
_EXPLAINED = Memo(4096)


def _score_explained(spec, table: pd.DataFrame, target) -> pd.DataFrame:
    """score_indicator with explanations; a table of one row through `_EXPLAINED` (a copy: the caller's to change)."""
    if len(table) != 1:
        return score_indicator(spec, table, target)
    key = (tuple(table.columns), tuple(table.iloc[0].tolist()), target)
    found = _EXPLAINED.get(spec, key, lambda: score_indicator(spec, table, target))
    out = found.copy()
    out.index = table.index
    out["explanation"] = [copy.deepcopy(e) for e in found["explanation"].tolist()]
    return out


def score_windows(indicators: list[ScoredIndicator], windows: list) -> tuple[list[WindowResult], list[dict]]:
    """`score_window(…, explain=False)` of many windows scored by the same indicators, evaluated together.

    `windows` are LeagueInputs (kpi.scoring.league). The rows of every window are scored in one pass per
    indicator on the exact engine, each row against its own window's target (fixed, the window's pooled
    provincial average, its override: a column of targets). Returns each window's result and its Σ of points
    per branch, in the order of `windows`."""
    rows = [(w, code) for w, inputs in enumerate(windows) for code in inputs.branches]
    starts = np.cumsum([0] + [len(inputs.branches) for inputs in windows]).tolist()
    current = _stacked([inputs.totals for inputs in windows], rows)
    previous = _stacked([inputs.previous_totals for inputs in windows], rows)
    cells = {c: [] for c in CELL_COLUMNS}
    resolved = [{} for _ in windows]
    for item in indicators:
        spec = item.spec
        table = _rows_values(indicator_values(item.inputs, current[0]), current[1])
        if spec.target_kind == "year_on_year":
            table["previous"] = _rows_values(indicator_values(item.inputs, previous[0]), previous[1])["value"]
        targets = []
        for w, inputs in enumerate(windows):
            target, source = resolve_target(item, inputs.totals, inputs.overrides.get(spec.code))
            resolved[w][spec.code] = {"value": target, "source": source}
            targets.extend([target] * (starts[w + 1] - starts[w]))
        # prepare's flags with a stand-in target, then each row's own: a row whose window has no target scores 0
        df, _, complete, _ = prepare(spec, table, ONE)
        if spec.target_kind != "year_on_year":
            targets = [spec.target if t is None else t for t in targets]
            complete &= pd.Series([t is not None for t in targets], index=complete.index)
        used = pd.Series(targets, index=df.index, dtype=object)
        points = prepared_points(spec, df, complete, used if spec.target_kind != "year_on_year" else None)
        column = {c: df[c].tolist() for c in ("value", "value2", "previous")}
        column["target"] = targets  # None for year-on-year: each row is compared with its own last year
        column["points"] = points
        for col, values in column.items():
            cells[col].append(values)
    results, quantitative = [], []
    for w, inputs in enumerate(windows):
        a, b = starts[w], starts[w + 1]
        frame = {c: [v for values in cells[c] for v in values[a:b]] for c in ("value", "value2", "previous", "target", "points")}
        n = (b - a) * len(indicators)
        frame["explanation"] = [None] * n
        frame["indicator"] = [item.spec.code for item in indicators for _ in range(b - a)]
        frame["branch"] = list(inputs.branches) * len(indicators)
        totals: dict = {}
        for code, points in zip(frame["branch"], frame["points"], strict=True):
            totals[code] = totals.get(code, ZERO) + points
        results.append(WindowResult(targets=resolved[w], columns=frame))
        quantitative.append(totals)
    return results, quantitative


def _stacked(frames: list[pd.DataFrame], rows: list) -> tuple[pd.DataFrame, list]:
    """The windows' totals one under the other (components a window lacks are 0 in its rows), and the
    position there of each (window, branch) of `rows` (None: no figures)."""
    present = [(w, f) for w, f in enumerate(frames) if len(f.index)]
    if not present:
        return pd.DataFrame(dtype=object), [None] * len(rows)
    stacked = pd.concat([f for _, f in present], ignore_index=True, sort=True).astype(object)
    stacked = stacked.where(stacked.notna(), ZERO)
    where, position = {}, 0
    for w, f in present:
        for code in f.index.tolist():
            where[(w, code)] = position
            position += 1
    return stacked, [where.get(row) for row in rows]


def _rows_values(values: pd.DataFrame, positions: list) -> pd.DataFrame:
    """`values` (rows as in `_stacked`) taken at each row's position: None where it has no figures."""
    out = {}
    for col in ("value", "value2"):
        got = values[col].tolist() if col in values else []
        out[col] = [None if p is None or is_missing(v := got[p]) else v for p in positions]
    return pd.DataFrame(out, dtype=object)
