"""Rules and inputs given as data are checked before use, with every problem said in Chinese;
year-to-date values are Σ numerator / Σ denominator; branches are ranked with shared ranks for ties."""

from decimal import Decimal

import pandas as pd
import pytest

from kpi.scoring.aggregation import Inputs, indicator_values, parse_inputs, pooled_value, window_totals
from kpi.scoring.engine import rank
from kpi.scoring.rules import BandsRule, RuleError, StepsRule, Tier, TwoPartRule, parse_rule
from tests.kpi.scheme_2023 import indicator_data, scheme, specs


def messages_of(data, **kw) -> list[str]:
    with pytest.raises(RuleError) as caught:
        parse_rule(data, **kw)
    return caught.value.messages


def steps(below=None, above=None):
    return {"kind": "steps", "above": above or [], "below": below or [{"from": "0", "step": "1", "points": "1"}]}


def bands(*items, basis="value", **extra):
    return {"kind": "bands", "basis": basis, "bands": list(items), **extra}


YOY_ZERO = {"zero_previous": {"if_current_zero": "5", "otherwise": "0"}}


# ── the scheme's own rules are valid ───────────────────────────────────────────────────────────────


def test_every_rule_of_the_2023_scheme_parses():
    assert len(specs()) == 17


def test_two_tier_rule_is_read_into_exact_contiguous_tiers():
    rule = specs()["claim_cycle_event"].rule
    assert isinstance(rule, StepsRule)
    assert rule.below == (
        Tier(Decimal("0"), Decimal("5"), Decimal("1"), Decimal("0.1"), "started"),
        Tier(Decimal("5"), None, Decimal("1"), Decimal("0.2"), "started"),
    )
    assert rule.above == (Tier(Decimal("0"), None, Decimal("1"), Decimal("0.2"), "started"),)


def test_year_on_year_rule_reads_its_zero_previous_year_points():
    rule = specs()["own_complaints_count"].rule
    assert isinstance(rule, BandsRule)
    assert (rule.zero_previous_if_current_zero, rule.zero_previous_otherwise) == (Decimal(5), Decimal(0))
    assert rule.basis_precision == 2 and len(rule.bands) == 4


def test_integers_are_exact_and_accepted_as_numbers():
    rule = parse_rule(steps(below=[{"from": 0, "step": 1, "points": 1}]))
    assert rule.below[0].step == Decimal(1) and isinstance(rule.below[0].step, Decimal)


# ── rejected rules ─────────────────────────────────────────────────────────────────────────────────


def test_rule_error_is_a_value_error_joining_its_messages():
    with pytest.raises(ValueError) as caught:
        parse_rule({"kind": "nope"})
    assert isinstance(caught.value, RuleError)
    assert str(caught.value) == "；".join(caught.value.messages)


def test_unknown_kind_is_rejected_naming_the_allowed_kinds():
    assert messages_of({"kind": "linear"}) == ["规则类型“kind”只能是 steps、attainment、two_part、bands 之一，现为 'linear'"]


def test_missing_kind_is_rejected():
    assert messages_of({}) == ["规则类型“kind”只能是 steps、attainment、two_part、bands 之一，现为 None"]


def test_rule_that_is_not_an_object_is_rejected():
    assert messages_of([{"kind": "steps"}]) == ["计分规则必须是 JSON 对象"]


@pytest.mark.parametrize("number", [0.1, 1.0, True], ids=["float", "float-integer", "bool"])
def test_numbers_written_as_floats_are_rejected_for_exactness(number):
    msgs = messages_of(steps(below=[{"from": "0", "step": number, "points": "1"}]))
    assert msgs == ['未达标扣分档第1档的“step”须写成字符串形式的数字(如 "0.5")，以保证精确计算']


def test_float_penalty_of_a_two_part_rule_is_rejected():
    msgs = messages_of({"kind": "two_part", "penalty": 1.0, "penalty2": "1"}, has_target2=True)
    assert msgs == ['两项指标规则的“penalty”须写成字符串形式的数字(如 "0.5")，以保证精确计算']


