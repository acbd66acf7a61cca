"""Score a whole scheme over one year-to-date window from component totals (pure: no ORM)."""

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from kpi.scoring.aggregation import Inputs, indicator_values, pooled_value
from kpi.scoring.decimals import fmt
from kpi.scoring.engine import IndicatorSpec, score_indicator

TARGET_SOURCES = {
    "fixed": "方案规定的固定考核值",
    "provincial_average": "全省加权平均(各机构分子合计 ÷ 分母合计)",
    "year_on_year": "上年同期值",
}


@dataclass(frozen=True)
class ScoredIndicator:
    """An indicator as the window scorer needs it: the rule spec and how its value is aggregated."""

    spec: IndicatorSpec
    inputs: Inputs


@dataclass
class WindowResult:
    """Every branch × indicator cell with its explanation, and the target each indicator used."""

    cells: pd.DataFrame
    targets: dict[str, dict] = field(default_factory=dict)

    def quantitative(self) -> pd.Series:
        """Σ of indicator points per branch."""
        return self.cells.groupby("branch")["points"].sum()


def _present(values: pd.DataFrame, branches: list[str] | None) -> pd.DataFrame:
    """Values re-indexed to `branches`, with None (not NaN) where a branch has no figures."""
    if branches is not None:
        values = values.reindex(branches)
    return values.astype(object).where(values.notna(), None)


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
) -> WindowResult:
    """Score every branch on every indicator from `totals` (rows branch, columns component Σ).

    `branches` lists every branch to score (default: the rows of `totals`); one with no figures
    at all scores 0 with "missing data" rather than an empty-denominator value.
    """
    overrides = overrides or {}
    names = component_names or {}
    frames, targets = [], {}
    for item in indicators:
        spec = item.spec
        table = _present(indicator_values(item.inputs, totals), branches)
        if spec.target_kind == "year_on_year":
            table["previous"] = _present(indicator_values(item.inputs, previous_totals), list(table.index))["value"]
        target, source = resolve_target(item, totals, overrides.get(spec.code))
        targets[spec.code] = {"value": target, "source": source}
        scored = score_indicator(spec, table, target)
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
    cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return WindowResult(cells=cells, targets=targets)
