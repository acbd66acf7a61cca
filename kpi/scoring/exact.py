"""Exact, fast points: every rule kind evaluated on whole columns of integers (numpy), no floats anywhere.

The Decimal engine (`kpi.scoring.engine`) stays the reference and the only one that explains; this one gives
the same points (proved by the tests that run both: tests/kpi/test_scoring_rules.py, test_scoring_properties.py,
test_exact_engine.py, test_fidelity.py), for recomputes that store no explanation. Measured by
`manage.py benchmark_scoring` at 4,500 branches × 17 indicators: explaining costs ~3.5 s (rendering the text,
not the arithmetic); without explanations the Decimal engine takes ~0.5 s and this one ~0.35 s, most of which
is the shared Decimal aggregation, pandas plumbing and the league table, not the rules.

What is shared with the Decimal engine, so that both score the same numbers:

- The values (Σ numerator ÷ Σ denominator × scale, `empty_value`, value2, the year before) and the pooled
  provincial average come from `kpi.scoring.aggregation`, in Decimal, once per branch × indicator (76,500
  quotients at 4,500 branches × 17 indicators). The Decimal engine scores the value as its 28-digit context
  rounds it — (1 ÷ 3) × 3 is 0.999…9, not 1 — so scoring the exact fraction Σnum/Σden instead would differ
  from it exactly there; one Decimal quotient per cell is cheap and removes the difference.
- Likewise the quotient a rule bands or scales by — attainment's value ÷ target, the bands' value ÷ target and
  the year-on-year decline (previous − value) ÷ previous × 100 rounded to `basis_precision` — comes from
  `engine.attainment_ratio` / `engine.band_basis` (1–4 Decimal operations per cell, for those rules only).

Everything after that is exact integer arithmetic. Each column of Decimals becomes integers on one decimal
scale 10^E (E = the most decimals of any value, target or rule constant it is compared with or added to);
margins and tiers are integer sums and comparisons; ⌊a ÷ b⌋ and ⌈a ÷ b⌉ are integer divisions; a score is an
exact fraction R / L (a linear band's L includes its step); limiting to [0, base + bonus cap] compares R with
(base + bonus cap) × L; half-up to 2 places is ⌊(200R + L) ÷ 2L⌋ hundredths, and the point is
Decimal(hundredths) / 100, the very Decimal the Decimal engine's `round_half_up` makes.

Integer types: `Ints` carries every array with a proven bound on |x| (a product's bound is the product of the
bounds, a sum's the sum). It stays numpy int64 while the bound is below 2^62 and is promoted to Python ints
(object arrays) before an operation whose bound is not: short values (94.48, counts, 4-decimal figures) run
in int64, 28-digit quotients in Python ints. No operation can overflow.

Where the two could still differ (never seen by the tests; said in the report of issue 12): after the shared
quotient, the Decimal engine rounds an intermediate to 28 significant digits when its exact result needs more
— e.g. 10 + 2 × (1 − x) for a 28-digit x, 95 − v for a 28-digit v below 10, part ÷ 3 of a full-step tier of 3.
That changes points only if the exact intermediate lies within one unit of its 28th digit of a step, band or
half-cent boundary without being on it, which needs a fraction of figures with a denominator near 10^24.
"""

import math
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, Rounded, getcontext

import numpy as np
import pandas as pd

from kpi.scoring.decimals import ZERO
from kpi.scoring.engine import IndicatorSpec, attainment_ratio, band_basis, prepare, score_indicator
from kpi.scoring.rules import AttainmentRule, BandsRule, StepsRule, Tier, TwoPartRule

INT64_BOUND = 2**62
HUNDRED = Decimal(100)
ENGINES = ("decimal", "exact")
# Scaling a Decimal by 10^E must never round: a context that cannot round, and would say so if it did.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded])


