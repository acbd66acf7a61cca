"""What it takes to reach the next step of an indicator's score (pure: no ORM, no Django).

Every candidate value is scored by `exact.exact_points` (the Decimal engine's points, proven equal), as runs are:
this module only chooses which values to try. The score is taken to be monotone in the value in
the indicator's better direction (true of every rule the office writes: a better value never scores
less), so a vectorised search over whole-unit moves at display precision finds the nearest value
that scores more.

"The next step" is that nearest better-scoring value, except where the score rises continuously
(attainment below the target, a band whose points are linear in the value): there one display unit
gains next to nothing, so the hint names the end of that rise instead — the target for attainment,
the edge of the band for a linear band.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pandas as pd

from kpi.scoring.decimals import ZERO, quantize
from kpi.scoring.engine import IndicatorSpec
from kpi.scoring.exact import exact_points
from kpi.scoring.memo import Memo
from kpi.scoring.rules import AttainmentRule, Band, BandsRule

HUNDRED = Decimal(100)
# Candidates per engine call: a dense run next to the value, then an even spread to the bound.
DENSE = 128
SPREAD = 128


@dataclass(frozen=True)
class NextStep:
    """Move the value by `change` (exact, ≥ 0) in `direction` to `value` (at display precision): the score becomes `points`."""

    change: Decimal
    value: Decimal
    points: Decimal
    direction: str
    part: int = 1


def _unit(spec: IndicatorSpec) -> Decimal:
    return Decimal(1).scaleb(-spec.precision)


def _bound(spec: IndicatorSpec, v0: Decimal, target: Decimal | None, upper: Decimal | None) -> Decimal:
    """How far the value can go in its better direction: down to 0, or up to `upper`."""
    if not spec.higher_is_better:
        return ZERO
    if upper is not None:
        return upper
    if spec.unit == "%":
        return HUNDRED
    return max(abs(v0), abs(target or ZERO), Decimal(1)) * 10


class _Scorer:
    """Scores candidate values of one part with the engine, the other inputs held fixed."""

    def __init__(self, spec, target, value, value2, previous, part):
        self.spec, self.target, self.part = spec, target, part
        self.fixed = {"value": value, "value2": value2, "previous": previous}

    def points(self, candidates: list[Decimal]) -> list[Decimal]:
        column = "value2" if self.part == 2 else "value"
        table = pd.DataFrame(
            {c: ([self.fixed[c]] * len(candidates) if c != column else candidates) for c in ("value", "value2", "previous")},
            index=range(len(candidates)),
            dtype=object,
        )
        return exact_points(self.spec, table, self.target)  # the Decimal engine's points (kpi.scoring.exact)


def _first_better(scorer: _Scorer, exact: Decimal, first: Decimal, sign: int, unit: Decimal, steps: int):
    """(value, points) of the nearest grid value first + sign·(k−1)·unit, k ≤ steps, scoring more than `exact`."""
    lo, hi, p0 = 0, steps, None
    while hi - lo >= 1:
        ks = list(range(lo + 1, min(lo + DENSE, hi) + 1))
        if hi > lo + DENSE:
            span = hi - (lo + DENSE)
            ks += sorted({lo + DENSE + max(1, span * i // SPREAD) for i in range(1, SPREAD + 1)} | {hi})
        values = [first + sign * (k - 1) * unit for k in ks]
        if p0 is None:
            pts = scorer.points([exact, *values])
            p0, pts = pts[0], pts[1:]
        else:
            pts = scorer.points(values)
        better = next((i for i, p in enumerate(pts) if p > p0), None)
        if better is None:
            return None
        k = ks[better]
        if better == 0 or ks[better - 1] == k - 1:
            return values[better], pts[better]
        lo, hi = ks[better - 1], k
    return None


def _basis(rule: BandsRule, v: Decimal, target: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """The band basis x of a value, as the rule defines it (see rules.BandsRule)."""
    if rule.basis == "value":
        return v
    if rule.basis == "ratio_to_target":
        return None if not target else v / target
    if not previous:
        return None
    return (previous - v) / previous * HUNDRED


def _value_at(rule: BandsRule, x: Decimal, target: Decimal | None, previous: Decimal | None) -> Decimal:
    """The value whose basis is x (the inverse of `_basis`)."""
    if rule.basis == "value":
        return x
    if rule.basis == "ratio_to_target":
        return x * target
    return previous * (1 - x / HUNDRED)


def _band_of(rule: BandsRule, x: Decimal) -> Band | None:
    for b in rule.bands:
        above_min = b.min is None or (x >= b.min if b.min_inclusive else x > b.min)
        below_max = b.max is None or (x <= b.max if b.max_inclusive else x < b.max)
        if above_min and below_max:
            return b
    return None


def _end_of_rise(spec, rule, v0, sign, target, previous, bound) -> list[Decimal]:
    """Where a continuous rise from v0 ends: the target (attainment) or the band's edge (linear band)."""
    if isinstance(rule, AttainmentRule):
        return [] if target is None else [target]
    if not isinstance(rule, BandsRule):
        return []
    x0 = _basis(rule, v0, target, previous)
    band = None if x0 is None else _band_of(rule, x0)
    if band is None or band.slope == 0 or band.count != "linear":
        return []
    # Does the basis grow with the value? It does for the value and the ratio, not for the decline.
    x_grows = rule.basis != "yoy_decline_pct"
    edge = band.max if (sign > 0) == x_grows else band.min
    return [bound] if edge is None else [_value_at(rule, edge, target, previous)]