@pytest.mark.parametrize("step", ["0", "-1", "-0.05"])
def test_non_positive_step_is_rejected(step):
    assert messages_of(steps(below=[{"from": "0", "step": step, "points": "1"}])) == ["未达标扣分档第1档的“step”必须大于 0"]


def test_negative_points_are_rejected():
    assert messages_of(steps(above=[{"from": "0", "step": "1", "points": "-0.2"}])) == ["达标后加分档第1档的“points”不能为负数"]


@pytest.mark.parametrize(
    "raw, message",
    [("abc", "不是数字：'abc'"), ("Infinity", "必须是有限数字"), ("NaN", "必须是有限数字")],
    ids=["text", "infinity", "nan"],
)
def test_step_that_is_not_a_finite_number_is_rejected(raw, message):
    assert messages_of(steps(below=[{"from": "0", "step": raw, "points": "1"}])) == [f"未达标扣分档第1档的“step”{message}"]


def test_missing_points_are_rejected():
    assert messages_of(steps(below=[{"from": "0", "step": "1"}])) == ["未达标扣分档第1档缺少“points”"]


def test_unknown_count_is_rejected():
    msgs = messages_of(steps(below=[{"from": "0", "step": "1", "points": "1", "count": "half"}]))
    assert msgs == ["未达标扣分档第1档的“count”只能是 started、full 之一，现为 'half'"]


def test_tiers_that_are_not_contiguous_are_rejected():
    below = [
        {"from": "0", "to": "5", "step": "1", "points": "0.1"},
        {"from": "6", "step": "1", "points": "0.2"},
    ]
    assert messages_of(steps(below=below)) == ["未达标扣分档第2档应从 5 开始(各档须首尾相接)，现为 6"]


def test_first_tier_must_start_at_zero():
    msgs = messages_of(steps(below=[{"from": "1", "step": "1", "points": "1"}]))
    assert msgs == ["未达标扣分档第1档应从 0 开始(各档须首尾相接)，现为 1"]


def test_only_the_last_tier_may_be_open_ended():
    below = [{"from": "0", "step": "1", "points": "0.1"}, {"from": "0", "step": "1", "points": "0.2"}]
    assert messages_of(steps(below=below)) == ["未达标扣分档第1档没有终点，只有最后一档可以不设终点"]


def test_tier_ending_before_it_starts_is_rejected():
    below = [{"from": "0", "to": "0", "step": "1", "points": "0.1"}]
    assert messages_of(steps(below=below)) == ["未达标扣分档第1档的终点必须大于起点"]


def test_tiers_that_are_not_a_list_are_rejected():
    assert messages_of({"kind": "steps", "below": {"step": "1"}}) == ["未达标扣分档(“below”)必须是列表"]


def test_bands_with_a_gap_are_rejected():
    msgs = messages_of(bands({"max": "1", "points": "10"}, {"min": "1", "min_inclusive": False, "points": "5"}))
    assert msgs == ["第1段与第2段在 1 处留有空缺"]


def test_bands_that_overlap_are_rejected():
    msgs = messages_of(bands({"max": "1", "max_inclusive": True, "points": "10"}, {"min": "1", "points": "5"}))
    assert msgs == ["第1段与第2段在 1 处重叠"]


def test_bands_whose_bounds_do_not_meet_are_rejected():
    msgs = messages_of(bands({"max": "1", "points": "10"}, {"min": "2", "points": "5"}))
    assert msgs == ["第1段的上限与第2段的下限不相接"]


def test_first_band_with_a_lower_bound_is_rejected():
    msgs = messages_of(bands({"min": "0", "max": "1", "points": "10"}, {"min": "1", "points": "5"}))
    assert msgs == ["第1段须不设下限(覆盖所有更小的值)"]


def test_last_band_with_an_upper_bound_is_rejected():
    msgs = messages_of(bands({"max": "1", "points": "10"}, {"min": "1", "max": "9", "points": "5"}))
    assert msgs == ["第2段须不设上限(覆盖所有更大的值)"]


def test_band_whose_lower_bound_exceeds_its_upper_bound_is_rejected():
    msgs = messages_of(bands({"max": "1", "points": "10"}, {"min": "1", "max": "0", "points": "5"}, {"min": "0", "points": "0"}))
    assert "第2段的下限大于上限" in msgs


