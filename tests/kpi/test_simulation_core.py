"""The pure parts of the what-if simulator (kpi.scoring.simulation) and the one reader of changes."""

from decimal import Decimal

import pandas as pd
import pytest

from kpi.scoring.aggregation import Inputs
from kpi.scoring.engine import IndicatorSpec
from kpi.scoring.league import LeagueInputs, league_assemble
from kpi.scoring.rules import RuleError, parse_rule
from kpi.scoring.simulation import BandEdge, IndicatorChange, TierEdit, apply_change, compare, describe_change, kendall_tau
from kpi.scoring.window import ScoredIndicator
from kpi.simulation.changes import SimulationError, parse_changes

D = Decimal

STEPS = {
    "code": "x", "name": "X", "unit": "%", "target_kind": "fixed", "target_value": D(95), "target_value2": None,
    "base_points": D(4), "bonus_cap": D(1),
    "rule": {"kind": "steps", "above": [{"from": "0", "step": "1", "points": "0.2"}],
             "below": [{"from": "0", "to": "5", "step": "1", "points": "0.1"}, {"from": "5", "step": "1", "points": "0.2"}]},
}
BANDS = {
    "code": "b", "name": "B", "unit": "", "target_kind": "year_on_year", "target_value": None, "target_value2": None,
    "base_points": D(5), "bonus_cap": D(0),
    "rule": {"kind": "bands", "basis": "yoy_decline_pct", "zero_previous": {"if_current_zero": "5", "otherwise": "0"},
             "bands": [{"max": "0", "points": "0"}, {"min": "0", "max": "10", "points": "3"}, {"min": "10", "points": "5"}]},
}


@pytest.mark.parametrize(
    ("a", "b", "tau"),
    [
        ([1, 2, 3, 4], [1, 2, 3, 4], "1.0000"),
        ([1, 2, 3, 4], [4, 3, 2, 1], "-1.0000"),
        # one discordant pair (2nd, 3rd) of six: (5 − 1) ÷ 6
        ([1, 2, 3, 4], [1, 3, 2, 4], "0.6667"),
        # a tie in a: pairs 3, tied in a 1, concordant 2: 2 ÷ √(2 × 3) = 0.8165 (as scipy.stats.kendalltau's τ-b)
        ([1, 1, 3], [1, 2, 3], "0.8165"),
    ],
)
def test_kendall_tau_b(a, b, tau):
    assert kendall_tau(a, b) == D(tau)


def test_kendall_tau_of_all_ties_is_undefined():
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None


def test_a_target_makes_the_target_fixed_and_leaves_the_source_untouched():
    changed = apply_change(STEPS, IndicatorChange(target=D(96), bonus_cap=D(2), base_points=D(5)))
    assert (changed["target_kind"], changed["target_value"], changed["bonus_cap"], changed["base_points"]) == ("fixed", D(96), D(2), D(5))
    assert STEPS["target_value"] == D(95)
    assert describe_change(STEPS, changed) == ["x：考核值 95 → 96", "x：分值 4 → 5", "x：加分上限 1 → 2"]


def test_tier_edits_change_step_size_and_points_of_the_named_tier():
    changed = apply_change(STEPS, IndicatorChange(tiers=(TierEdit("below", 2, step=D("0.5"), points=D("0.3")),)))
    assert changed["rule"]["below"][1] == {"from": "5", "step": "0.5", "points": "0.3"}
    assert changed["rule"]["below"][0] == STEPS["rule"]["below"][0]
    parse_rule(changed["rule"])  # still a valid rule
    assert describe_change(STEPS, changed)[0].startswith("x：计分规则 ")


def test_a_band_edge_moves_both_neighbouring_bands():
    changed = apply_change(BANDS, IndicatorChange(band_edges=(BandEdge(2, D(15)),)))
    assert changed["rule"]["bands"][1]["max"] == "15" and changed["rule"]["bands"][2]["min"] == "15"
    parse_rule(changed["rule"], target_kind="year_on_year")


@pytest.mark.parametrize(
    ("definition", "change", "message"),
    [
        (BANDS, IndicatorChange(target=D(1)), "同比指标以上年同期值为考核值，不能设定考核值"),
        (STEPS, IndicatorChange(tiers=(TierEdit("above", 2, step=D(1)),)), "计分规则没有达标后加分档第2档"),
        (STEPS, IndicatorChange(band_edges=(BandEdge(1, D(1)),)), "计分规则没有第1段与第2段之间的分界"),
        (BANDS, IndicatorChange(band_edges=(BandEdge(3, D(1)),)), "计分规则没有第3段与第4段之间的分界"),
    ],
)
def test_changes_that_do_not_fit_the_rule_are_refused(definition, change, message):
    with pytest.raises(RuleError) as exc:
        apply_change(definition, change)
    assert exc.value.messages == [message]


