"""What a month's typed figures would score: stored months + the typed month, through the pure engine.

No rule lives here. The year-to-date totals are the stored figures of every scored branch for
January..month with this branch's month replaced by what is typed; `kpi.scoring.league.score_cells`
scores them exactly as the league table does (the provincial average includes the typed figures),
and `kpi.scoring.next_step` searches the rule for the nearest better score.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

import pandas as pd

from branches.models import Branch
from kpi import selectors as kpi_selectors
from kpi.entries.selectors import REST, EntryLayout, previous_window_figures, scheme_window_figures
from kpi.models import Scheme
from kpi.rules import indicator_inputs
from kpi.scoring.aggregation import indicator_values, window_totals
from kpi.scoring.decimals import ZERO, fmt
from kpi.scoring.league import score_cells
from kpi.scoring.next_step import NextStep, next_step
from kpi.templatetags.kpi_format import ytd_label


@dataclass
class IndicatorPreview:
    """One indicator of the preview: this month, the year to date, the score and the next step."""

    code: str
    month_value: Decimal | None
    month_value2: Decimal | None
    ytd_value: Decimal | None
    ytd_value2: Decimal | None
    previous: Decimal | None
    target: Decimal | None
    target_source: str
    points: Decimal
    max_points: Decimal
    steps: list[str]
    hints: list[str] = field(default_factory=list)

    @property
    def at_max(self) -> bool:
        return self.points >= self.max_points

    @property
    def missing(self) -> bool:
        return self.ytd_value is None


@dataclass
class Preview:
    indicators: dict[str, IndicatorPreview]
    total: Decimal
    max_total: Decimal
    month: datetime.date

    @property
    def window_label(self) -> str:
        return ytd_label(self.month.month)


def _unit_word(unit: str) -> str:
    return " 个百分点" if unit == "%" else f" {unit}" if unit else ""


def hint_text(step: NextStep, *, unit: str, precision: int, part_name: str = "") -> str:
    """'再提升 0.52 个百分点可得 4.00 分' — the next step in words; the change is rounded up, never short of it."""
    verb = "再提升" if step.direction == "higher" else "再降低"
    change = step.change.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_CEILING)
    return f"{part_name}{verb} {fmt(change, precision)}{_unit_word(unit)}可得 {fmt(step.points, 2)} 分"


def _with_typed(figures: pd.DataFrame, branch: str, month: datetime.date, typed: dict[str, Decimal | None]) -> pd.DataFrame:
    """The window's figures with this branch's typed month in place of the stored one."""
    rows = pd.DataFrame(
        [(branch, code, month, value) for code, value in typed.items() if value is not None],
        columns=["branch", "component", "month", "value"],
    )
    if not figures.empty:
        replaced = (figures["branch"] == branch) & (figures["month"] == month) & figures["component"].isin(list(typed))
        figures = figures[~replaced]
    frames = [f for f in (figures, rows) if not f.empty]
    if not frames:
        return rows
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].astype(object)
    return out


def entries_preview(
    *,
    scheme: Scheme,
    layout: EntryLayout,
    branch: Branch,
    month: datetime.date,
    typed: dict[str, Decimal | None],
    figures: pd.DataFrame | None = None,
) -> Preview:
    """Score every indicator of the branch as if the typed figures were saved; with hints for the next step."""
    if figures is None:
        figures = scheme_window_figures(scheme=scheme, month=month, branch=branch)
    window = _with_typed(figures, branch.code, month, typed)
    # The rest of the scheme summed in one row (scheme_window_figures' compact form): last year is needed of this
    # branch only (its year-on-year indicators), never of every branch.
    compact = not figures.empty and (figures["branch"] == REST).any()
    previous = previous_window_figures(scheme=scheme, branch=branch, month=month) if compact else None
    # The league's own inputs with the typed month in place, scored by the league's own scorer.
    inputs = kpi_selectors.league_inputs(
        scheme=scheme, month=month.month, version=layout.version, figures=window, previous_figures=previous
    )
    items = list(inputs.indicators)
    result = score_cells(inputs, branches=[branch.code])
    this_month = window[(window["branch"] == branch.code) & (window["month"] == month)] if not window.empty else window
    month_totals = window_totals(this_month)
    cells = {row.indicator: row for row in result.cells.itertuples()}
    out, total, max_total = {}, ZERO, ZERO
    for item in items:
        spec, cell = item.spec, cells[item.spec.code]
        indicator = next(i.indicator for i in layout.indicators if i.indicator.code == spec.code)
        month_values = indicator_values(indicator_inputs(indicator), month_totals) if not month_totals.empty else None
        target = result.targets[spec.code]["value"]
        preview = IndicatorPreview(
            code=spec.code,
            month_value=None if month_values is None else _first(month_values["value"]),
            month_value2=None if month_values is None else _first(month_values["value2"]),
            ytd_value=cell.value,
            ytd_value2=cell.value2,
            previous=cell.previous,
            target=target,
            target_source=result.targets[spec.code]["source"],
            points=cell.points,
            max_points=spec.max_points,
            steps=cell.explanation.get("steps", []),
        )
        if cell.value is not None and not preview.at_max:
            parts = [(1, "")] if spec.rule.kind != "two_part" else [(1, "第一项"), (2, "第二项")]
            for part, part_name in parts:
                step = next_step(spec, cell.value, target, value2=cell.value2, previous=cell.previous, part=part)
                if step is not None:
                    preview.hints.append(hint_text(step, unit=spec.unit, precision=spec.precision, part_name=part_name))
        out[spec.code] = preview
        total += cell.points
        max_total += spec.max_points
    return Preview(indicators=out, total=total, max_total=max_total, month=month)


def _first(series: pd.Series):
    value = series.iloc[0] if len(series) else None
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value
