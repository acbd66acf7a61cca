"""Column-wise Decimal arithmetic on pandas Series of `decimal.Decimal` (object dtype)."""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, getcontext

import pandas as pd

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")


def D(value) -> Decimal | None:
    """A Decimal from a str, int or Decimal (never from a float); None and '' stay None."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("float is not exact: pass a string or Decimal")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def column(values, index=None) -> pd.Series:
    """An object Series of Decimals (None where missing)."""
    return pd.Series([D(v) for v in values], index=index, dtype=object)


def floor_nonneg(s: pd.Series) -> pd.Series:
    """floor(x) for x ≥ 0, exact whatever its digits (`x // 1` raises DivisionImpossible past the context's 28)."""
    return s.map(_floor)


def ceil_nonneg(s: pd.Series) -> pd.Series:
    """ceil(x) for x ≥ 0, exact whatever its digits."""
    return s.map(_ceil)


def _floor(x: Decimal) -> Decimal:
    return _whole(x.to_integral_value(rounding=ROUND_FLOOR))


def _ceil(x: Decimal) -> Decimal:
    return _whole(x.to_integral_value(rounding=ROUND_CEILING))


def _whole(x: Decimal) -> Decimal:
    """An integral Decimal written with exponent 0, as `x // 1` gives it (5E+2 → 500), exactly."""
    return x if x.as_tuple().exponent == 0 else Decimal(int(x))


def round_half_up(s: pd.Series, places: int) -> pd.Series:
    """Round half away from zero to `places` decimals, the way people round by hand."""
    scale = Decimal(10) ** places
    magnitude = floor_nonneg(s.abs() * scale + HALF) / scale
    return magnitude.where(s >= ZERO, -magnitude)


def clip(s: pd.Series, lower: Decimal | None = None, upper: Decimal | None = None) -> pd.Series:
    """Limit a Decimal column to [lower, upper]."""
    if lower is not None:
        s = s.where(s > lower, lower)
    if upper is not None:
        s = s.where(s < upper, upper)
    return s


def quantize(value: Decimal, places: int) -> Decimal:
    """One Decimal rounded half-up and shown with exactly `places` decimals."""
    # Enough digits for the whole number: a quotient of national sums may have more than the 28 of the default
    # context, where quantize would raise InvalidOperation (same result as before for every smaller value).
    digits = max(getcontext().prec, value.adjusted() + places + 2)
    return value.quantize(Decimal(10) ** -places, rounding=ROUND_HALF_UP, context=Context(prec=digits))


MAX_SHOWN_PLACES = 6


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """A Decimal as people write it: fixed notation, no exponent; `places` fixes the decimals,
    otherwise trailing zeros go and a long quotient is cut to 6 decimals (half-up) for reading."""
    if value is None:
        return "—"
    if places is not None:
        return f"{quantize(value, places):f}"
    if value.as_tuple().exponent < -MAX_SHOWN_PLACES:
        value = quantize(value, MAX_SHOWN_PLACES)
    return f"{value.normalize():f}"
