"""Score indicators over whole tables of branches, explain every point, and rank totals.

Input tables are pandas DataFrames indexed by branch label with object columns of Decimal
(`value`, `value2`, `previous`; None where missing). Scores use the exact value (Σ numerator /
Σ denominator at full Decimal precision); the league table prints it rounded to the indicator's
display precision, as the office's own sheets do.
"""

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from kpi.scoring.decimals import ONE, ZERO, ceil_nonneg, clip, floor_nonneg, fmt, round_half_up
from kpi.scoring.rules import AttainmentRule, BandsRule, Rule, StepsRule, Tier, TwoPartRule, band_formula, describe_rule

SCORE_PLACES = 2
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class IndicatorSpec:
    """What the engine needs of one indicator: its target, points and rule."""

    code: str
    name: str
    precision: int
    direction: str
    target_kind: str
    base: Decimal
    bonus_cap: Decimal
    rule: Rule
    target: Decimal | None = None
    target2: Decimal | None = None
    unit: str = ""

    @property
    def max_points(self) -> Decimal:
        return self.base + self.bonus_cap

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"


def is_missing(v) -> bool:
    """A missing value as pandas leaves it: None or NaN."""
    return v is None or (isinstance(v, float) and v != v)  # None or NaN


def _present(s: pd.Series) -> pd.Series:
    """An object column with None (never NaN) where a value is missing."""
    return pd.Series([None if is_missing(v) else v for v in s.tolist()], index=s.index, dtype=object)


def _margin(spec: IndicatorSpec, v: pd.Series, target: Decimal) -> pd.Series:
    return (v - target) if spec.higher_is_better else (target - v)


def _tier_steps(tiers: tuple[Tier, ...], a: pd.Series) -> list[pd.Series]:
    """For each tier, how many steps of it the distance `a` (≥ 0) covers."""
    out = []
    for t in tiers:
        part = clip(a - t.start, lower=ZERO, upper=None if t.end is None else t.end - t.start)
        ratio = part / t.step
        out.append(floor_nonneg(ratio) if t.count == "full" else ceil_nonneg(ratio))
    return out


def _tier_lines(tiers, steps, i, sign) -> tuple[Decimal, list[str]]:
    total, lines = ZERO, []
    for n, (t, s) in enumerate(zip(tiers, steps, strict=False), start=1):
        k = s[i]
        pts = k * t.points
        total += pts
        if k:
            how = "满" if t.count == "full" else "(不足按1档计)"
            span = f"{t.start:f}–{t.end:f}" if t.end is not None else f"{t.start:f} 以上"
            lines.append(f"第{n}档({span}，每{how} {t.step:f})：{fmt(k)} 档 × {t.points:f} = {sign}{fmt(pts)} 分")
    return total, lines


def _steps(spec: IndicatorSpec, rule: StepsRule, df: pd.DataFrame, target: Decimal):
    v = df["value"]
    m = _margin(spec, v, target)
    met = m >= ZERO
    a = m.abs()
    up, down = _tier_steps(rule.above, a), _tier_steps(rule.below, a)
    up_pts = sum((s * t.points for s, t in zip(up, rule.above, strict=False)), pd.Series(ZERO, index=df.index, dtype=object))
    down_pts = sum((s * t.points for s, t in zip(down, rule.below, strict=False)), pd.Series(ZERO, index=df.index, dtype=object))
    raw = (spec.base + up_pts).where(met, spec.base - down_pts)
    v, m, met, a = v.tolist(), m.tolist(), met.tolist(), a.tolist()
    up, down = [s.tolist() for s in up], [s.tolist() for s in down]

    def explain(i):
        word = "高于" if spec.higher_is_better else "低于"
        lhs = f"{fmt(v[i])} − {fmt(target)}" if spec.higher_is_better else f"{fmt(target)} − {fmt(v[i])}"
        if met[i]:
            total, lines = _tier_lines(rule.above, up, i, "+")
            head = f"达标：{word}考核值 {fmt(a[i])}（{lhs}）"
            if not rule.above:
                return [head, f"达标得分值 {fmt(spec.base)} 分"]
            return [head, *lines, f"{fmt(spec.base)} + {fmt(total)} = {fmt(spec.base + total)}"]
        total, lines = _tier_lines(rule.below, down, i, "−")
        head = f"未达标：差 {fmt(a[i])}（{lhs} = {fmt(m[i])}）"
        return [head, *lines, f"{fmt(spec.base)} − {fmt(total)} = {fmt(spec.base - total)}"]

    return raw, explain


def _per_row(target, index) -> pd.Series:
    """One target for every row, or already a column of them (kpi.scoring.window.score_windows)."""
    return target if isinstance(target, pd.Series) else pd.Series([target] * len(index), index=index, dtype=object)


def attainment_ratio(spec: IndicatorSpec, v: pd.Series, target) -> pd.Series:
    """value ÷ target (target ÷ value when lower is better; 1 when either is 0) at Decimal precision; `target`
    one Decimal or a column of them.

    Both engines take this quotient from here, so they see the same rounded Decimal (kpi.scoring.exact)."""
    t = _per_row(target, v.index)
    positive = t > ZERO
    t = t.where(positive, ONE)
    if spec.higher_is_better:
        ratio = v / t
    else:
        ratio = (t / v.where(v != ZERO, t)).where(v != ZERO, ONE)
    return ratio.where(positive, ONE)


