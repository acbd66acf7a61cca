"""Column-wise Decimal helpers: rounding half away from zero as people do by hand, floor and ceil of x ≥ 0."""

from decimal import Decimal

import pytest

from kpi.scoring.decimals import D, ceil_nonneg, clip, column, floor_nonneg, fmt, quantize, round_half_up


def one(fn, raw, *args):
    out = fn(column([raw]), *args).iloc[0]
    assert isinstance(out, Decimal)
    return out


@pytest.mark.parametrize(
    "raw, places, expected",
    [
        ("2.675", 2, "2.68"),  # as a float 2.675 is 2.67499999…, and round() gives 2.67
        ("-2.675", 2, "-2.68"),
        ("0.005", 2, "0.01"),
        ("-0.005", 2, "-0.01"),
        ("2.665", 2, "2.67"),  # banker's rounding would give 2.66
        ("2.664999", 2, "2.66"),
        ("0.125", 2, "0.13"),
        ("4.2", 2, "4.2"),
        ("0", 2, "0"),
        ("2.5", 0, "3"),
        ("-2.5", 0, "-3"),
        ("3.5", 0, "4"),
        ("9.995", 2, "10.00"),
        ("1234.5678", 3, "1234.568"),
    ],
)
def test_round_half_up_rounds_halves_away_from_zero(raw, places, expected):
    assert one(round_half_up, raw, places) == Decimal(expected)


def test_round_half_up_works_on_a_whole_column_and_keeps_the_index():
    s = column(["2.675", "-2.675", "0.005", "1.004"], index=["a", "b", "c", "d"])
    out = round_half_up(s, 2)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert list(out) == [Decimal("2.68"), Decimal("-2.68"), Decimal("0.01"), Decimal("1.00")]


@pytest.mark.parametrize(
    "raw, expected",
    [("0", "0"), ("1", "1"), ("1.01", "2"), ("0.5", "1"), ("0.0001", "1"), ("2.99", "3"), ("3", "3"), ("100", "100")],
)
def test_ceil_nonneg_counts_a_started_step_as_whole(raw, expected):
    assert one(ceil_nonneg, raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, expected",
    [("0", "0"), ("1", "1"), ("1.99", "1"), ("0.9999", "0"), ("2", "2"), ("2.0001", "2"), ("100", "100")],
)
def test_floor_nonneg_counts_only_full_steps(raw, expected):
    assert one(floor_nonneg, raw) == Decimal(expected)


def test_floor_and_ceil_are_exact_past_the_contexts_28_digits():
    # a year-on-year basis of a tiny last year: `x // 1` raised DivisionImpossible here (found by hypothesis)
    big = Decimal("712358278285899098897809220400.5")
    assert one(floor_nonneg, big) == Decimal("712358278285899098897809220400")
    assert one(ceil_nonneg, big) == Decimal("712358278285899098897809220401")
    assert str(one(floor_nonneg, Decimal("5E+2"))) == "500"
    assert list(round_half_up(column(["7.123582782858990988978092204E+28"]), 2)) == [Decimal("7.123582782858990988978092204E+28")]


def test_ceil_of_an_exact_decimal_step_count_is_not_pushed_up_by_binary_error():
    # (1.48 − 1.38) / 0.1 is exactly 1 in decimal; in binary floating point it is 1.0000000000000009.
    ratio = (Decimal("1.48") - Decimal("1.38")) / Decimal("0.1")
    assert one(ceil_nonneg, ratio) == 1


def test_clip_limits_to_the_bounds():
    s = column(["-1", "0", "2.5", "5", "7"])
    assert list(clip(s, Decimal(0), Decimal(5))) == [Decimal(x) for x in ("0", "0", "2.5", "5", "5")]
    assert list(clip(s, lower=Decimal(0))) == [Decimal(x) for x in ("0", "0", "2.5", "5", "7")]


def test_D_rejects_floats_and_keeps_missing_values_missing():
    with pytest.raises(TypeError):
        D(0.1)
    assert D(None) is None and D("") is None
    assert D("0.1") == Decimal("0.1") and D(3) == Decimal(3)


def test_column_holds_decimals_and_none():
    s = column(["1.5", None, 2])
    assert s.dtype == object
    assert list(s) == [Decimal("1.5"), None, Decimal(2)]


def test_quantize_and_fmt_show_numbers_as_written_by_hand():
    assert quantize(Decimal("2.675"), 2) == Decimal("2.68")
    assert fmt(Decimal("4.20")) == "4.2"
    assert fmt(Decimal("4.2"), 2) == "4.20"
    assert fmt(Decimal("1E+2")) == "100"
    assert fmt(None) == "—"