def test_empty_bands_are_rejected():
    assert messages_of(bands()) == ["分段(“bands”)必须是非空列表"]


def test_band_with_a_slope_needs_an_anchor():
    assert messages_of(bands({"points": "10", "slope": "2"})) == ["第1段缺少“anchor”"]


def test_unknown_basis_is_rejected():
    msgs = messages_of(bands({"points": "1"}, basis="median"))
    assert msgs == ["分段规则的“basis”只能是 value、ratio_to_target、yoy_decline_pct 之一，现为 'median'"]


@pytest.mark.parametrize("precision", [7, -1, True, "2"])
def test_basis_precision_must_be_a_small_integer(precision):
    rule = bands({"points": "1"}, basis="yoy_decline_pct", basis_precision=precision, **YOY_ZERO)
    assert messages_of(rule, target_kind="year_on_year") == ["“basis_precision”须是 0 到 6 的整数"]


def test_year_on_year_basis_on_a_fixed_target_indicator_is_rejected():
    rule = bands({"points": "1"}, basis="yoy_decline_pct", **YOY_ZERO)
    assert messages_of(rule, target_kind="fixed") == ["按同比降幅分段的规则，考核值类型须为“同比”"]


def test_year_on_year_basis_must_say_what_a_zero_previous_year_scores():
    msgs = messages_of(bands({"points": "1"}, basis="yoy_decline_pct"), target_kind="year_on_year")
    assert msgs == ["上年同期为0时缺少“if_current_zero”", "上年同期为0时缺少“otherwise”"]


def test_ratio_to_target_must_say_what_a_zero_target_scores():
    msgs = messages_of(bands({"points": "1"}, basis="ratio_to_target"), target_kind="provincial_average")
    assert msgs == ["按与考核值之比分段的规则须写明考核值为0时的得分(“zero_target_points”)"]


def test_ratio_to_target_cannot_be_used_year_on_year():
    rule = bands({"points": "1"}, basis="ratio_to_target", zero_target_points="1")
    assert messages_of(rule, target_kind="year_on_year") == ["同比指标须使用按同比降幅分段的规则"]


def test_year_on_year_indicator_needs_a_bands_rule():
    assert messages_of(steps(), target_kind="year_on_year") == ["同比指标须使用按同比降幅分段的规则"]


def test_year_on_year_indicator_banded_on_the_plain_value_is_rejected():
    assert messages_of(bands({"points": "1"}, basis="value"), target_kind="year_on_year") == [
        "同比指标须使用按同比降幅分段的规则"
    ]


def test_unknown_target_kind_is_rejected():
    assert messages_of(steps(), target_kind="median") == ["考核值类型只能是 fixed、provincial_average、year_on_year 之一"]


def test_two_part_rule_without_a_second_target_is_rejected():
    rule = {"kind": "two_part", "penalty": "1", "penalty2": "1"}
    assert messages_of(rule, has_target2=False) == ["两项指标须填写第二考核值"]
    assert parse_rule(rule, has_target2=True) == TwoPartRule(Decimal(1), Decimal(1))


def test_several_problems_are_reported_together():
    below = [
        {"from": "0", "to": "5", "step": 0.5, "points": "0.1"},
        {"from": "6", "step": "0", "points": "0.2"},
    ]
    msgs = messages_of(steps(below=below), target_kind="year_on_year")
    assert msgs == [
        '未达标扣分档第1档的“step”须写成字符串形式的数字(如 "0.5")，以保证精确计算',
        "未达标扣分档第2档的“step”必须大于 0",
        "未达标扣分档第2档应从 5 开始(各档须首尾相接)，现为 6",
        "同比指标须使用按同比降幅分段的规则",
    ]


def test_several_band_problems_are_reported_together():
    rule = bands(
        {"min": "0", "max": "1", "points": "10"},
        {"min": "1", "min_inclusive": False, "max": "2", "points": 5.0},
        {"min": "3", "points": "0"},
    )
    msgs = messages_of(rule)
    assert msgs == ['第2段的“points”须写成字符串形式的数字(如 "0.5")，以保证精确计算']
    # Once every band can be read, the layout problems are all listed.
    rule["bands"][1]["points"] = "5"
    assert messages_of(rule) == [
        "第1段须不设下限(覆盖所有更小的值)",
        "第1段与第2段在 1 处留有空缺",
        "第2段的上限与第3段的下限不相接",
    ]