def _attainment(spec: IndicatorSpec, rule: AttainmentRule, df: pd.DataFrame, target: Decimal):
    v = df["value"]
    ratio = attainment_ratio(spec, v, target)
    capped = clip(ratio, upper=ONE)
    raw = spec.base * capped
    v, ratio, raw_l = v.tolist(), ratio.tolist(), raw.tolist()

    def explain(i):
        frac = f"{fmt(v[i])} ÷ {fmt(target)}" if spec.higher_is_better else f"{fmt(target)} ÷ {fmt(v[i])}"
        return [
            f"达成率 = {frac} = {fmt(ratio[i], 6)}",
            f"{fmt(spec.base)} × min(1, {fmt(ratio[i], 6)}) = {fmt(raw_l[i], 6)}",
        ]

    return raw, explain


def _two_part(spec: IndicatorSpec, rule: TwoPartRule, df: pd.DataFrame, target: Decimal):
    v, v2 = df["value"], df["value2"]
    miss1 = _margin(spec, v, target) < ZERO
    miss2 = _margin(spec, v2, spec.target2) < ZERO
    raw = spec.base - (miss1.astype(object) * rule.penalty) - (miss2.astype(object) * rule.penalty2)
    v, v2, miss1, miss2, raw_l = v.tolist(), v2.tolist(), miss1.tolist(), miss2.tolist(), raw.tolist()

    def explain(i):
        lines = []
        for n, (val, tgt, miss, pen) in enumerate(
            ((v[i], target, miss1[i], rule.penalty), (v2[i], spec.target2, miss2[i], rule.penalty2)),
            start=1,
        ):
            state = f"未达标，扣 {fmt(pen)} 分" if miss else "达标"
            lines.append(f"第{n}项：{fmt(val)}，考核值 {fmt(tgt)}，{state}")
        lines.append(f"{fmt(spec.base)} − {fmt(rule.penalty * miss1[i] + rule.penalty2 * miss2[i])} = {fmt(raw_l[i])}")
        return lines

    return raw, explain


