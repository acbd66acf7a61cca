"""The one checker of a month's typed figures: every error with its component named, in Chinese.

Errors block saving (not a number, negative, a count with decimals, a part larger than its whole,
a stored value cleared, a required value missing on submission, a locked month). Warnings do not:
a figure far from last month's, or an indicator's month value far from the other branches' pooled
value of the same month — the usual signs of a typing slip.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from core import parsing
from kpi.entries.selectors import CheckContext, EntryLayout
from kpi.models import MonthlyFigure
from kpi.rules import indicator_inputs
from kpi.scoring.aggregation import indicator_values, pooled_value, window_totals
from kpi.scoring.decimals import ZERO, fmt

# A figure moving by more than half against last month, or an indicator's month value more than half
# away from the other branches' pooled value, is worth a second look.
WARN_CHANGE_FROM_LAST_MONTH = Decimal("0.5")
WARN_DISTANCE_FROM_PROVINCE = Decimal("0.5")
# Counted units hold whole numbers; other units (万元, 天) may have decimals.
WHOLE_UNITS = {"件", "户", "人", "次"}
FIGURE_COLUMN = MonthlyFigure._meta.get_field("value")  # bounds every typed figure: 18 digits, 4 places


@dataclass(frozen=True)
class Problem:
    """One error or warning; `component` (a code) or `indicator` says where the form shows it."""

    message: str
    component: str | None = None
    indicator: str | None = None


@dataclass
class Checked:
    """Parsed values (None where blank or invalid), and every error and warning found."""

    values: dict[str, Decimal | None]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def by_component(self, kind: str = "errors") -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in getattr(self, kind):
            if p.component:
                out.setdefault(p.component, []).append(p.message)
        return out


def parse_figure(raw: str | None, *, column=None, label: str = "") -> tuple[Decimal | None, str | None]:
    """A typed figure as a Decimal fitting `column` (default: MonthlyFigure.value), read by core.parsing.

    Full-width digits and spaces are accepted, a comma only as a thousands separator; `1,5`, `1e2`,
    NaN and overflowing values come back as an error message, never as a number or an exception.
    """
    try:
        return parsing.parse_decimal_for(raw, column or FIGURE_COLUMN, label=label), None
    except parsing.InputError as exc:
        return None, exc.message


def figure_value(raw, *, unit: str) -> tuple[Decimal | None, str | None, str | None]:
    """A figure as every channel reads it (the form, imports, the API): (value, problem code, message).

    None, None, None for a blank; the codes are the import's (NOT_A_NUMBER, OUT_OF_RANGE, NEGATIVE, NOT_WHOLE).
    """
    text = "" if raw is None else str(raw)
    value, error = parse_figure(text)
    if error:
        not_a_number = error == parsing.DECIMAL_MESSAGE.format(value=parsing.shown(text))
        return None, "NOT_A_NUMBER" if not_a_number else "OUT_OF_RANGE", error
    if value is not None and value < ZERO:
        return None, "NEGATIVE", "不能为负数"
    if value is not None and unit in WHOLE_UNITS and value != value.to_integral_value():
        return None, "NOT_WHOLE", f"单位为“{unit}”，须填整数"
    return value, None, None


def figures_check(*, layout: EntryLayout, context: CheckContext, raw: dict[str, str], require_all: bool) -> Checked:
    """Parse and check the typed figures of one branch and month against the stored ones and the province."""
    names = {code: c.name for code, c in layout.components.items()}
    checked = Checked(values={})
    if context.locked:
        checked.errors.append(Problem("本月数据已审核锁定，不能修改；如需更正，请联系省公司重新打开。"))
    for code in layout.entered:
        component = layout.components[code]
        value, problem, message = figure_value(raw.get(code), unit=component.unit)
        name = names[code]
        if problem:
            checked.errors.append(Problem(f"{name}：{message}", code))
        elif value is None:
            if code in context.stored:
                checked.errors.append(Problem(f"{name}：已保存的数值不能清空（如为零请填 0）", code))
            elif require_all:
                checked.errors.append(Problem(f"{name}：必填", code))
        checked.values[code] = value
    _check_parts(layout, context, checked, names)
    _warn_last_month(layout, context, checked, names)
    _warn_province(layout, context, checked)
    return checked


def _month_value(checked: Checked, context: CheckContext, code: str) -> Decimal | None:
    return checked.values[code] if code in checked.values else context.derived_month.get(code, ZERO)


def _check_parts(layout, context, checked, names) -> None:
    """In a percentage, the part (numerator) cannot exceed the whole (denominator) of the same month."""
    flagged = set()
    for item in layout.indicators:
        if item.indicator.unit != "%":
            continue
        inputs = item.indicator.inputs
        for num, den in (
            (inputs.get("numerator"), inputs.get("denominator")),
            (inputs.get("numerator2"), inputs.get("denominator2")),
        ):
            if not num or not den or (num, den) in flagged or (num not in checked.values and den not in checked.values):
                continue
            n, d = _month_value(checked, context, num), _month_value(checked, context, den)
            if n is not None and d is not None and n > d:
                flagged.add((num, den))
                where = num if num in checked.values else den
                checked.errors.append(
                    Problem(f"{names[num]}（{fmt(n)}）不能大于{names[den]}（{fmt(d)}）", where, item.indicator.code)
                )


def _warn_last_month(layout, context, checked, names) -> None:
    for code, value in checked.values.items():
        last = context.last_month.get(code)
        if value is None or not last:
            continue
        change = (value - last) / last
        if abs(change) > WARN_CHANGE_FROM_LAST_MONTH:
            checked.warnings.append(
                Problem(
                    f"{names[code]}：较上月（{fmt(last)}）{'增加' if change > 0 else '减少'} {fmt(abs(change) * 100, 0)}%，请核对",
                    code,
                )
            )


def _warn_province(layout, context, checked) -> None:
    """An indicator's month value far from the other branches' pooled value of the same month."""
    if context.others_month.empty:
        return
    others = window_totals(context.others_month)
    mine_row = {**context.derived_month, **{c: v for c, v in checked.values.items() if v is not None}}
    mine = pd.DataFrame([mine_row], index=["mine"], dtype=object) if mine_row else None
    if mine is None:
        return
    mine = mine.astype(object).where(mine.notna(), ZERO)
    for item in layout.indicators:
        indicator = item.indicator
        inputs = indicator_inputs(indicator)
        # A plain count (no denominator) of one branch is not comparable with the others' total.
        if item.derived or inputs.denominator is None or not any(checked.values.get(c) is not None for c in inputs.components):
            continue
        province = pooled_value(inputs, others)
        value = indicator_values(inputs, mine)["value"].iloc[0]
        if province is None or value is None or province == ZERO:
            continue
        distance = abs(value - province) / abs(province)
        if distance > WARN_DISTANCE_FROM_PROVINCE:
            places = indicator.precision
            checked.warnings.append(
                Problem(
                    f"{indicator.name}：本月 {fmt(value, places)}{indicator.unit}，其他机构本月合计 {fmt(province, places)}{indicator.unit}，"
                    f"相差 {fmt(distance * 100, 0)}%，请核对",
                    indicator=indicator.code,
                )
            )
