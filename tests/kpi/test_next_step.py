"""The "next step" hint: the nearest value that scores more, for every rule kind of the 2023 scheme.

Expected values are worked out by hand from the rule text of `kpi/data/schemes/jiangsu-2023.json`
(the arithmetic is in each id); the property tests then check the hint against the engine itself.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.scoring.next_step import next_step
from tests.kpi.scheme_2023 import score_one, specs

AVG = Decimal("0.3652")


def D(x):
    return None if x is None else Decimal(x)


def case(code, value, change, points, id, *, value2=None, previous=None, target=None, part=1):
    return pytest.param(code, value, value2, previous, target, part, change, points, id=f"{code}: {id}")


CASES = [
    # steps, higher, +0.2 per started 1 above 95, −0.1 per started 1 below.
    case(
        "sl_nonbank",
        "94.48",
        "0.52",
        "4.00",
        "0.52 below is one started step: reaching 95.00 gives the base (the issue's example)",
    ),
    case("sl_nonbank", "95.00", "0.01", "4.20", "at target, 0.01 more starts the first bonus step"),
    case("sl_nonbank", "95.01", "1.00", "4.40", "95.01 → 96.01 starts the second step"),
    case("sl_nonbank", "99.01", None, None, "already 5.00 = base + cap"),
    case(
        "sl_nonbank", "90.004", "0.996", "3.60", "the engine scores the exact 90.004 (5 started steps below → 3.50); 91.00 is 4"
    ),
    case("sl_nonbank", "94.996", "0.004", "4.00", "prints as 95.00 but scores 3.90: the exact gap to 95.00 is 0.004"),
    # full steps: +0.2 per full 3 above 70.
    case("sl_bank", "70", "3.00", "4.20", "one full step of 3 needs 73.00"),
    case("sl_bank", "60", "1.00", "3.10", "10 below → 3.0; 9 below → 3.1"),
    # lower is better, two tiers below.
    case("claim_cycle_event", "51.5", "0.50", "9.30", "d=6.5 → 0.5+0.4=0.9 off; d=6 → 0.5+0.2 off"),
    case("claim_cycle_event", "45", "0.01", "10.20", "at target; 44.99 is one started day under"),
    case("claim_cycle_claim", "1.48", "0.10", "6.00", "0.10 over 1.38 → 5; back to 1.38 → 6"),
    case("cust_info_stock", "0.15", "0.01", "4.50", "at target; 0.14 is one started 0.05 under"),
    case("cust_info_new", "0.10", None, None, "no bonus: 4 already the most"),
    # attainment: the hint names the target, not the first 0.01-point gain.
    case("claim_close_rate", "90", "9.19", "1.00", "0.91 now; 99.19 ÷ 99.2 = 0.9999 already rounds to the whole point"),
    # two_part: each part separately.
    case("callback", "99.90", "0.05", "3.00", "part 1 misses 99.95", value2="95"),
    case("callback", "99.90", "1.00", "3.00", "part 2 misses 96", value2="95", part=2),
    case("callback", "99.95", None, None, "part 1 met: nothing to gain on it", value2="95"),
    # bands on the ratio to the provincial average.
    case("reg_complaints_per_100m", "1.00", "0.27", "10.00", "r=2.74 in the linear band: its edge r=2 at 0.73", target=AVG),
    case("reg_complaints_per_100m", "0.50", "0.14", "10.03", "r=1.37 flat at 10; 0.36 → r=0.986 → 10.03", target=AVG),
    case("reg_complaints_per_100m", "0.30", "0.30", "12.00", "r=0.82 in the linear band below 1: its end is 0 → 12", target=AVG),
    case("reg_complaints_per_100m", "0", None, None, "cannot go below 0", target=AVG),
    # bands on the year-on-year decline (full steps).
    case("own_complaints_count", "95", "1", "4.20", "d=5 → 4.0; d=6 → 4.2", previous="100"),
    case("own_complaints_count", "91", "1", "5.50", "d=9 → 4.8; d=10 → 5.5", previous="100"),
    case("own_complaints_count", "120", "20", "3.00", "an increase scores 0; d=0 → 3.0", previous="100"),
    case("own_complaints_count", "80", None, None, "d=20 → 6, the most", previous="100"),
    case("own_complaints_per_100m", "1.20", "0.20", "3.00", "back to last year's 1.00 → d=0 → 3.0", previous="1.00"),
]


@pytest.mark.parametrize("code, value, value2, previous, target, part, change, points", CASES)
def test_next_step(code, value, value2, previous, target, part, change, points):
    step = next_step(specs()[code], D(value), D(target), value2=D(value2), previous=D(previous), part=part)
    if change is None:
        assert step is None
        return
    assert step is not None
    assert (step.change, step.points) == (Decimal(change), Decimal(points))
    # The hint must agree with the engine: scoring the suggested value gives the promised points.
    moved = {"value": step.value, "value2": D(value2)} if part == 1 else {"value": D(value), "value2": step.value}
    assert score_one(code, moved["value"], moved["value2"], D(previous), D(target))[0] == step.points


def test_sign_of_the_move_follows_the_direction():
    up = next_step(specs()["sl_nonbank"], Decimal("94.48"))
    down = next_step(specs()["claim_cycle_event"], Decimal("51.5"))
    assert (up.direction, up.value) == ("higher", Decimal("95.00"))
    assert (down.direction, down.value) == ("lower", Decimal("51.00"))


def test_missing_value_gives_no_hint():
    assert next_step(specs()["sl_nonbank"], None) is None


STEP_LIKE = ["sl_nonbank", "sl_bank", "claim_cycle_event", "claim_cycle_claim", "cust_info_stock", "repeat_calls"]


@settings(max_examples=40, deadline=None)
@given(code=st.sampled_from(STEP_LIKE), cents=st.integers(min_value=0, max_value=10_000))
def test_step_like_hint_is_the_nearest_better_value(code, cents):
    """For step rules: the hinted value scores more, and the display value one unit short of it does not."""
    spec = specs()[code]
    value = Decimal(cents) / 100
    now = score_one(code, value)[0]
    step = next_step(spec, value)
    if step is None:
        # Nothing better within reach: the far end scores no more than now.
        far = Decimal(100) if spec.higher_is_better else Decimal(0)
        assert score_one(code, far)[0] <= now
        return
    assert step.points > now
    assert score_one(code, step.value)[0] == step.points
    one_short = step.value - Decimal("0.01") * (1 if spec.higher_is_better else -1)
    assert score_one(code, one_short)[0] == now
