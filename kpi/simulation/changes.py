"""The changes of a what-if simulation read from plain data (the API's JSON, the page's form, the command line).

One reader for every entry point: numbers go through core.parsing (bounded by the model column
they would be saved in), and every problem names the indicator, branch or item it is about.
Whether the codes exist in the scheme is checked by kpi.simulation.selectors against the window.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from core.errors import ApplicationError
from core.parsing import InputError, parse_decimal, parse_decimal_for
from kpi.models import Deduction, Indicator, QualitativeScore
from kpi.scoring.simulation import TIER_SIDES, BandEdge, IndicatorChange, TierEdit

MAX_INDICATOR_CHANGES = 50
MAX_OFFICE_CHANGES = 200
# Step sizes, points per step and band edges live in rule JSON as text; bounded like a target value.
RULE_NUMBER = {"max_digits": 18, "decimal_places": 6}


@dataclass(frozen=True)
class QualitativeChange:
    """A branch's score of one qualitative item, in place of the stored one."""

    branch: str
    item: str
    score: Decimal


@dataclass(frozen=True)
class DeductionChange:
    """A deduction added to a branch (or, with `replace`, in place of all its deductions)."""

    branch: str
    points: Decimal
    reason: str = ""
    replace: bool = False


@dataclass(frozen=True)
class SimulationChanges:
    """Everything a simulation changes; `version` is the scheme version to simulate instead of the one in force."""

    indicators: dict[str, IndicatorChange] = field(default_factory=dict)
    qualitative: tuple[QualitativeChange, ...] = ()
    deductions: tuple[DeductionChange, ...] = ()
    version: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.indicators or self.qualitative or self.deductions or self.version)