# Next steps by their exact inputs: a keystroke of the preview changes the few indicators reading the typed component.
_FOUND = Memo(4096)


def next_step(
    spec: IndicatorSpec,
    value: Decimal | None,
    target: Decimal | None = None,
    *,
    value2: Decimal | None = None,
    previous: Decimal | None = None,
    part: int = 1,
    upper: Decimal | None = None,
) -> NextStep | None:
    """The nearest move of the value (part 1) or value2 (part 2) that raises the score; None if none can.

    `target` is the resolved target as the engine takes it; `upper` bounds a higher-is-better value
    (default 100 for a percentage, else ten times the larger of value and target). Looked up when the same
    inputs were searched before (NextStep is immutable).
    """
    return _FOUND.get(
        spec, (value, target, value2, previous, part, upper),
        lambda: _next_step(spec, value, target, value2=value2, previous=previous, part=part, upper=upper),
    )


def _next_step(spec: IndicatorSpec, value, target, *, value2, previous, part, upper) -> NextStep | None:
    moving = value2 if part == 2 else value
    if moving is None:
        return None
    unit = _unit(spec)
    sign = 1 if spec.higher_is_better else -1
    # The engine scores the exact value; candidates are the display-precision values beyond it.
    first = moving.quantize(unit, rounding=ROUND_CEILING if sign > 0 else ROUND_FLOOR)
    if first == moving:
        first += sign * unit
    bound = _bound(spec, first, spec.target2 if part == 2 else (target if target is not None else spec.target), upper)
    steps = int((bound - first) * sign / unit) + 1
    if steps <= 0:
        return None
    scorer = _Scorer(spec, target, value, value2, previous, part)
    found = _first_better(scorer, moving, first, sign, unit, steps)
    if found is None:
        return None
    v1, p1 = found
    if part == 1:
        ends = _end_of_rise(spec, spec.rule, moving, sign, target if target is not None else spec.target, previous, bound)
        # An end of the rise lies beyond the first gain; try it and its neighbours at display precision.
        candidates = sorted(
            {quantize(e + d * unit, spec.precision) for e in ends for d in (-1, 0, 1)},
            key=lambda c: c * sign,
        )
        candidates = [c for c in candidates if (c - v1) * sign > 0 and (bound - c) * sign >= 0]
        if candidates:
            pts = scorer.points(candidates)
            best = max(pts)
            if best > p1:
                i = pts.index(best)
                v1, p1 = candidates[i], best
    return NextStep(change=abs(v1 - moving), value=v1, points=p1, direction=spec.direction, part=part)