def _league(points: dict[str, str], qualitative=None):
    spec = IndicatorSpec(code="att", name="达成", precision=2, direction="higher", target_kind="fixed",
                         base=D(10), bonus_cap=D(0), rule=parse_rule({"kind": "attainment"}), target=D(100))
    totals = pd.DataFrame({"c": [D(v) for v in points.values()]}, index=list(points), dtype=object)
    return league_assemble(LeagueInputs(indicators=(ScoredIndicator(spec, Inputs(numerator="c")),), totals=totals,
                                        previous_totals=pd.DataFrame(dtype=object), branches=tuple(points)))


def test_compare_lists_rows_in_the_after_ranking_with_their_causes_and_winners():
    before = _league({"a": "90", "b": "80", "c": "70"})
    after = _league({"a": "60", "b": "80", "c": "70"})  # a falls 9.00 → 6.00: from 1st to 3rd
    diff = compare(before, after)
    assert [(r.branch, r.rank_before, r.rank_after) for r in diff.rows] == [("b", 2, 1), ("c", 3, 2), ("a", 1, 3)]
    a = diff.rows[2]
    assert a.delta == D("-3.00") and [(c.code, c.before, c.after) for c in a.causes] == [("att", D("9.00"), D("6.00"))]
    assert [r.branch for r in diff.winners] == ["b", "c"] and [r.branch for r in diff.losers] == ["a"]
    assert diff.cell_changes == {"att": 1}
    assert diff.top_before == ["a", "b", "c"] and diff.top_after == ["b", "c", "a"]
    # ranks before (of b, c, a) 2, 3, 1 against after 1, 2, 3: pairs (b,c) concordant, (b,a) and (c,a) discordant
    assert diff.tau == D("-0.3333")
    assert diff.changed_cells == [("a", "att")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"indicators": {"sl_nonbank": {"target": "abc"}}}, "指标 sl_nonbank，考核值：“abc”不是有效的数字"),
        ({"indicators": {"sl_nonbank": {"target": "-1"}}}, "指标 sl_nonbank，考核值：不能为负数"),
        ({"indicators": {"sl_nonbank": {"target": 96.5}}}, "指标 sl_nonbank，考核值：须写成字符串形式的数字"),
        ({"indicators": {"sl_nonbank": {"base_points": "0"}}}, "指标 sl_nonbank，分值：须大于 0"),
        ({"indicators": {"sl_nonbank": {"bonus_cap": "1.234"}}}, "指标 sl_nonbank，加分上限：最多保留 2 位小数"),
        ({"indicators": {"sl_nonbank": {"colour": "red"}}}, "指标 sl_nonbank：不认识的修改项 colour"),
        ({"indicators": {"sl_nonbank": {"tiers": [{"side": "up", "tier": 1}]}}}, "指标 sl_nonbank，tiers 第1项：side 须为"),
        ({"qualitative": [{"branch": "nanjing", "item": "1", "score": "x"}]}, "定性 nanjing 1，得分：“x”不是有效的数字"),
        ({"deductions": [{"branch": "nanjing", "points": "1"}]}, "减分 nanjing：扣分须为负数"),
    ],
)
def test_bad_values_are_refused_in_chinese_naming_the_code(data, message):
    with pytest.raises(SimulationError) as exc:
        parse_changes(data)
    assert any(e.startswith(message) for e in exc.value.errors), exc.value.errors


def test_changes_are_read_as_exact_decimals():
    changes = parse_changes({"indicators": {"sl_nonbank": {"target": "96.5", "scored": True,
                                                           "tiers": [{"side": "below", "tier": "1", "step": "0.5"}]}},
                             "deductions": [{"branch": "nanjing", "points": "-1", "reason": "r"}], "version": 2})
    change = changes.indicators["sl_nonbank"]
    assert change.target == D("96.5") and change.tiers == (TierEdit("below", 1, step=D("0.5")),)
    assert changes.deductions[0].points == D(-1) and changes.version == 2


def test_a_league_with_no_indicator_left_still_compares():
    before = _league({"a": "90", "b": "80"})
    empty = league_assemble(LeagueInputs(indicators=(), totals=pd.DataFrame(dtype=object),
                                         previous_totals=pd.DataFrame(dtype=object), branches=("a", "b")))
    diff = compare(before, empty)
    # both fall to 0: tied, so listed by code and sharing the rank
    assert [(r.branch, r.total_after, r.rank_after) for r in diff.rows] == [("a", 0, 1), ("b", 0, 1)]
    assert diff.cell_changes == {"att": 2}
    assert diff.tau is None  # the after ranking is all ties