class Ints:
    """A column of integers with a proven bound on |x|: numpy int64 below 2^62, Python ints (object) above."""

    __slots__ = ("a", "bound")

    def __init__(self, a: np.ndarray, bound: int):
        self.a, self.bound = a, bound

    @classmethod
    def of(cls, ints: list[int]) -> "Ints":
        bound = max(map(abs, ints), default=0)
        return cls(np.array(ints, dtype=np.int64 if bound < INT64_BOUND else object), bound)

    @staticmethod
    def _parts(x):
        return (x.a, x.bound) if isinstance(x, Ints) else (x, abs(x))

    @staticmethod
    def _wide(a, bound):
        if bound < INT64_BOUND:
            return a
        if isinstance(a, np.ndarray):
            return a if a.dtype == object else a.astype(object)
        return np.array(a, dtype=object)  # a Python int scalar numpy would otherwise try to fit into int64

    def _op(self, other, bound_of, op):
        a, ba = self._parts(self)
        b, bb = self._parts(other)
        bound = bound_of(ba, bb)
        wide = max(bound, ba, bb)  # numpy cannot take a scalar beyond int64 either
        return Ints(op(self._wide(a, wide), self._wide(b, wide)), bound)

    def __add__(self, other):
        return self._op(other, lambda x, y: x + y, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other):
        return self._op(other, lambda x, y: x + y, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._op(other, lambda x, y: x + y, lambda a, b: b - a)

    def __mul__(self, other):
        return self._op(other, lambda x, y: x * y, lambda a, b: a * b)

    __rmul__ = __mul__

    def __neg__(self):
        return Ints(-self.a, self.bound)

    def __abs__(self):
        return Ints(np.abs(self.a), self.bound)

    def floordiv(self, d: int) -> "Ints":
        """⌊x ÷ d⌋ for an integer d > 0."""
        return Ints(self._wide(self.a, d) // d, self.bound + 1)

    def ceildiv(self, d: int) -> "Ints":
        """⌈x ÷ d⌉ for an integer d > 0."""
        return Ints(-((-self._wide(self.a, d)) // d), self.bound + 1)

    @staticmethod
    def where(cond: np.ndarray, x, y) -> "Ints":
        a, ba = Ints._parts(x)
        b, bb = Ints._parts(y)
        bound = max(ba, bb)
        return Ints(np.where(cond, Ints._wide(a, bound), Ints._wide(b, bound)), bound)


def _places(values) -> int:
    """The most decimals of any of `values` (Decimals; None skipped)."""
    most = 0
    for v in values:
        if v is not None:
            e = v.as_tuple().exponent
            if e < -most:
                most = -e
    return most


def _int(value: Decimal, places: int) -> int:
    """value × 10^places as an exact integer (places ≥ the decimals of value)."""
    return int(value.scaleb(places, context=_EXACT))


def _ints(values: list, places: int) -> Ints:
    """A few values (constants) × 10^places as integers; None as 0."""
    return Ints.of([0 if v is None else _int(v, places) for v in values])


def _columns(columns: list[list], constants) -> tuple[list[Ints], int]:
    """Columns of Decimals (None as 0) as integers on one scale 10^e, e the most decimals of any of their
    values and of `constants`. Fast: e is first bounded from `adjusted()` (a Decimal of at most `prec` digits
    has at most prec − 1 − adjusted decimals), then lowered by the powers of 10 every integer shares."""
    prec = getcontext().prec
    upper = 0
    for values in columns:
        present = [v for v in values if v]
        if present:
            upper = max(upper, prec - 1 - min(v.adjusted() for v in present))
            # more digits than the context holds (a Decimal made from a long string): read its exponent
            upper = max(upper, _places([v for v in present if +v != v]))
    wide = [[0 if v is None else int(v.scaleb(upper, context=_EXACT)) for v in values] for values in columns]
    shared = math.gcd(*(n for ints in wide for n in ints))
    spare = 0
    while spare < upper and shared % 10 == 0 and shared:
        shared //= 10
        spare += 1
    if not shared:
        spare = upper
    e = max(upper - spare, _places(constants))
    if e < upper:
        cut = 10 ** (upper - e)
        wide = [[n // cut for n in ints] for ints in wide]
    elif e > upper:
        grow = 10 ** (e - upper)
        wide = [[n * grow for n in ints] for ints in wide]
    return [Ints.of(ints) for ints in wide], e


def _margin(spec: IndicatorSpec, v: Ints, target: int) -> Ints:
    return (v - target) if spec.higher_is_better else (target - v)


# Each rule gives the rows' raw points as an exact fraction R / L (R a column, L > 0 one integer).


def _tier_steps(tier: Tier, a: Ints, places: int) -> Ints:
    part = a - _int(tier.start, places)
    part = Ints.where(part.a < 0, 0, part)
    if tier.end is not None:
        width = _int(tier.end - tier.start, places)
        part = Ints.where(part.a > width, width, part)
    step = _int(tier.step, places)
    return part.floordiv(step) if tier.count == "full" else part.ceildiv(step)


def _targets(target, n: int) -> list:
    """The target of each of n rows: one for all, or a column of them (many windows scored together)."""
    return target.tolist() if isinstance(target, pd.Series) else [target] * n


def _steps(spec: IndicatorSpec, rule: StepsRule, df: pd.DataFrame, target):
    values = df["value"].tolist()
    tiers = rule.above + rule.below
    constants = [*(t.start for t in tiers), *(t.end for t in tiers), *(t.step for t in tiers)]
    (v, t), e = _columns([values, _targets(target, len(values))], constants)
    margin = _margin(spec, v, t)
    met = margin.a >= 0
    distance = abs(margin)
    p = _places([spec.base, spec.max_points, *(t.points for t in tiers)])
    base = _int(spec.base, p)
    up = sum((_tier_steps(t, distance, e) * _int(t.points, p) for t in rule.above), Ints.of([0] * len(values)))
    down = sum((_tier_steps(t, distance, e) * _int(t.points, p) for t in rule.below), Ints.of([0] * len(values)))
    return Ints.where(met, up + base, base - down), 10**p


def _attainment(spec: IndicatorSpec, rule: AttainmentRule, df: pd.DataFrame, target):
    ratio = attainment_ratio(spec, df["value"], target).tolist()
    (r,), e = _columns([ratio], [])
    one = 10**e
    capped = Ints.where(r.a < one, r, one)
    p = _places([spec.base, spec.max_points])
    return capped * _int(spec.base, p), 10 ** (p + e)


def _two_part(spec: IndicatorSpec, rule: TwoPartRule, df: pd.DataFrame, target):
    v, v2 = df["value"].tolist(), df["value2"].tolist()
    (v, v2, t), e = _columns([v, v2, _targets(target, len(v))], [spec.target2])
    miss1 = _margin(spec, v, t).a < 0
    miss2 = _margin(spec, v2, _int(spec.target2, e)).a < 0
    p = _places([spec.base, spec.max_points, rule.penalty, rule.penalty2])
    base = _int(spec.base, p)
    first = Ints(miss1.astype(np.int64), 1) * _int(rule.penalty, p)
    second = Ints(miss2.astype(np.int64), 1) * _int(rule.penalty2, p)
    return base - first - second, 10**p


def _bands(spec: IndicatorSpec, rule: BandsRule, df: pd.DataFrame, target):
    x, special, special_pts = band_basis(rule, df, target)
    x, special, special_pts = x.tolist(), special.to_numpy(dtype=bool), special_pts.tolist()
    bands = rule.bands
    (xs,), e = _columns([x], [c for b in bands for c in (b.min, b.max, b.anchor, b.step)])
    specials = [rule.zero_target_points, rule.zero_previous_if_current_zero, rule.zero_previous_otherwise, ZERO]
    p = _places([spec.base, spec.max_points, *specials, *(c for b in bands for c in (b.points, b.slope))])
    linear_steps = [_int(b.step, e) for b in bands if b.slope and b.count == "linear"]
    lcm = math.lcm(*linear_steps) if linear_steps else 1
    raw = Ints.of([0] * len(x))
    taken = np.zeros(len(x), dtype=bool)
    for b in bands:
        inside = ~taken
        if b.min is not None:
            lo = _int(b.min, e)
            inside &= (xs.a >= lo) if b.min_inclusive else (xs.a > lo)
        if b.max is not None:
            hi = _int(b.max, e)
            inside &= (xs.a <= hi) if b.max_inclusive else (xs.a < hi)
        points, slope = _int(b.points, p), _int(b.slope, p)
        if not slope:
            score = points * lcm
        else:
            step = _int(b.step, e)
            distance = abs(xs - _int(b.anchor, e))
            if b.count == "linear":  # points + slope × distance ÷ step, over 10^p × step, then over L
                score = (distance * slope + points * step) * (lcm // step)
            else:
                k = distance.floordiv(step) if b.count == "full" else distance.ceildiv(step)
                score = (k * slope + points) * lcm
        raw = Ints.where(inside, score, raw)
        taken |= inside
    scaled = {c: _int(c, p) for c in specials if c is not None}
    raw = Ints.where(special, Ints.of([scaled[c] for c in special_pts]) * lcm, raw)
    return raw, 10**p * lcm


_KINDS = {StepsRule: _steps, AttainmentRule: _attainment, TwoPartRule: _two_part, BandsRule: _bands}


def _hundredths(raw: Ints, scale: int, max_points: Decimal) -> list[int]:
    """raw / scale limited to [0, max_points] and rounded half-up to hundredths, as integers."""
    n, d = max_points.as_integer_ratio()
    top = n * scale // d  # an integer: every rule's scale is a multiple of 10^(decimals of max_points)
    limited = Ints.where(raw.a < 0, 0, raw)
    limited = Ints.where(limited.a > top, top, limited)
    return (limited * 200 + scale).floordiv(2 * scale).a.tolist()


def exact_points(spec: IndicatorSpec, table: pd.DataFrame, target: Decimal | None = None) -> list[Decimal]:
    """The points `engine.score_indicator(spec, table, target)` gives each row, computed on integers."""
    df, _, complete, target = prepare(spec, table, target)
    return prepared_points(spec, df, complete, target)


def prepared_points(spec: IndicatorSpec, df: pd.DataFrame, complete: pd.Series, target) -> list[Decimal]:
    """`exact_points` of what `engine.prepare` made of the table. `target` is one Decimal (or None) for every
    row, or a column of them aligned with `df` (rows of many windows, each scored against its own)."""
    points = [ZERO] * len(df)
    mask = complete.to_numpy(dtype=bool)
    if not mask.any():
        return points
    if isinstance(target, pd.Series):
        target = target[mask]
    raw, scale = _KINDS[type(spec.rule)](spec, spec.rule, df[mask], target)
    made: dict[int, Decimal] = {}
    for row, k in zip(np.flatnonzero(mask).tolist(), _hundredths(raw, scale, spec.max_points), strict=True):
        point = made.get(k)
        if point is None:
            point = made[k] = Decimal(k) / HUNDRED
        points[row] = point
    return points


def indicator_points(
    spec: IndicatorSpec, table: pd.DataFrame, target: Decimal | None = None, *, engine: str = "exact"
) -> list[Decimal]:
    """The points of every row of `table` from either engine (no explanations)."""
    if engine == "exact":
        return exact_points(spec, table, target)
    if engine == "decimal":
        return score_indicator(spec, table, target, explain=False)["points"].tolist()
    raise ValueError(f"unknown scoring engine {engine!r}; one of {', '.join(ENGINES)}")
