"""Many windows scored together (kpi.scoring.league.league_assemble_many) give what each gives alone.

A national recompute scores every scheme's windows in one pass per indicator; each window must keep its own
rows, its own targets (a provincial average is its own scheme's) and its own ranks.
"""

from decimal import Decimal

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from kpi.scoring.league import LeagueInputs, league_assemble, league_assemble_many
from tests.kpi.test_exact_engine import INDICATORS, NUMBERS, same, windows
from tests.kpi.test_scoring_properties import SETTINGS

D = Decimal


def assert_same_league(alone, together):
    a, b = alone.window.cells, together.window.cells
    assert a[["branch", "indicator"]].values.tolist() == b[["branch", "indicator"]].values.tolist()
    for col in NUMBERS:
        assert all(same(x, y) for x, y in zip(a[col].tolist(), b[col].tolist(), strict=True)), col
    assert alone.window.targets == together.window.targets
    assert alone.order == together.order
    for col in ("qualitative", "quantitative", "deductions", "total", "vetoed", "rank"):
        assert [str(v) for v in alone.table[col]] == [str(v) for v in together.table[col]], col
    assert alone.details == together.details


# windows that share their rules (as the schemes of one level do) and windows that do not
SHARED = st.lists(windows(), min_size=1, max_size=6).map(
    lambda ws: [w.with_changes(indicators=ws[0].indicators) for w in ws]
)
MIXED = st.lists(windows(), min_size=1, max_size=6)


@SETTINGS
@given(shared=SHARED, mixed=MIXED)
def test_windows_scored_together_equal_each_scored_alone(shared, mixed):
    inputs = {("shared", n): w for n, w in enumerate(shared)} | {("mixed", n): w for n, w in enumerate(mixed)}
    together = league_assemble_many(inputs)
    assert set(together) == set(inputs)
    for key, window in inputs.items():
        assert_same_league(league_assemble(window, explain=False), together[key])


def test_each_window_is_scored_against_its_own_provincial_average():
    """Two windows with the same rules and different figures: the pooled target is each one's own."""
    code = next(c for c, item in INDICATORS.items() if item.spec.target_kind == "provincial_average")
    item = INDICATORS[code]
    num, den = item.inputs.numerator, item.inputs.denominator

    def window(n):
        totals = pd.DataFrame({num: [D(n), D(1)], den: [D(100), D(100)]}, index=["a", "b"], dtype=object)
        return LeagueInputs(indicators=(item,), totals=totals, previous_totals=pd.DataFrame(dtype=object), branches=("a", "b"))

    inputs = {1: window(3), 2: window(9)}
    together = league_assemble_many(inputs)
    assert together[1].window.targets[code]["value"] != together[2].window.targets[code]["value"]
    for key, w in inputs.items():
        assert_same_league(league_assemble(w, explain=False), together[key])
