"""Assemble a window's league table from its inputs as plain data (pure: no ORM, no Django).

`kpi.selectors.league_inputs` loads a window's inputs; `league_assemble` scores every indicator,
adds the office's qualitative scores and deductions, puts vetoed branches last and ranks. Runs,
the monthly-form preview and the what-if simulator call the same two, so a league table is put
together in one place.
"""

import functools
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pandas as pd

from kpi.scoring.decimals import ZERO, fmt
from kpi.scoring.engine import rank_order
from kpi.scoring.window import ScoredIndicator, WindowResult, score_window, score_windows


@dataclass(frozen=True)
class QualitativeEntry:
    """One qualitative item's score of a branch that counts in the window."""

    item: str
    name: str
    score: Decimal
    max_points: Decimal
    order: int = 0
    unpublished: bool = False
    reason: str = ""


@dataclass(frozen=True)
class DeductionEntry:
    """One deduction (negative points) of a branch in the window."""

    points: Decimal
    month: int
    reason: str = ""


@dataclass(frozen=True)
class LeagueInputs:
    """Everything a window's league table is computed from, as plain data.

    `totals` / `previous_totals`: Σ of each component per branch (rows branch code, columns component)
    over January..month of the scheme's year and of the year before. `qualitative`, `deductions` and
    `vetoes` are keyed by branch code; `vetoes` maps a vetoed branch to its reason.
    """

    indicators: tuple[ScoredIndicator, ...]
    totals: pd.DataFrame
    previous_totals: pd.DataFrame
    branches: tuple[str, ...]
    overrides: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    component_names: dict[str, str] = field(default_factory=dict)
    qualitative: dict[str, tuple[QualitativeEntry, ...]] = field(default_factory=dict)
    deductions: dict[str, tuple[DeductionEntry, ...]] = field(default_factory=dict)
    vetoes: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes) -> "LeagueInputs":
        """A copy with some fields replaced (the inputs themselves are never changed)."""
        return replace(self, **changes)


@dataclass
class League:
    """A ranked league table: every cell with its explanation, and per branch its totals and rank.

    `table` is indexed by branch code in rank order with columns qualitative, quantitative,
    deductions, total, vetoed, rank; `details` holds what the totals are made of, per branch. `rows` is the same
    as lists (TABLE_COLUMNS and "branch", in rank order); the table is built when someone reads it.
    """

    window: WindowResult
    rows: dict[str, list]
    details: dict[str, dict]

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame({c: self.rows[c] for c in TABLE_COLUMNS}, index=pd.Index(self.rows["branch"], name="branch"))

    @property
    def order(self) -> list[str]:
        """Branch codes in rank order."""
        return list(self.rows["branch"])

    def cell(self, branch: str, indicator: str):
        """One branch × indicator cell (a row of `window.cells`)."""
        cells = self.window.cells
        return cells[(cells["branch"] == branch) & (cells["indicator"] == indicator)].iloc[0]


def score_cells(
    inputs: LeagueInputs, branches: list[str] | None = None, *, engine: str | None = None, explain: bool = True
) -> WindowResult:
    """Every indicator of the inputs scored for `branches` (default: all of the window's branches).

    `engine` and `explain` as in `kpi.scoring.window.score_window`."""
    return score_window(
        list(inputs.indicators),
        inputs.totals,
        inputs.previous_totals,
        overrides=inputs.overrides,
        component_names=inputs.component_names,
        branches=list(inputs.branches) if branches is None else branches,
        engine=engine,
        explain=explain,
    )


def _rows_of(frame: pd.DataFrame, branch: str) -> pd.DataFrame:
    return frame[frame.index == branch] if len(frame.index) else frame