# ── inputs ─────────────────────────────────────────────────────────────────────────────────────────


def inputs_errors(data, known=None) -> list[str]:
    with pytest.raises(RuleError) as caught:
        parse_inputs(data, known)
    return caught.value.messages


COMPONENTS = {c["code"] for c in scheme()["components"]}


def test_every_input_of_the_2023_scheme_parses_against_its_components():
    for indicator in scheme()["indicators"]:
        inputs = parse_inputs(indicator["inputs"], COMPONENTS)
        assert set(inputs.components) <= COMPONENTS


def test_missing_numerator_is_rejected():
    assert inputs_errors({"denominator": "premium_wan"}) == ["比率指标须写明“numerator”(填报项代码)"]


def test_missing_numerator_and_denominator_are_both_reported():
    assert inputs_errors({"scale": "100"}) == [
        "比率指标须写明“numerator”(填报项代码)",
        "比率指标须写明“denominator”(填报项代码)",
    ]


def test_unknown_component_is_rejected_when_the_known_ones_are_given():
    data = {"numerator": "reg_complaints", "denominator": "premium_yuan", "scale": "10000"}
    assert inputs_errors(data, COMPONENTS) == ["填报项“premium_yuan”不存在"]
    assert parse_inputs(data).denominator == "premium_yuan"  # without a list of components nothing is checked


def test_unknown_summed_component_is_rejected():
    assert inputs_errors({"sum": "complaints"}, COMPONENTS) == ["填报项“complaints”不存在"]


def test_second_part_needs_both_numerator2_and_denominator2():
    data = {"numerator": "a", "denominator": "b", "numerator2": "c"}
    assert inputs_errors(data) == ["第二项须同时写明“numerator2”和“denominator2”"]


def test_non_positive_or_float_scale_is_rejected():
    assert inputs_errors({"numerator": "a", "denominator": "b", "scale": "0"}) == ["输入的“scale”必须大于 0"]
    assert inputs_errors({"numerator": "a", "denominator": "b", "scale": 100.0}) == [
        '输入的“scale”须写成字符串形式的数字(如 "0.5")，以保证精确计算'
    ]


def test_inputs_that_are_not_an_object_are_rejected():
    assert inputs_errors(["a", "b"]) == ["输入与汇总方式必须是 JSON 对象"]


def test_shared_components_are_listed_once():
    inputs = parse_inputs(indicator_data("callback")["inputs"])
    assert inputs.components == ["callbacks_succeeded", "callbacks_due", "callbacks_online"]


def test_inputs_describe_their_formula():
    inputs = parse_inputs(indicator_data("sl_nonbank")["inputs"])
    assert inputs.describe({"sl_nonbank_passed": "合格件数", "sl_nonbank_checked": "质检件数"}) == "Σ合格件数 ÷ Σ质检件数 × 100"
    assert parse_inputs({"sum": "own_complaints"}).describe() == "Σown_complaints"


# ── year-to-date values from monthly figures ──────────────────────────────────────────────────────


def figures(*rows) -> pd.DataFrame:
    """Monthly figures: (branch, month, component, value)."""
    return pd.DataFrame([{"branch": b, "month": m, "component": c, "value": Decimal(v)} for b, m, c, v in rows])


def scheme_inputs(code) -> Inputs:
    return parse_inputs(indicator_data(code)["inputs"], COMPONENTS)


def test_window_totals_add_up_each_component_per_branch():
    totals = window_totals(
        figures(
            ("nanjing", 1, "own_complaints", "3"),
            ("nanjing", 2, "own_complaints", "4"),
            ("wuxi", 1, "own_complaints", "2"),
            ("wuxi", 1, "premium_wan", "1500.5"),
        )
    )
    assert totals.loc["nanjing", "own_complaints"] == Decimal(7)
    assert totals.loc["wuxi", "premium_wan"] == Decimal("1500.5")
    assert totals.loc["nanjing", "premium_wan"] == Decimal(0)  # nothing entered counts as 0
    assert all(isinstance(v, Decimal) for v in totals.to_numpy().ravel())


