"""The 2023 Jiangsu scheme as the pure engine sees it, read straight from the JSON file.

Test helpers only: no Django. `specs()` gives {code: IndicatorSpec} built with `parse_rule`;
`score_one()` scores a single branch and returns (points, explanation).
"""

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd

from kpi.scoring.engine import IndicatorSpec, score_indicator
from kpi.scoring.rules import parse_rule

REPO = Path(__file__).resolve().parents[2]
SCHEME_FILE = REPO / "kpi" / "data" / "schemes" / "jiangsu-2023.json"
PUBLISHED_FILE = REPO / "kpi" / "data" / "jiangsu-2023" / "published_indicator_values_and_scores.csv"

# The 2023 league table used this provincial average as the target of reg_complaints_per_100m.
PROVINCIAL_AVERAGE_2023 = Decimal("0.3652")


def _dec(raw) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


@lru_cache(maxsize=1)
def scheme() -> dict:
    """The raw scheme (parsed JSON)."""
    return json.loads(SCHEME_FILE.read_text(encoding="utf-8"))


def indicator_data(code: str) -> dict:
    """The raw JSON object of one indicator."""
    return next(i for i in scheme()["indicators"] if i["code"] == code)


def spec_from_data(data: dict) -> IndicatorSpec:
    return IndicatorSpec(
        code=data["code"],
        name=data["name"],
        precision=data["precision"],
        direction=data["direction"],
        target_kind=data["target_kind"],
        base=Decimal(data["base_points"]),
        bonus_cap=Decimal(data["bonus_cap"]),
        rule=parse_rule(data["rule"], target_kind=data["target_kind"], has_target2=data["target_value2"] is not None),
        target=_dec(data["target_value"]),
        target2=_dec(data["target_value2"]),
        unit=data.get("unit", ""),
    )


@lru_cache(maxsize=1)
def specs() -> dict[str, IndicatorSpec]:
    """{code: IndicatorSpec} for every indicator of the 2023 scheme, in scheme order."""
    return {data["code"]: spec_from_data(data) for data in scheme()["indicators"]}


def _d(value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def table(rows, index=None) -> pd.DataFrame:
    """A value/value2/previous table of Decimals (None where missing) from (value, value2, previous) tuples."""
    rows = list(rows)
    index = list(index) if index is not None else [f"b{i}" for i in range(len(rows))]
    return pd.DataFrame(
        {
            "value": pd.Series([_d(r[0]) for r in rows], index=index, dtype=object),
            "value2": pd.Series([_d(r[1]) for r in rows], index=index, dtype=object),
            "previous": pd.Series([_d(r[2]) for r in rows], index=index, dtype=object),
        },
        index=index,
    )


def score_one(code: str, value, value2=None, previous=None, target=None):
    """(points, explanation) of one branch for indicator `code`; numbers may be str, int or Decimal."""
    out = score_indicator(specs()[code], table([(value, value2, previous)]), _d(target))
    return out["points"].iloc[0], out["explanation"].iloc[0]