def explain_cells(inputs: LeagueInputs, branch: str, targets: dict[str, dict]) -> dict[str, dict]:
    """One branch's explanation of every indicator, {indicator code: explanation}, rendered by the Decimal
    engine from that branch's totals alone and the window's resolved `targets` (`WindowResult.targets` of
    the run): equal to what a whole explained run gives the branch, without scoring the other branches."""
    window = score_window(
        list(inputs.indicators),
        _rows_of(inputs.totals, branch),
        _rows_of(inputs.previous_totals, branch),
        overrides=inputs.overrides,
        component_names=inputs.component_names,
        branches=[branch],
        engine="decimal",
        explain=True,
        targets=targets,
    )
    if window.cells.empty:
        return {}
    return dict(zip(window.cells["indicator"].tolist(), window.cells["explanation"].tolist(), strict=True))


def league_assemble(inputs: LeagueInputs, engine: str | None = None, explain: bool = True) -> League:
    """Score the inputs and rank: total = qualitative + quantitative + deductions; vetoed branches last.

    Ties are ordered by the quantitative score, then by branch code, and share the rank (kpi.scoring.engine.rank).
    `explain=False` stores no explanation in the cells (see `explain_cells`); `engine` as in
    `kpi.scoring.window.score_window` (default: the Decimal engine when explaining, the exact one otherwise).
    """
    window = score_cells(inputs, engine=engine, explain=explain)
    quantitative = window.quantitative().to_dict() if not window.cells.empty else {}
    return _ranked(inputs, window, quantitative)


def league_assemble_many(inputs: dict) -> dict:
    """`league_assemble(…, explain=False)` of many windows ({key: LeagueInputs} → {key: League}) at once.

    Windows scored by the same indicators (every scheme of a level shares its rules, and a scheme's windows
    share them) are evaluated together, one pass per indicator over all their rows, each row against its own
    window's target (kpi.scoring.window.score_windows): the cost is that of the rows, not of the windows.
    Equal to assembling each window alone (tests/kpi/test_league_many.py).
    """
    groups: dict[tuple, list] = {}
    for key, window_inputs in inputs.items():
        groups.setdefault(window_inputs.indicators, []).append(key)
    out = {}
    for indicators, keys in groups.items():
        windows = [inputs[key] for key in keys]
        results, quantitative = score_windows(list(indicators), windows)
        for key, window_inputs, result, quant in zip(keys, windows, results, quantitative, strict=True):
            out[key] = _ranked(window_inputs, result, quant)
    return out


def _ranked(inputs: LeagueInputs, window: WindowResult, quantitative: dict) -> League:
    """The league table of scored cells: each branch's qualitative, quantitative and deduction points, ranked."""
    columns = {c: [] for c in ("qualitative", "quantitative", "deductions", "total", "vetoed")}
    details = {}
    for code in inputs.branches:
        entries = inputs.qualitative.get(code, ())
        deductions = inputs.deductions.get(code, ())
        qual = sum((e.score for e in entries), ZERO) if entries else ZERO
        quant = quantitative.get(code, ZERO)
        ded = sum((d.points for d in deductions), ZERO) if deductions else ZERO
        for column, v in zip(columns.values(), (qual, quant, ded, qual + quant + ded, code in inputs.vetoes), strict=True):
            column.append(v)
        details[code] = {
            "qualitative": [
                {"item": e.item, "name": e.name, "score": fmt(e.score), "max": fmt(e.max_points),
                 "unpublished": e.unpublished, "reason": e.reason}
                for e in sorted(entries, key=lambda e: e.order)
            ] if entries else [],
            "deductions": [{"points": fmt(d.points), "month": d.month, "reason": d.reason} for d in deductions],
            "veto": inputs.vetoes.get(code),
        }
    codes = list(inputs.branches)
    order, ranks = rank_order(codes, columns["vetoed"], columns["total"], columns["quantitative"])
    rows = {**{name: [values[i] for i in order] for name, values in columns.items()}, "rank": ranks, "branch": [codes[i] for i in order]}
    return League(window=window, rows=rows, details=details)


TABLE_COLUMNS = ("qualitative", "quantitative", "deductions", "total", "vetoed", "rank")
