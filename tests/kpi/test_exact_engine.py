"""The exact integer engine (kpi/scoring/exact.py) gives the Decimal engine's points, targets and ranks.

Random windows of the 2023 scheme's indicators (random totals with zeros, missing branches, huge figures,
overrides, qualitative scores, deductions and vetoes) are scored by both; explain=False keeps every number of
an explained run; `explain_cells` renders one branch's explanations equal to the whole run's.
"""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.management.commands.benchmark_scoring import ENGINE_MODES, compare_engines
from kpi.scoring.aggregation import Inputs, parse_inputs
from kpi.scoring.engine import IndicatorSpec, score_indicator
from kpi.scoring.exact import Ints, exact_points, indicator_points
from kpi.scoring.league import DeductionEntry, LeagueInputs, QualitativeEntry, explain_cells, league_assemble
from kpi.scoring.rules import parse_rule
from kpi.scoring.window import ScoredIndicator, score_window
from tests.kpi.scheme_2023 import scheme, specs, table
from tests.kpi.test_scoring_properties import SETTINGS, TARGETS, rows_of

D = Decimal
INDICATORS = {d["code"]: ScoredIndicator(specs()[d["code"]], parse_inputs(d["inputs"])) for d in scheme()["indicators"]}
COMPONENTS = sorted({c for item in INDICATORS.values() for c in item.inputs.components})
NUMBERS = ("value", "value2", "previous", "target", "points")


def same(a, b) -> bool:
    """Equal and written the same (a Decimal's digits and exponent), or both missing."""
    return (a is None and b is None) or (a is not None and b is not None and str(a) == str(b))


# ── the same points, row by row ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("code", list(specs()))
def test_both_engines_give_every_row_the_same_decimal(code):
    spec = specs()[code]

    @SETTINGS
    @given(rows=rows_of(code), target=TARGETS)
    def check(rows, target):
        target = target if spec.target_kind == "provincial_average" else None
        decimal = indicator_points(spec, table(rows), target, engine="decimal")
        exact = indicator_points(spec, table(rows), target, engine="exact")
        assert all(same(a, b) for a, b in zip(decimal, exact, strict=True)), list(zip(rows, decimal, exact, strict=True))

    check()


def test_the_exact_engine_scores_the_value_the_decimal_engine_rounds_to():
    """(1 ÷ 3) × 3 is 0.999…9 at 28 digits, not 1: both engines score that value, which misses a target of 1."""
    spec = IndicatorSpec(code="third", name="三分", precision=2, direction="higher", target_kind="fixed", base=D(5),
                         bonus_cap=D(0), target=D(1), rule=parse_rule({"kind": "steps", "below": [{"step": "0.5", "points": "1"}]}))
    item = ScoredIndicator(spec, Inputs(numerator="n", denominator="d", scale=D(3)))
    totals = pd.DataFrame({"n": [D(1)], "d": [D(3)]}, index=["a"], dtype=object)
    decimal = score_window([item], totals, pd.DataFrame(dtype=object)).cells.iloc[0]
    exact = score_window([item], totals, pd.DataFrame(dtype=object), engine="exact", explain=False).cells.iloc[0]
    assert decimal.value < 1
    assert decimal.points == exact.points == D(4)  # one started step of 0.5 below the target


@pytest.mark.parametrize("code", ["sl_nonbank", "claim_close_rate", "reg_complaints_per_100m", "own_complaints_count"])
def test_figures_too_big_for_int64_are_scored_on_python_integers(code):
    big = [D(10) ** 20 * 3 + D("0.0001"), D(10) ** 24, D("123456789012345678.9012")]
    rows = [(v, None, v * 2 if code == "own_complaints_count" else None) for v in big]
    target = D("0.3652") if code == "reg_complaints_per_100m" else None
    decimal = score_indicator(specs()[code], table(rows), target)["points"].tolist()
    assert exact_points(specs()[code], table(rows), target) == decimal


def test_a_value_with_more_digits_than_the_decimal_context_is_scaled_exactly():
    long = D("95.0000000000000000000000000000001")  # 33 digits: 1E-31 above the target is a started step
    rows = [(long, None, None), (D("94.9999999999999999999999999999999"), None, None)]
    assert exact_points(specs()["sl_nonbank"], table(rows)) == [D("4.2"), D("3.9")]
    assert exact_points(specs()["sl_nonbank"], table(rows)) == score_indicator(specs()["sl_nonbank"], table(rows))["points"].tolist()


def test_integers_are_int64_until_a_bound_says_otherwise():
    small = Ints.of([3, -4])
    assert small.a.dtype == np.int64 and small.bound == 4
    product = small * 2**61  # bound 2^63: promoted before multiplying
    assert product.a.dtype == object and product.a.tolist() == [3 * 2**61, -4 * 2**61]
    assert Ints.of([2**70]).a.dtype == object
    assert (small.floordiv(3).a.tolist(), small.ceildiv(3).a.tolist()) == ([1, -2], [1, -1])
    # a divisor beyond int64 (a step of 1 at a scale of 10^19): the column is widened first
    assert (small.floordiv(10**19).a.tolist(), small.ceildiv(10**19).a.tolist()) == ([0, -1], [1, 0])


def test_an_unknown_engine_or_explaining_with_the_exact_engine_is_refused():
    item = INDICATORS["sl_nonbank"]
    totals = pd.DataFrame({"sl_nonbank_passed": [D(95)], "sl_nonbank_checked": [D(100)]}, index=["a"], dtype=object)
    with pytest.raises(ValueError, match="unknown scoring engine"):
        score_window([item], totals, pd.DataFrame(dtype=object), engine="float", explain=False)
    with pytest.raises(ValueError, match="Decimal engine"):
        score_window([item], totals, pd.DataFrame(dtype=object), engine="exact", explain=True)
    with pytest.raises(ValueError, match="unknown scoring engine"):
        indicator_points(item.spec, table([("95", None, None)]), engine="float")


