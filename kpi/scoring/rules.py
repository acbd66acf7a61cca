"""Scoring rules as data: parse a rule (a JSON object) into frozen dataclasses, or say in Chinese what is wrong.

Four kinds cover the 2023 scheme and the usual variants:

- `steps`: points per started or full step of the margin above or below the target, in tiers
  (e.g. −0.1 per started day for the first 5 days over, −0.2 per started day beyond).
- `attainment`: base × min(1, value / target) (or target / value when lower is better).
- `two_part`: base minus a penalty for each of two parts that misses its target.
- `bands`: a basis (the value, its ratio to the target, or the year-on-year decline in percent) falls
  into one band; a band gives `points + slope × R(|basis − anchor| / step)` with R the identity,
  floor (full steps) or ceil (started steps).

Every score is then limited to [0, base + bonus cap] and rounded half-up to 2 decimals.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

KINDS = ("steps", "attainment", "two_part", "bands")
COUNTS = ("started", "full")
BAND_COUNTS = ("linear", "started", "full")
BASES = ("value", "ratio_to_target", "yoy_decline_pct")
TARGET_KINDS = ("fixed", "provincial_average", "year_on_year")


class RuleError(ValueError):
    """A rule that cannot be used; `messages` says each problem in Chinese."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Tier:
    start: Decimal
    end: Decimal | None
    step: Decimal
    points: Decimal
    count: str


@dataclass(frozen=True)
class StepsRule:
    above: tuple[Tier, ...]
    below: tuple[Tier, ...]
    kind: str = "steps"


@dataclass(frozen=True)
class AttainmentRule:
    kind: str = "attainment"


@dataclass(frozen=True)
class TwoPartRule:
    penalty: Decimal
    penalty2: Decimal
    kind: str = "two_part"


@dataclass(frozen=True)
class Band:
    min: Decimal | None
    max: Decimal | None
    min_inclusive: bool
    max_inclusive: bool
    points: Decimal
    slope: Decimal
    anchor: Decimal
    count: str
    step: Decimal

    def contains_text(self, x: str = "x") -> str:
        """The band as an interval, e.g. '1 ≤ x ≤ 2'."""
        left = "" if self.min is None else f"{self.min:f} {'≤' if self.min_inclusive else '<'} "
        right = "" if self.max is None else f" {'≤' if self.max_inclusive else '<'} {self.max:f}"
        return f"{left}{x}{right}" if (left or right) else f"任意 {x}"


@dataclass(frozen=True)
class BandsRule:
    basis: str
    basis_precision: int | None
    bands: tuple[Band, ...]
    zero_target_points: Decimal | None
    zero_previous_if_current_zero: Decimal | None
    zero_previous_otherwise: Decimal | None
    kind: str = "bands"


Rule = StepsRule | AttainmentRule | TwoPartRule | BandsRule


class _Reader:
    """Reads fields of a rule, collecting every problem instead of stopping at the first."""

    def __init__(self):
        self.errors: list[str] = []

    def decimal(self, data: dict, key: str, where: str, *, required=True, default=None, positive=False, nonneg=False):
        raw = data.get(key, default)
        if raw is None:
            if required:
                self.errors.append(f"{where}缺少“{key}”")
            return None
        if isinstance(raw, float) or isinstance(raw, bool):
            self.errors.append(f"{where}的“{key}”须写成字符串形式的数字(如 \"0.5\")，以保证精确计算")
            return None
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            self.errors.append(f"{where}的“{key}”不是数字：{raw!r}")
            return None
        if not value.is_finite():
            self.errors.append(f"{where}的“{key}”必须是有限数字")
            return None
        if positive and value <= 0:
            self.errors.append(f"{where}的“{key}”必须大于 0")
        if nonneg and value < 0:
            self.errors.append(f"{where}的“{key}”不能为负数")
        return value

    def choice(self, data: dict, key: str, options: tuple, where: str, default=None):
        raw = data.get(key, default)
        if raw not in options:
            self.errors.append(f"{where}的“{key}”只能是 {'、'.join(options)} 之一，现为 {raw!r}")
        return raw