class SimulationError(ApplicationError):
    """Changes that cannot be simulated; `extra["errors"]` lists each problem."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors), extra={"errors": errors})
        self.errors = errors


class _Collector:
    def __init__(self):
        self.errors: list[str] = []

    def decimal(self, where: str, raw, *, column=None, allow_negative=False, positive=False) -> Decimal | None:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        if isinstance(raw, float | bool):
            self.errors.append(f"{where}：须写成字符串形式的数字(如 \"96\")，以保证精确计算")
            return None
        try:
            if column is not None:
                value = parse_decimal_for(str(raw), column, allow_negative=allow_negative)
            else:
                value = parse_decimal(str(raw), allow_negative=allow_negative, **RULE_NUMBER)
        except InputError as exc:
            self.errors.append(f"{where}：{exc.message}")
            return None
        if positive and value is not None and value <= 0:
            self.errors.append(f"{where}：须大于 0")
            return None
        return value

    def integer(self, where: str, raw, low: int, high: int) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit() or not low <= int(raw) <= high:
            self.errors.append(f"{where}：须为 {low} 至 {high} 之间的整数")
            return None
        return int(raw)

    def mapping(self, where: str, raw) -> dict:
        if not isinstance(raw, dict):
            self.errors.append(f"{where}：须为 JSON 对象")
            return {}
        return raw

    def items(self, where: str, raw, limit: int) -> list:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.errors.append(f"{where}：须为列表")
            return []
        if len(raw) > limit:
            self.errors.append(f"{where}：最多 {limit} 项")
            return []
        return raw


_field = Indicator._meta.get_field


def _indicator_change(c: _Collector, code: str, raw) -> IndicatorChange | None:
    where = f"指标 {code}"
    data = c.mapping(where, raw)
    unknown = sorted(set(data) - {"target", "base_points", "bonus_cap", "scored", "rule", "tiers", "band_edges"})
    if unknown:
        c.errors.append(f"{where}：不认识的修改项 {'、'.join(unknown)}")
    scored = data.get("scored")
    if scored is not None and not isinstance(scored, bool):
        c.errors.append(f"{where}，scored：须为 true 或 false")
    rule = data.get("rule")
    if rule is not None and not isinstance(rule, dict):
        c.errors.append(f"{where}，rule：计分规则必须是 JSON 对象")
    tiers = []
    for n, t in enumerate(c.items(f"{where}，tiers", data.get("tiers"), 20), start=1):
        t = c.mapping(f"{where}，tiers 第{n}项", t)
        side = t.get("side")
        if side not in TIER_SIDES:
            c.errors.append(f"{where}，tiers 第{n}项：side 须为 above(达标加分档)或 below(未达标扣分档)")
        tier = c.integer(f"{where}，tiers 第{n}项，tier", t.get("tier"), 1, 20)
        step = c.decimal(f"{where}，第{n}档每档大小", t.get("step"), positive=True)
        points = c.decimal(f"{where}，第{n}档每档分数", t.get("points"))
        if side in TIER_SIDES and tier is not None:
            tiers.append(TierEdit(side=side, tier=tier, step=step, points=points))
    edges = []
    for n, e in enumerate(c.items(f"{where}，band_edges", data.get("band_edges"), 20), start=1):
        e = c.mapping(f"{where}，band_edges 第{n}项", e)
        edge = c.integer(f"{where}，band_edges 第{n}项，edge", e.get("edge"), 1, 20)
        value = c.decimal(f"{where}，第{n}个分段分界", e.get("value"), allow_negative=True)
        if edge is not None and value is not None:
            edges.append(BandEdge(edge=edge, value=value))
    return IndicatorChange(
        target=c.decimal(f"{where}，考核值", data.get("target"), column=_field("target_value")),
        base_points=c.decimal(f"{where}，分值", data.get("base_points"), column=_field("base_points"), positive=True),
        bonus_cap=c.decimal(f"{where}，加分上限", data.get("bonus_cap"), column=_field("bonus_cap")),
        scored=scored if isinstance(scored, bool) else None,
        rule=rule if isinstance(rule, dict) else None,
        tiers=tuple(tiers),
        band_edges=tuple(edges),
    )



def _text(c: _Collector, where: str, raw, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit:
        c.errors.append(f"{where}：须为不超过 {limit} 个字的文字")
        return ""
    return raw.strip()


def parse_changes(data) -> SimulationChanges:
    """The changes described by `data` ({indicators: {code: {...}}, qualitative: [...], deductions: [...], version}),
    or SimulationError listing every problem."""
    c = _Collector()
    data = c.mapping("修改", data if data is not None else {})
    indicators = {}
    raw_indicators = c.mapping("indicators", data.get("indicators") or {})
    if len(raw_indicators) > MAX_INDICATOR_CHANGES:
        c.errors.append(f"indicators：最多修改 {MAX_INDICATOR_CHANGES} 个指标")
        raw_indicators = {}
    for code, raw in raw_indicators.items():
        change = _indicator_change(c, str(code)[:60], raw)
        if change is not None and change != IndicatorChange():
            indicators[str(code)] = change
    qualitative = []
    for n, q in enumerate(c.items("qualitative", data.get("qualitative"), MAX_OFFICE_CHANGES), start=1):
        q = c.mapping(f"qualitative 第{n}项", q)
        branch, item = _text(c, f"qualitative 第{n}项，branch", q.get("branch"), 60), _text(c, f"qualitative 第{n}项，item", q.get("item"), 20)
        score = c.decimal(f"定性 {branch} {item}，得分", q.get("score"), column=QualitativeScore._meta.get_field("score"))
        if not branch or not item:
            c.errors.append(f"qualitative 第{n}项：须写明 branch 和 item")
        elif score is None:
            c.errors.append(f"定性 {branch} {item}：须写明得分")
        else:
            qualitative.append(QualitativeChange(branch=branch, item=item, score=score))
    deductions = []
    for n, d in enumerate(c.items("deductions", data.get("deductions"), MAX_OFFICE_CHANGES), start=1):
        d = c.mapping(f"deductions 第{n}项", d)
        branch = _text(c, f"deductions 第{n}项，branch", d.get("branch"), 60)
        points = c.decimal(f"减分 {branch}，扣分", d.get("points"), column=Deduction._meta.get_field("points"), allow_negative=True)
        replace = d.get("replace", False)
        if not isinstance(replace, bool):
            c.errors.append(f"减分 {branch}，replace：须为 true 或 false")
        if not branch:
            c.errors.append(f"deductions 第{n}项：须写明 branch")
        elif points is None or (points >= 0 and not (replace and points == 0)):
            c.errors.append(f"减分 {branch}：扣分须为负数(replace 为 true 时可为 0，即取消该机构的减分)")
        else:
            deductions.append(DeductionChange(branch=branch, points=points, reason=_text(c, f"减分 {branch}，reason", d.get("reason"), 300),
                                              replace=bool(replace)))
    version = None
    if data.get("version") not in (None, ""):
        version = c.integer("version", data.get("version"), 1, 9999)
    if c.errors:
        raise SimulationError(c.errors)
    return SimulationChanges(indicators=indicators, qualitative=tuple(qualitative), deductions=tuple(deductions), version=version)