def test_window_totals_of_no_figures_are_empty():
    assert window_totals(pd.DataFrame(columns=["branch", "component", "value"])).empty


def test_year_to_date_rate_pools_the_months_instead_of_averaging_monthly_rates():
    # January 95 of 100 (95%), February 5 of 25 (20%): mean of the rates 57.5%, pooled 100 / 125 = 80%.
    totals = window_totals(
        figures(
            ("nanjing", 1, "sl_nonbank_passed", "95"),
            ("nanjing", 1, "sl_nonbank_checked", "100"),
            ("nanjing", 2, "sl_nonbank_passed", "5"),
            ("nanjing", 2, "sl_nonbank_checked", "25"),
        )
    )
    value = indicator_values(scheme_inputs("sl_nonbank"), totals).loc["nanjing", "value"]
    assert value == Decimal(80)
    assert value != Decimal("57.5")


def test_two_part_values_are_both_pooled():
    # Call-backs: Jan 100 due, 100 succeeded, 90 online (90%); Feb 300, 300, 294 (98%).
    # Online share = 384 / 400 = 96%, not the mean of 90% and 98% (94%).
    totals = window_totals(
        figures(
            ("wuxi", 1, "callbacks_due", "100"),
            ("wuxi", 1, "callbacks_succeeded", "100"),
            ("wuxi", 1, "callbacks_online", "90"),
            ("wuxi", 2, "callbacks_due", "300"),
            ("wuxi", 2, "callbacks_succeeded", "300"),
            ("wuxi", 2, "callbacks_online", "294"),
        )
    )
    values = indicator_values(scheme_inputs("callback"), totals)
    assert (values.loc["wuxi", "value"], values.loc["wuxi", "value2"]) == (Decimal(100), Decimal(96))


def test_sum_indicator_value_is_the_total():
    totals = window_totals(figures(("suzhou", 1, "own_complaints", "3"), ("suzhou", 2, "own_complaints", "4")))
    values = indicator_values(scheme_inputs("own_complaints_count"), totals)
    assert values.loc["suzhou", "value"] == Decimal(7)
    assert values.loc["suzhou", "value2"] is None


@pytest.mark.parametrize(
    "code, empty",
    [("cust_info_stock", Decimal(0)), ("claim_close_rate", Decimal(100)), ("claim_cycle_event", None)],
    ids=["no customers checked → 0%", "no claims reported → 100%", "no claims paid → no value"],
)
def test_zero_denominator_gives_the_indicators_empty_value(code, empty):
    inputs = scheme_inputs(code)
    totals = window_totals(
        figures(
            ("xuzhou", 1, inputs.numerator, "0"),
            ("xuzhou", 1, inputs.denominator, "0"),
            ("huaian", 1, inputs.numerator, "1"),
            ("huaian", 1, inputs.denominator, "4"),
        )
    )
    values = indicator_values(inputs, totals)
    xuzhou = values.loc["xuzhou", "value"]
    if empty is None:
        assert xuzhou is None
    else:
        assert xuzhou == empty
    assert values.loc["huaian", "value"] == Decimal(1) / Decimal(4) * inputs.scale  # the others are unaffected


def test_pooled_value_is_the_weighted_average_over_all_branches():
    # nanjing 80 of 100 (80%), wuxi 10 of 50 (20%): pooled 90 / 150 = 60%, the mean of the rates would be 50%.
    totals = window_totals(
        figures(
            ("nanjing", 1, "claims_decided_paid", "80"),
            ("nanjing", 1, "claims_decided", "100"),
            ("wuxi", 1, "claims_decided_paid", "10"),
            ("wuxi", 1, "claims_decided", "50"),
            ("xuzhou", 1, "claims_decided_paid", "0"),
            ("xuzhou", 1, "claims_decided", "0"),
        )
    )
    assert pooled_value(scheme_inputs("claim_pay_rate"), totals) == Decimal(60)