def _tiers(reader: _Reader, raw, side: str) -> tuple[Tier, ...]:
    where_side = "达标后加分档" if side == "above" else "未达标扣分档"
    if not isinstance(raw, list):
        reader.errors.append(f"{where_side}(“{side}”)必须是列表")
        return ()
    tiers = []
    expected_start = Decimal(0)
    for i, item in enumerate(raw, start=1):
        where = f"{where_side}第{i}档"
        if not isinstance(item, dict):
            reader.errors.append(f"{where}必须是对象")
            continue
        start = reader.decimal(item, "from", where, default="0", nonneg=True)
        end = reader.decimal(item, "to", where, required=False)
        step = reader.decimal(item, "step", where, positive=True)
        points = reader.decimal(item, "points", where, nonneg=True)
        count = reader.choice(item, "count", COUNTS, where, default="started")
        if start is not None and start != expected_start:
            reader.errors.append(f"{where}应从 {expected_start:f} 开始(各档须首尾相接)，现为 {start:f}")
        if end is not None and start is not None and end <= start:
            reader.errors.append(f"{where}的终点必须大于起点")
        if end is None and i < len(raw):
            reader.errors.append(f"{where}没有终点，只有最后一档可以不设终点")
        expected_start = end if end is not None else expected_start
        if None not in (start, step, points):
            tiers.append(Tier(start, end, step, points, count))
    return tuple(tiers)


def _bands(reader: _Reader, raw) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        reader.errors.append("分段(“bands”)必须是非空列表")
        return ()
    bands = []
    for i, item in enumerate(raw, start=1):
        where = f"第{i}段"
        if not isinstance(item, dict):
            reader.errors.append(f"{where}必须是对象")
            continue
        lo = reader.decimal(item, "min", where, required=False)
        hi = reader.decimal(item, "max", where, required=False)
        points = reader.decimal(item, "points", where)
        slope = reader.decimal(item, "slope", where, default="0")
        anchor = reader.decimal(item, "anchor", where, required=bool(slope), default=None if slope else "0")
        count = reader.choice(item, "count", BAND_COUNTS, where, default="linear")
        step = reader.decimal(item, "step", where, default="1", positive=True)
        if lo is not None and hi is not None and lo > hi:
            reader.errors.append(f"{where}的下限大于上限")
        if None not in (points, slope, anchor, step):
            bands.append(
                Band(
                    lo, hi, bool(item.get("min_inclusive", True)), bool(item.get("max_inclusive", False)),
                    points, slope, anchor, count, step,
                )
            )
    if len(bands) == len(raw):
        if bands[0].min is not None:
            reader.errors.append("第1段须不设下限(覆盖所有更小的值)")
        if bands[-1].max is not None:
            reader.errors.append(f"第{len(bands)}段须不设上限(覆盖所有更大的值)")
        for i, (a, b) in enumerate(zip(bands, bands[1:], strict=False), start=1):
            if a.max != b.min:
                reader.errors.append(f"第{i}段的上限与第{i + 1}段的下限不相接")
            elif a.max_inclusive == b.min_inclusive:
                reader.errors.append(f"第{i}段与第{i + 1}段在 {a.max:f} 处{'重叠' if a.max_inclusive else '留有空缺'}")
    return tuple(bands)


