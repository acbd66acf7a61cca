"""Year-to-date values from monthly components: Σ numerator / Σ denominator, never the mean of rates."""

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from kpi.scoring.decimals import ZERO
from kpi.scoring.rules import RuleError, _Reader


@dataclass(frozen=True)
class Inputs:
    """Which components make an indicator's value, and how (ratio × scale, or a plain sum)."""

    numerator: str
    denominator: str | None = None
    scale: Decimal = Decimal(1)
    empty_value: Decimal | None = None
    numerator2: str | None = None
    denominator2: str | None = None
    scale2: Decimal = Decimal(1)

    @property
    def components(self) -> list[str]:
        codes = [self.numerator, self.denominator, self.numerator2, self.denominator2]
        return list(dict.fromkeys(c for c in codes if c))

    def describe(self, names: dict[str, str] | None = None) -> str:
        """The aggregation as a formula in Chinese, e.g. 'Σ合格件数 ÷ Σ质检件数 × 100'."""
        n = names or {}
        if self.denominator is None:
            return f"Σ{n.get(self.numerator, self.numerator)}"
        text = f"Σ{n.get(self.numerator, self.numerator)} ÷ Σ{n.get(self.denominator, self.denominator)}"
        return text if self.scale == 1 else f"{text} × {self.scale:f}"


def parse_inputs(data, known_components: set[str] | None = None) -> Inputs:
    """The inputs described by `data`, or RuleError listing every problem."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise RuleError(["输入与汇总方式必须是 JSON 对象"])
    if "sum" in data:
        inputs = Inputs(numerator=data["sum"])
    else:
        for key in ("numerator", "denominator"):
            if not data.get(key):
                reader.errors.append(f"比率指标须写明“{key}”(填报项代码)")
        inputs = Inputs(
            numerator=data.get("numerator") or "",
            denominator=data.get("denominator") or None,
            scale=reader.decimal(data, "scale", "输入", default="1", positive=True) or Decimal(1),
            empty_value=reader.decimal(data, "empty_value", "输入", required=False),
            numerator2=data.get("numerator2"),
            denominator2=data.get("denominator2"),
            scale2=reader.decimal(data, "scale2", "输入", default="1", positive=True) or Decimal(1),
        )
        if bool(inputs.numerator2) != bool(inputs.denominator2):
            reader.errors.append("第二项须同时写明“numerator2”和“denominator2”")
    if known_components is not None:
        for code in inputs.components:
            if code not in known_components:
                reader.errors.append(f"填报项“{code}”不存在")
    if reader.errors:
        raise RuleError(reader.errors)
    return inputs


def window_totals(figures: pd.DataFrame) -> pd.DataFrame:
    """Σ of each component per branch: rows branch, columns component (Decimal; 0 where none entered)."""
    if figures.empty:
        return pd.DataFrame(dtype=object)
    totals = figures.groupby(["branch", "component"])["value"].sum().unstack("component")
    return totals.astype(object).where(totals.notna(), ZERO)


def component_sums(totals: pd.DataFrame) -> dict[str, Decimal]:
    """Σ of each component over every branch of a window's totals."""
    return {code: sum(values, ZERO) for code, values in zip(totals.columns, totals.to_numpy().T.tolist(), strict=True)}


def _component(totals: pd.DataFrame, code: str) -> pd.Series:
    if code in totals.columns:
        return totals[code]
    return pd.Series([ZERO] * len(totals), index=totals.index, dtype=object)


def _ratio(num: pd.Series, den: pd.Series, scale: Decimal, empty: Decimal | None) -> pd.Series:
    """num ÷ den × scale per row (in this order, at Decimal precision); `empty` where den is 0."""
    values = [n / d * scale if d != ZERO else empty for n, d in zip(num.tolist(), den.tolist(), strict=True)]
    return pd.Series(values, index=num.index, dtype=object)


def indicator_values(inputs: Inputs, totals: pd.DataFrame) -> pd.DataFrame:
    """Each branch's value (and value2 of a two-part indicator) from its window totals."""
    num = _component(totals, inputs.numerator)
    if inputs.denominator is None:
        value = num
    else:
        value = _ratio(num, _component(totals, inputs.denominator), inputs.scale, inputs.empty_value)
    value2 = pd.Series([None] * len(totals), index=totals.index, dtype=object)
    if inputs.numerator2:
        value2 = _ratio(
            _component(totals, inputs.numerator2), _component(totals, inputs.denominator2), inputs.scale2, None
        )
    return pd.DataFrame({"value": value, "value2": value2}, index=totals.index)


def pooled_value(inputs: Inputs, totals: pd.DataFrame) -> Decimal | None:
    """The weighted average over all branches: Σ all numerators / Σ all denominators × scale."""
    num = sum(_component(totals, inputs.numerator), ZERO)
    if inputs.denominator is None:
        return num
    den = sum(_component(totals, inputs.denominator), ZERO)
    return inputs.empty_value if den == ZERO else num / den * inputs.scale