def test_provincial_average_of_complaints_per_100m_is_pooled():
    # 3 complaints on 100000 万元 (0.3 per 100M) and 3 on 50000 万元 (0.6): 6 / 150000 × 10000 = 0.4, not 0.45.
    totals = window_totals(
        figures(
            ("nanjing", 1, "reg_complaints", "3"),
            ("nanjing", 1, "premium_wan", "100000"),
            ("wuxi", 1, "reg_complaints", "3"),
            ("wuxi", 1, "premium_wan", "50000"),
        )
    )
    inputs = scheme_inputs("reg_complaints_per_100m")
    values = indicator_values(inputs, totals)
    assert (values.loc["nanjing", "value"], values.loc["wuxi", "value"]) == (Decimal("0.3"), Decimal("0.6"))
    assert pooled_value(inputs, totals) == Decimal("0.4")


def test_pooled_value_of_a_sum_is_the_grand_total():
    totals = window_totals(figures(("nanjing", 1, "own_complaints", "3"), ("wuxi", 2, "own_complaints", "4")))
    assert pooled_value(scheme_inputs("own_complaints_count"), totals) == Decimal(7)


def test_pooled_value_with_no_denominator_anywhere_is_the_empty_value():
    totals = window_totals(figures(("nanjing", 1, "stock_customer_issues", "0"), ("nanjing", 1, "stock_customers_checked", "0")))
    assert pooled_value(scheme_inputs("cust_info_stock"), totals) == Decimal(0)
    totals = window_totals(figures(("nanjing", 1, "event_to_pay_days", "0"), ("nanjing", 1, "claims_paid_cases", "0")))
    assert pooled_value(scheme_inputs("claim_cycle_event"), totals) is None


# ── ranking ─────────────────────────────────────────────────────────────────────────────────────────


def totals_table(rows) -> pd.DataFrame:
    """rows: (code, total, quantitative, vetoed)."""
    return pd.DataFrame(
        {
            "total": [Decimal(r[1]) for r in rows],
            "quantitative": [Decimal(r[2]) for r in rows],
            "vetoed": [r[3] for r in rows],
        },
        index=[r[0] for r in rows],
    )


def test_tied_totals_share_a_rank_and_the_next_rank_is_skipped():
    ranked = rank(
        totals_table(
            [
                ("d", "80", "50", False),
                ("b", "85", "50", False),
                ("a", "90", "50", False),
                ("c", "85", "50", False),
            ]
        )
    )
    assert list(ranked.index) == ["a", "b", "c", "d"]
    assert list(ranked["rank"]) == [1, 2, 2, 4]


def test_three_way_tie_at_the_top():
    ranked = rank(
        totals_table([("x", "90", "1", False), ("y", "90", "2", False), ("z", "90", "3", False), ("w", "70", "9", False)])
    )
    assert list(ranked["rank"]) == [1, 1, 1, 4]


def test_within_a_tie_the_higher_quantitative_score_comes_first_then_the_code():
    ranked = rank(
        totals_table(
            [
                ("a", "85", "50", False),
                ("c", "85", "55", False),
                ("b", "85", "50", False),
                ("z", "99", "10", False),
            ]
        )
    )
    assert list(ranked.index) == ["z", "c", "a", "b"]
    assert list(ranked["rank"]) == [1, 2, 2, 2]


def test_vetoed_branches_come_last_whatever_their_total():
    ranked = rank(
        totals_table(
            [
                ("e", "99", "70", True),
                ("a", "90", "60", False),
                ("b", "85", "50", False),
                ("c", "85", "55", False),
                ("d", "80", "50", False),
            ]
        )
    )
    assert list(ranked.index) == ["a", "c", "b", "d", "e"]
    assert list(ranked["rank"]) == [1, 2, 2, 4, 5]
    assert list(ranked.columns) == ["total", "quantitative", "vetoed", "rank"]


def test_vetoed_branches_are_ordered_among_themselves_by_total():
    ranked = rank(totals_table([("f", "60", "1", True), ("g", "95", "1", True), ("a", "50", "1", False)]))
    assert list(ranked.index) == ["a", "g", "f"]
    assert list(ranked["rank"]) == [1, 2, 3]
