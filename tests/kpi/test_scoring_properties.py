"""Property tests of every indicator of the 2023 scheme: better never scores lower, scores stay in bounds.

Each example draws a whole list of branches and scores them in one table (one engine call), so a
moderate number of examples still checks hundreds of values per indicator and property. Set
KPI_PROPERTY_EXAMPLES (default 20) to run more, e.g. KPI_PROPERTY_EXAMPLES=500 before a release.
Every property is checked on both engines (the `engine` fixture): Decimal and exact (kpi/scoring/exact.py).
"""

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.scoring.exact import ENGINES, indicator_points
from tests.kpi.scheme_2023 import specs, table

EXAMPLES = int(os.environ.get("KPI_PROPERTY_EXAMPLES", "20"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HUNDREDTH = Decimal("0.01")


def decimals(lo, hi, places=2):
    return st.decimals(allow_nan=False, allow_infinity=False, places=places, min_value=Decimal(lo), max_value=Decimal(hi))


# Sensible values of each indicator: (whole plausible range, region around the target where the steps are).
PERCENT = (("0", "100"), None)
RANGES = {
    "sl_nonbank": (("0", "100"), ("90", "100")),
    "sl_bank": (("0", "100"), ("65", "100")),
    "cust_info_stock": (("0", "100"), ("0", "1")),
    "cust_info_new": (("0", "100"), ("0", "1")),
    "claim_cycle_event": (("0", "200"), ("25", "70")),
    "claim_cycle_claim": (("0", "200"), ("0", "3")),
    "claim_pay_rate": (("0", "100"), ("90", "100")),
    "claim_close_rate": (("0", "100"), ("95", "100")),
    "callback": (("0", "100"), ("94", "100")),
    "repeat_calls": (("0", "100"), ("0", "10")),
    "reg_complaints_per_100m": (("0", "50"), ("0", "3")),
    "own_complaints_per_100m": (("0", "50"), ("0", "20")),
    "own_complaints_count": (("0", "500"), ("0", "40")),
    "complaint_15d_reg": (("0", "100"), ("90", "100")),
    "complaint_15d_own": (("0", "100"), ("90", "100")),
    "dispute_mediation": (("0", "100"), ("90", "100")),
    "dispute_execution": (("0", "100"), ("90", "100")),
}
CALLBACK2 = (("0", "100"), ("90", "100"))  # second part of callback (online share)


def values_of(code, places=None):
    """Values of one indicator, drawn as often near the target as over the whole range."""
    spec = specs()[code]
    places = spec.precision if places is None else places
    (lo, hi), (near_lo, near_hi) = RANGES[code]
    return st.one_of(decimals(near_lo, near_hi, places), decimals(lo, hi, places))


def second_values():
    (lo, hi), (near_lo, near_hi) = CALLBACK2
    return st.one_of(decimals(near_lo, near_hi), decimals(lo, hi))


# Provincial averages: 0 (no complaints anywhere) or a positive average with 4 decimals.
TARGETS = st.one_of(st.just(Decimal(0)), decimals("0.01", "5", places=4))

SINGLE_VALUE = [c for c, s in specs().items() if s.target_kind != "year_on_year" and s.rule.kind != "two_part"]
YEAR_ON_YEAR = [c for c, s in specs().items() if s.target_kind == "year_on_year"]
TWO_PART = [c for c, s in specs().items() if s.rule.kind == "two_part"]


def test_every_indicator_has_a_property_test():
    assert set(SINGLE_VALUE) | set(YEAR_ON_YEAR) | set(TWO_PART) == set(specs()) == set(RANGES)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def points_of(engine, code, rows, target=None):
    return indicator_points(specs()[code], table(rows), target, engine=engine)


def assert_in_bounds_with_two_decimals(code, points):
    top = specs()[code].max_points
    for p in points:
        assert isinstance(p, Decimal)
        assert Decimal(0) <= p <= top, (code, p)
        assert p == p.quantize(HUNDREDTH), (code, p)  # at most 2 decimals


def non_decreasing(points):
    return all(a <= b for a, b in zip(points, points[1:], strict=False))


# ── a better value never scores lower ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize("code", SINGLE_VALUE)
def test_better_value_never_scores_lower(engine, code):
    spec = specs()[code]

    @SETTINGS
    @given(values=st.lists(values_of(code), min_size=2, max_size=50), target=TARGETS)
    def check(values, target):
        # Worst first: ascending when higher is better, descending when lower is better.
        ordered = sorted(values, reverse=not spec.higher_is_better)
        points = points_of(engine, code, [(v, None, None) for v in ordered], target if spec.target_kind == "provincial_average" else None)
        assert non_decreasing(points), list(zip(ordered, points, strict=True))

    check()


@pytest.mark.parametrize("code", YEAR_ON_YEAR)
def test_fewer_complaints_than_the_same_previous_year_never_scores_lower(engine, code):
    @SETTINGS
    @given(previous=values_of(code), currents=st.lists(values_of(code), min_size=2, max_size=50))
    def check(previous, currents):
        ordered = sorted(currents, reverse=True)  # most complaints first
        points = points_of(engine, code, [(c, None, previous) for c in ordered])
        assert non_decreasing(points), (previous, list(zip(ordered, points, strict=True)))

    check()


@pytest.mark.parametrize("code", YEAR_ON_YEAR)
def test_the_same_complaints_against_a_higher_previous_year_never_score_lower(engine, code):
    @SETTINGS
    @given(current=values_of(code), previous=st.lists(values_of(code), min_size=2, max_size=50))
    def check(current, previous):
        ordered = sorted(previous)  # lowest previous year first: the smallest decline
        points = points_of(engine, code, [(current, None, p) for p in ordered])
        assert non_decreasing(points), (current, list(zip(ordered, points, strict=True)))

    check()


@pytest.mark.parametrize("code", TWO_PART)
def test_improving_either_part_never_scores_lower(engine, code):
    pair = st.tuples(values_of(code), second_values())
    gain = st.tuples(decimals("0", "10"), decimals("0", "10"))

    @SETTINGS
    @given(rows=st.lists(st.tuples(pair, gain), min_size=1, max_size=20))
    def check(rows):
        before = [(v1, v2, None) for (v1, v2), _ in rows]
        after = [(min(v1 + g1, Decimal(100)), min(v2 + g2, Decimal(100)), None) for (v1, v2), (g1, g2) in rows]
        only_first = [(a[0], b[1], None) for a, b in zip(after, before, strict=True)]
        only_second = [(b[0], a[1], None) for a, b in zip(after, before, strict=True)]
        points = points_of(engine, code, before + only_first + only_second + after)
        n = len(rows)
        old, first, second, both = (points[i * n : (i + 1) * n] for i in range(4))
        for i in range(n):
            assert old[i] <= first[i] <= both[i], (before[i], after[i])
            assert old[i] <= second[i] <= both[i], (before[i], after[i])

    check()


# ── scores stay within [0, base + bonus cap] and have at most 2 decimals ───────────────────────────


def rows_of(code):
    spec = specs()[code]
    value = st.one_of(st.none(), values_of(code), values_of(code, places=4))  # also unrounded and missing values
    value2 = second_values() if spec.rule.kind == "two_part" else st.none()
    previous = values_of(code) if spec.target_kind == "year_on_year" else st.none()
    return st.lists(st.tuples(value, value2, previous), min_size=1, max_size=50)


@pytest.mark.parametrize("code", list(specs()))
def test_score_lies_between_zero_and_base_plus_bonus_cap_with_at_most_two_decimals(engine, code):
    spec = specs()[code]

    @SETTINGS
    @given(rows=rows_of(code), target=TARGETS)
    def check(rows, target):
        points = points_of(engine, code, rows, target if spec.target_kind == "provincial_average" else None)
        assert_in_bounds_with_two_decimals(code, points)
        for (value, _, _), p in zip(rows, points, strict=True):
            if value is None:
                assert p == 0

    check()
