"""The bridge between Indicator rows and the pure scoring core: validation and specs."""

import json
from decimal import Decimal
from types import SimpleNamespace

from kpi.scoring.aggregation import Inputs, parse_inputs
from kpi.scoring.engine import IndicatorSpec
from kpi.scoring.rules import RuleError, parse_rule
from kpi.scoring.window import ScoredIndicator

# The fields that define an indicator (everything but its version): what a new version
# copies, and what a what-if simulation may change.
INDICATOR_FIELDS = [
    "code", "name", "name_en", "theme", "order", "unit", "precision", "direction", "target_kind",
    "target_value", "target_value2", "base_points", "bonus_cap", "rule", "inputs", "source",
]


def validate_indicator(indicator) -> dict[str, list[str]]:
    """Problems with an indicator's rule, inputs and targets, by field, in Chinese (empty if none)."""
    from kpi.models import Component

    errors: dict[str, list[str]] = {}
    try:
        parse_rule(indicator.rule, target_kind=indicator.target_kind, has_target2=indicator.target_value2 is not None)
    except RuleError as exc:
        errors["rule"] = exc.messages
    try:
        parse_inputs(indicator.inputs, set(Component.objects.values_list("code", flat=True)))
    except RuleError as exc:
        errors["inputs"] = exc.messages
    if indicator.target_kind == "fixed" and indicator.target_value is None:
        errors.setdefault("target_value", []).append("固定考核值的指标须填写考核值")
    if indicator.bonus_cap is not None and indicator.bonus_cap < 0:
        errors.setdefault("bonus_cap", []).append("加分上限不能为负数")
    if indicator.base_points is not None and indicator.base_points <= 0:
        errors.setdefault("base_points", []).append("分值必须大于 0")
    return errors


def indicator_spec(indicator) -> IndicatorSpec:
    """The pure engine's view of an Indicator row."""
    return IndicatorSpec(
        code=indicator.code,
        name=indicator.name,
        precision=indicator.precision,
        direction=indicator.direction,
        target_kind=indicator.target_kind,
        base=Decimal(indicator.base_points),
        bonus_cap=Decimal(indicator.bonus_cap),
        rule=parse_rule(indicator.rule, target_kind=indicator.target_kind, has_target2=indicator.target_value2 is not None),
        target=indicator.target_value,
        target2=indicator.target_value2,
        unit=indicator.unit,
    )


def indicator_inputs(indicator) -> Inputs:
    return parse_inputs(indicator.inputs)


def scored_indicators(version) -> list[ScoredIndicator]:
    """Every indicator of a scheme version, ready for the window scorer (its indicators prefetched or read)."""
    return [_scored(i) for i in sorted(version.indicators.all(), key=lambda i: i.order)]


def scored_indicators_of(version_ids) -> dict[int, tuple[ScoredIndicator, ...]]:
    """`scored_indicators` of many versions in one query, read as values (no model object per indicator)."""
    from kpi.models import Indicator

    out: dict[int, list[ScoredIndicator]] = {pk: [] for pk in version_ids}
    rows = Indicator.objects.filter(version_id__in=list(out)).order_by("version_id", "order").values("version_id", *INDICATOR_FIELDS)
    for row in rows:
        out[row.pop("version_id")].append(_scored(SimpleNamespace(**row)))
    return {pk: tuple(indicators) for pk, indicators in out.items()}


# Parsed indicators by definition: the company's hundreds of scheme versions mostly share the same few rules.
_SCORED: dict[str, ScoredIndicator] = {}
_SCORED_MAX = 2048


def _scored(indicator) -> ScoredIndicator:
    key = json.dumps(indicator_definition(indicator), sort_keys=True, default=str)
    found = _SCORED.get(key)
    if found is None:
        if len(_SCORED) >= _SCORED_MAX:
            _SCORED.clear()
        found = _SCORED[key] = ScoredIndicator(indicator_spec(indicator), indicator_inputs(indicator))
    return found


def indicator_definition(indicator) -> dict:
    """An indicator's defining fields as plain data (kpi.scoring.simulation changes these)."""
    return {f: getattr(indicator, f) for f in INDICATOR_FIELDS}