def _band_points(rule: BandsRule, x: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Points from the band each basis value falls in, and the band's index."""
    raw = pd.Series(ZERO, index=x.index, dtype=object)
    which = pd.Series(-1, index=x.index)
    for n, b in enumerate(rule.bands):
        inside = pd.Series(True, index=x.index)
        if b.min is not None:
            inside &= (x >= b.min) if b.min_inclusive else (x > b.min)
        if b.max is not None:
            inside &= (x <= b.max) if b.max_inclusive else (x < b.max)
        inside &= which < 0
        distance = (x - b.anchor).abs() / b.step
        if b.count == "full":
            distance = floor_nonneg(distance)
        elif b.count == "started":
            distance = ceil_nonneg(distance)
        raw = (b.points + b.slope * distance).where(inside, raw)
        which = which.where(~inside, n)
    return raw, which


BASIS_TEXT = {
    "value": "实际值 x = {v}",
    "ratio_to_target": "x = 实际值 ÷ 考核值 = {v} ÷ {t} = {x}",
    "yoy_decline_pct": "同比降幅 x = (上年同期 {p} − 本期 {v}) ÷ {p} × 100 = {x}%",
}


def band_basis(rule: BandsRule, df: pd.DataFrame, target) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The basis x each row is banded on, at Decimal precision, and which rows score a special case instead
    (target 0, previous year 0) with what. Both engines take x from here (kpi.scoring.exact)."""
    v = df["value"]
    special = pd.Series(False, index=df.index)
    special_pts = pd.Series(ZERO, index=df.index, dtype=object)
    if rule.basis == "value":
        x = v
    elif rule.basis == "ratio_to_target":
        t = _per_row(target, df.index)
        zero = t == ZERO
        special = zero.astype(bool)
        special_pts = special_pts.where(~special, rule.zero_target_points)
        x = (v / t.where(~special, ONE)).where(~special, ZERO)
    else:
        prev = df["previous"]
        zero_prev = prev == ZERO
        safe_prev = prev.where(~zero_prev, ONE)
        x = (safe_prev - v) / safe_prev * HUNDRED
        if rule.basis_precision is not None:
            x = round_half_up(x, rule.basis_precision)
        special = zero_prev
        special_pts = pd.Series(rule.zero_previous_otherwise, index=df.index, dtype=object).where(
            v != ZERO, rule.zero_previous_if_current_zero
        )
    return x, special, special_pts


def _bands(spec: IndicatorSpec, rule: BandsRule, df: pd.DataFrame, target: Decimal | None):
    v = df["value"]
    x, special, special_pts = band_basis(rule, df, target)
    basis_text = BASIS_TEXT[rule.basis]
    band_raw, which = _band_points(rule, x)
    raw = special_pts.where(special, band_raw)
    prev = df["previous"].tolist()
    v, x, which, special, special_pts, raw_l = v.tolist(), x.tolist(), which.tolist(), special.tolist(), special_pts.tolist(), raw.tolist()

    def explain(i):
        if special[i]:
            why = "考核值为 0" if rule.basis == "ratio_to_target" else "上年同期为 0"
            return [f"{why}，按规则得 {fmt(special_pts[i])} 分"]
        xs = fmt(x[i], 6) if rule.basis == "ratio_to_target" else fmt(x[i])
        band = rule.bands[which[i]]
        return [
            basis_text.format(v=fmt(v[i]), t=fmt(target), p=fmt(prev[i]), x=xs),
            f"落在 {band.contains_text('x')} 段：{band_formula(band)}",
            f"{band_formula(band, xs)} = {fmt(raw_l[i], 6)} 分",
        ]

    return raw, explain


_KINDS = {StepsRule: _steps, AttainmentRule: _attainment, TwoPartRule: _two_part, BandsRule: _bands}


def prepare(spec: IndicatorSpec, table: pd.DataFrame, target: Decimal | None):
    """The value/value2/previous columns (None where missing), the columns the rule needs, which rows have
    all of them (and a target), and the target used: what both engines start from."""
    n = len(table.index)
    columns = {
        col: [None if is_missing(v) else v for v in table[col].tolist()] if col in table else [None] * n
        for col in ("value", "value2", "previous")
    }
    df = pd.DataFrame({col: pd.Series(v, index=table.index, dtype=object) for col, v in columns.items()}, index=table.index)
    needed = ["value"]
    if isinstance(spec.rule, TwoPartRule):
        needed.append("value2")
    if spec.target_kind == "year_on_year":
        needed.append("previous")
    elif target is None:
        target = spec.target
    if target is None and spec.target_kind != "year_on_year":
        flags = [False] * n
    else:
        flags = [None not in row for row in zip(*(columns[col] for col in needed), strict=True)]
    complete = pd.Series(flags, index=table.index, dtype=bool)
    return df, needed, complete, target


def score_indicator(
    spec: IndicatorSpec, table: pd.DataFrame, target: Decimal | None = None, *, explain: bool = True
) -> pd.DataFrame:
    """Score one indicator for every row of `table`; returns value, value2, previous, target, points, explanation.

    `target` is the resolved target (fixed, overridden or the provincial average); year-on-year
    indicators compare each row with its own `previous` instead. With `explain=False` the
    explanation column is None (the points are the same).
    """
    df, needed, complete, target = prepare(spec, table, target)
    points = pd.Series(ZERO, index=df.index, dtype=object)
    explanations = [None] * len(df)
    rule_text = describe_rule(spec.rule, spec.unit) if explain else None
    if complete.any():
        sub = df[complete]
        raw, explain_row = _KINDS[type(spec.rule)](spec, spec.rule, sub, target)
        limited = clip(raw, lower=ZERO, upper=spec.max_points)
        scored = round_half_up(limited, SCORE_PLACES)
        points[complete] = scored
        if explain:
            raw_l, limited_l, scored_l = raw.tolist(), limited.tolist(), scored.tolist()
            rows = [n for n, ok in enumerate(complete.tolist()) if ok]
            for i, n in enumerate(rows):
                lines = explain_row(i)
                if limited_l[i] != raw_l[i]:
                    lines.append(f"限定在 0 至 {fmt(spec.max_points)} 分之间：{fmt(limited_l[i])}")
                lines.append(f"四舍五入保留两位小数：{fmt(scored_l[i], SCORE_PLACES)} 分")
                explanations[n] = {"rule": rule_text, "steps": lines}
    if explain:
        for n in range(len(df)):
            if explanations[n] is None:
                missing = [c for c in needed if df[c].iloc[n] is None] or ["target"]
                explanations[n] = {"rule": rule_text, "steps": [f"缺少数据（{'、'.join(missing)}），得 0 分"]}
    out = df.copy()
    out["target"] = target
    out["points"] = points
    out["explanation"] = explanations
    return out


def rank(totals: pd.DataFrame) -> pd.DataFrame:
    """Order branches and give competition ranks (1, 2, 2, 4) by total; vetoed branches come last.

    `totals` has index branch code and columns total, quantitative, vetoed. Within a tie the order is
    quantitative score, then branch code; tied branches share the rank.
    """
    codes = totals.index.tolist()
    order, ranks = rank_order(codes, *(totals[c].tolist() for c in ("vetoed", "total", "quantitative")))
    df = totals.iloc[order].copy()
    df["rank"] = ranks
    return df


def rank_order(codes: list, vetoed: list, total: list, quantitative: list) -> tuple[list[int], list[int]]:
    """`rank` on plain lists: the positions of the rows in rank order, and each of those rows' rank."""
    order = sorted(range(len(codes)), key=lambda i: (bool(vetoed[i]), -total[i], -quantitative[i], codes[i]))
    ranks, prev_key = [], None
    for position, i in enumerate(order, start=1):
        key = (bool(vetoed[i]), total[i])
        ranks.append(ranks[-1] if key == prev_key else position)
        prev_key = key
    return order, ranks
