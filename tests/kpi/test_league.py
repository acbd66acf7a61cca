"""The pure league assembly (kpi.scoring.league) on hand-built inputs: totals, deductions, veto, ties.

Totals and ranks are checked on both engines: the Decimal one explaining (what runs store) and the exact one
without explanations (what a national recompute uses)."""

from decimal import Decimal

import pandas as pd
import pytest

from kpi.scoring.aggregation import Inputs
from kpi.scoring.engine import IndicatorSpec
from kpi.scoring.league import DeductionEntry, LeagueInputs, QualitativeEntry, league_assemble
from kpi.scoring.rules import parse_rule
from kpi.scoring.window import ScoredIndicator

D = Decimal


@pytest.fixture(params=[("decimal", True), ("exact", False)], ids=["decimal", "exact"])
def assemble(request):
    engine, explain = request.param
    return lambda inputs: league_assemble(inputs, engine=engine, explain=explain)

# One indicator: value = Σ c, points = 10 × min(1, value ÷ 100) — so c = 80 scores 8.00, c = 100 scores 10.00.
ATTAIN = ScoredIndicator(
    IndicatorSpec(code="att", name="达成", precision=2, direction="higher", target_kind="fixed",
                  base=D(10), bonus_cap=D(0), rule=parse_rule({"kind": "attainment"}), target=D(100)),
    Inputs(numerator="c"),
)


def inputs(values: dict[str, str], *, qualitative=None, deductions=None, vetoes=None) -> LeagueInputs:
    totals = pd.DataFrame({"c": [D(v) for v in values.values()]}, index=list(values), dtype=object)
    return LeagueInputs(
        indicators=(ATTAIN,),
        totals=totals,
        previous_totals=pd.DataFrame(dtype=object),
        branches=tuple(values),
        qualitative={b: tuple(QualitativeEntry(item=f"Q{n}", name=f"定性{n}", score=D(s), max_points=D(10), order=n)
                              for n, s in enumerate(scores)) for b, scores in (qualitative or {}).items()},
        deductions={b: tuple(DeductionEntry(points=D(p), month=m) for m, p in items) for b, items in (deductions or {}).items()},
        vetoes=vetoes or {},
    )


@pytest.mark.parametrize(
    ("values", "qualitative", "deductions", "expected"),
    [
        # quantitative only: 80 → 8.00
        ({"a": "80"}, {}, {}, {"a": ("0", "8.00", "0", "8.00")}),
        # 5 + 3 qualitative + 8.00 quantitative − 1 − 0.5 deductions = 14.50
        ({"a": "80"}, {"a": ["5", "3"]}, {"a": [(2, "-1"), (5, "-0.5")]}, {"a": ("8", "8.00", "-1.5", "14.50")}),
        # a branch without qualitative scores or deductions adds zeros; 130 is capped at 10.00 (bonus cap 0)
        ({"a": "130", "b": "50"}, {"b": ["2"]}, {}, {"a": ("0", "10.00", "0", "10.00"), "b": ("2", "5.00", "0", "7.00")}),
    ],
)
def test_the_total_is_qualitative_plus_quantitative_plus_deductions(assemble, values, qualitative, deductions, expected):
    league = assemble(inputs(values, qualitative=qualitative, deductions=deductions))
    for branch, (qual, quant, ded, total) in expected.items():
        row = league.table.loc[branch]
        assert (row.qualitative, row.quantitative, row.deductions, row.total) == (D(qual), D(quant), D(ded), D(total))


@pytest.mark.parametrize(
    ("values", "qualitative", "vetoes", "order", "ranks"),
    [
        # plain order by total
        ({"a": "50", "b": "90", "c": "70"}, {}, {}, ["b", "c", "a"], [1, 2, 3]),
        # the best total is vetoed: it comes last whatever its points, and keeps its own rank
        ({"a": "50", "b": "90", "c": "70"}, {}, {"b": "重大事件"}, ["c", "a", "b"], [1, 2, 3]),
        # a: 6 qualitative + 4.00 = 10.00; b: 0 + 10.00 = 10.00 — tied totals share the rank,
        # the higher quantitative score (b) is listed first
        ({"a": "40", "b": "100"}, {"a": ["6"]}, {}, ["b", "a"], [1, 1]),
        # tied on total and quantitative: listed by branch code; the next rank skips (1, 1, 3)
        ({"z": "60", "m": "60", "k": "50"}, {}, {}, ["m", "z", "k"], [1, 1, 3]),
        # two vetoed branches are last, among themselves by total
        ({"a": "10", "b": "90", "c": "70", "d": "20"}, {}, {"b": "x", "c": "y"}, ["d", "a", "b", "c"], [1, 2, 3, 4]),
    ],
)
def test_ranking_puts_vetoed_last_and_breaks_ties_by_quantitative_then_code(assemble, values, qualitative, vetoes, order, ranks):
    league = assemble(inputs(values, qualitative=qualitative, vetoes=vetoes))
    assert league.order == order
    assert league.table["rank"].tolist() == ranks
    assert league.table["vetoed"].tolist() == [b in vetoes for b in order]


def test_details_list_qualitative_items_in_order_deductions_and_the_veto_reason(assemble):
    league = assemble(inputs({"a": "80"}, qualitative={"a": ["5", "3"]}, deductions={"a": [(3, "-1")]}, vetoes={"a": "重大事件"}))
    details = league.details["a"]
    assert [(q["item"], q["score"], q["max"]) for q in details["qualitative"]] == [("Q0", "5", "10"), ("Q1", "3", "10")]
    assert details["deductions"] == [{"points": "-1", "month": 3, "reason": ""}]
    assert details["veto"] == "重大事件"


def test_every_cell_carries_its_explanation_and_the_target_used():
    league = league_assemble(inputs({"a": "80", "b": "100"}))
    cell = league.cell("a", "att")
    assert cell.points == D("8.00")
    assert cell.explanation["target"] == "100"
    assert any("80 ÷ 100" in line for line in cell.explanation["steps"])
    assert league.window.targets["att"]["value"] == D(100)


def test_a_branch_with_no_figures_scores_zero_and_is_still_ranked(assemble):
    base = inputs({"a": "80"})
    league = assemble(base.with_changes(branches=("a", "b")))
    assert league.order == ["a", "b"]
    assert league.table.loc["b"].total == 0
    assert league.cell("b", "att").value is None


def test_a_branch_with_no_figures_is_explained_as_missing_data():
    league = league_assemble(inputs({"a": "80"}).with_changes(branches=("a", "b")))
    assert "缺少数据" in league.cell("b", "att").explanation["steps"][0]


def test_without_explanations_the_cells_keep_value_target_and_points_but_no_explanation():
    league = league_assemble(inputs({"a": "80", "b": "100"}), engine="exact", explain=False)
    cell = league.cell("a", "att")
    assert (cell.value, cell.target, cell.points, cell.explanation) == (D(80), D(100), D("8.00"), None)
    assert league.window.targets["att"] == {"value": D(100), "source": "方案规定的固定考核值"}