def parse_rule(data, *, target_kind: str = "fixed", has_target2: bool = False) -> Rule:
    """The rule described by `data`, or RuleError listing everything that is wrong with it."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise RuleError(["计分规则必须是 JSON 对象"])
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleError([f"规则类型“kind”只能是 {'、'.join(KINDS)} 之一，现为 {kind!r}"])
    rule: Rule
    if kind == "steps":
        rule = StepsRule(_tiers(reader, data.get("above", []), "above"), _tiers(reader, data.get("below", []), "below"))
    elif kind == "attainment":
        rule = AttainmentRule()
    elif kind == "two_part":
        rule = TwoPartRule(
            reader.decimal(data, "penalty", "两项指标规则", nonneg=True),
            reader.decimal(data, "penalty2", "两项指标规则", nonneg=True),
        )
        if not has_target2:
            reader.errors.append("两项指标须填写第二考核值")
    else:
        basis = reader.choice(data, "basis", BASES, "分段规则")
        precision = data.get("basis_precision")
        if precision is not None and (not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 6):
            reader.errors.append("“basis_precision”须是 0 到 6 的整数")
        zero_prev = data.get("zero_previous") or {}
        rule = BandsRule(
            basis=basis,
            basis_precision=precision,
            bands=_bands(reader, data.get("bands")),
            zero_target_points=reader.decimal(data, "zero_target_points", "分段规则", required=False),
            zero_previous_if_current_zero=reader.decimal(zero_prev, "if_current_zero", "上年同期为0时", required=basis == "yoy_decline_pct"),
            zero_previous_otherwise=reader.decimal(zero_prev, "otherwise", "上年同期为0时", required=basis == "yoy_decline_pct"),
        )
        if basis == "yoy_decline_pct" and target_kind != "year_on_year":
            reader.errors.append("按同比降幅分段的规则，考核值类型须为“同比”")
        if basis == "ratio_to_target" and rule.zero_target_points is None:
            reader.errors.append("按与考核值之比分段的规则须写明考核值为0时的得分(“zero_target_points”)")
    if target_kind not in TARGET_KINDS:
        reader.errors.append(f"考核值类型只能是 {'、'.join(TARGET_KINDS)} 之一")
    elif target_kind == "year_on_year" and not (isinstance(rule, BandsRule) and rule.basis == "yoy_decline_pct"):
        reader.errors.append("同比指标须使用按同比降幅分段的规则")
    if reader.errors:
        raise RuleError(reader.errors)
    return rule


def describe_rule(rule: Rule, unit: str = "") -> str:
    """The rule in one Chinese sentence, as the office would write it in the scheme."""
    if isinstance(rule, StepsRule):
        parts = []
        for side, tiers in (("高于考核值(达标)", rule.above), ("未达标", rule.below)):
            for t in tiers:
                span = f"超出部分在 {t.start:f}–{t.end:f} 之间" if t.end is not None else (f"超出 {t.start:f} 以上部分" if t.start else "")
                how = "每满" if t.count == "full" else "每(不足按1档计)"
                sign = "加" if tiers is rule.above else "扣"
                parts.append(f"{side}{span}{how} {t.step:f}{unit} {sign} {t.points:f} 分")
        return "；".join(parts) if parts else "达标得满分"
    if isinstance(rule, AttainmentRule):
        return "得分 = 分值 × min(1, 实际值 ÷ 考核值)"
    if isinstance(rule, TwoPartRule):
        return f"两项各自考核：第一项未达标扣 {rule.penalty:f} 分，第二项未达标扣 {rule.penalty2:f} 分"
    basis = {"value": "实际值", "ratio_to_target": "实际值 ÷ 考核值", "yoy_decline_pct": "同比降幅(%)"}[rule.basis]
    return f"按{basis}分段计分：" + "；".join(f"{b.contains_text('x')} 时 {band_formula(b)} 分" for b in rule.bands)


def band_formula(band: Band, x: str = "x") -> str:
    """The band's points as a formula, e.g. '10 − 5 × (x − 2)'."""
    if not band.slope:
        return f"{band.points:f}"
    distance = f"|{x} − {band.anchor:f}|"
    if band.step != 1:
        distance = f"{distance} ÷ {band.step:f}"
    if band.count == "full":
        distance = f"⌊{distance}⌋"
    elif band.count == "started":
        distance = f"⌈{distance}⌉"
    sign = "+" if band.slope > 0 else "−"
    return f"{band.points:f} {sign} {abs(band.slope):f} × {distance}"