# ── random windows: cells, targets, totals and ranks ───────────────────────────────────────────────

AMOUNTS = st.one_of(
    st.just(D(0)),
    st.integers(0, 5_000).map(D),
    st.integers(0, 10**9).map(lambda n: D(n).scaleb(-4)),  # 4 decimals, as MonthlyFigure.value
    st.integers(0, 10**24).map(lambda n: D(n).scaleb(-4)),  # national sums beyond int64
)


@st.composite
def windows(draw) -> LeagueInputs:
    codes = draw(st.lists(st.sampled_from(list(INDICATORS)), min_size=1, max_size=6, unique=True))
    comps = sorted({c for code in codes for c in INDICATORS[code].inputs.components})
    branches = [f"b{n:02d}" for n in range(draw(st.integers(1, 8)))]

    def totals(rows):
        frame = {b: {c: draw(AMOUNTS) for c in comps} for b in rows}
        return pd.DataFrame.from_dict(frame, orient="index").astype(object) if frame else pd.DataFrame(dtype=object)

    with_figures = draw(st.lists(st.sampled_from(branches), unique=True)) if len(branches) > 1 else branches
    override = st.tuples(st.one_of(st.just(D(0)), st.integers(1, 50_000).map(lambda n: D(n).scaleb(-4))), st.just("调整"))
    overrides = {code: draw(override) for code in codes if draw(st.booleans()) and specs()[code].target_kind != "year_on_year"}
    score = st.integers(-300, 300).map(lambda n: D(n).scaleb(-1))
    return LeagueInputs(
        indicators=tuple(INDICATORS[c] for c in codes),
        totals=totals(with_figures),
        previous_totals=totals(draw(st.lists(st.sampled_from(branches), unique=True))),
        branches=tuple(branches),
        overrides=overrides,
        qualitative={b: (QualitativeEntry(item="Q", name="定性", score=draw(score).copy_abs(), max_points=D(30)),)
                     for b in branches if draw(st.booleans())},
        deductions={b: (DeductionEntry(points=-draw(score).copy_abs(), month=1),) for b in branches if draw(st.booleans())},
        vetoes={b: "否决" for b in branches if draw(st.integers(0, 4)) == 0},
    )


@SETTINGS
@given(inputs=windows())
def test_random_windows_give_the_same_cells_targets_totals_and_ranks_on_both_engines(inputs):
    reference = league_assemble(inputs)  # Decimal engine, explained: what every run stores today
    fast = league_assemble(inputs, engine="exact", explain=False)
    ref_cells, fast_cells = reference.window.cells, fast.window.cells
    assert ref_cells[["branch", "indicator"]].values.tolist() == fast_cells[["branch", "indicator"]].values.tolist()
    for col in NUMBERS:
        pairs = zip(ref_cells[col].tolist(), fast_cells[col].tolist(), strict=True)
        assert all(same(a, b) for a, b in pairs), col
    assert fast_cells["explanation"].isna().all()
    assert reference.window.targets == fast.window.targets
    assert reference.order == fast.order
    for col in ("qualitative", "quantitative", "deductions", "total", "vetoed", "rank"):
        assert reference.table[col].tolist() == fast.table[col].tolist(), col
    assert reference.details == fast.details


@SETTINGS
@given(inputs=windows())
def test_the_decimal_engine_without_explanations_keeps_every_number(inputs):
    explained = league_assemble(inputs).window.cells
    bare = league_assemble(inputs, engine="decimal", explain=False).window.cells
    for col in (*NUMBERS, "branch", "indicator"):
        assert all(same(a, b) if col in NUMBERS else a == b
                   for a, b in zip(explained[col].tolist(), bare[col].tolist(), strict=True)), col
    assert bare["explanation"].isna().all()


@SETTINGS
@given(inputs=windows())
def test_one_branchs_explanations_on_demand_equal_the_whole_explained_run(inputs):
    league = league_assemble(inputs)
    cells = league.window.cells
    for branch in inputs.branches:
        mine = cells[cells["branch"] == branch]
        expected = dict(zip(mine["indicator"].tolist(), mine["explanation"].tolist(), strict=True))
        assert explain_cells(inputs, branch, league.window.targets) == expected


def test_explanations_on_demand_use_the_windows_provincial_average_not_the_branchs_own():
    item = INDICATORS["reg_complaints_per_100m"]
    totals = pd.DataFrame({"reg_complaints": [D(1), D(9)], "premium_wan": [D(10000), D(10000)]}, index=["a", "b"], dtype=object)
    inputs = LeagueInputs(indicators=(item,), totals=totals, previous_totals=pd.DataFrame(dtype=object), branches=("a", "b"))
    league = league_assemble(inputs)
    explanation = explain_cells(inputs, "a", league.window.targets)["reg_complaints_per_100m"]
    assert explanation["target"] == "5"  # Σ 10 complaints ÷ Σ 20,000 万元 × 10,000, not a's own 1
    assert explanation == league.cell("a", "reg_complaints_per_100m").explanation


def test_the_benchmark_times_every_engine_and_checks_they_agree():
    result = compare_engines(40, repeat=1)
    assert set(result["seconds"]) == set(ENGINE_MODES) and all(s > 0 for s in result["seconds"].values())
    assert result["same"] is True and result["cells"] == 40 * 17
