"""What-if: change an indicator's definition as data, and compare two ranked leagues (pure: no ORM, no Django).

An indicator's definition is the plain dict of its fields (code, target_kind, target_value,
base_points, bonus_cap, rule, inputs, …), the same data an Indicator row holds; `apply_change`
returns a changed copy, which the caller validates exactly as a saved indicator is validated.
`compare` diffs the league before and after (both from kpi.scoring.league.league_assemble).
"""

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from kpi.scoring.decimals import ZERO, fmt
from kpi.scoring.league import League
from kpi.scoring.rules import RuleError, describe_rule, parse_rule

TIER_SIDES = ("above", "below")


@dataclass(frozen=True)
class TierEdit:
    """A new step size and/or points per step of one tier (1-based) of a steps rule."""

    side: str
    tier: int
    step: Decimal | None = None
    points: Decimal | None = None


@dataclass(frozen=True)
class BandEdge:
    """Move the edge between band `edge` and band `edge + 1` (1-based) of a bands rule to `value`."""

    edge: int
    value: Decimal


@dataclass(frozen=True)
class IndicatorChange:
    """What a simulation changes in one indicator; None / empty leaves a field as it is."""

    target: Decimal | None = None
    base_points: Decimal | None = None
    bonus_cap: Decimal | None = None
    scored: bool | None = None
    rule: dict | None = None
    tiers: tuple[TierEdit, ...] = ()
    band_edges: tuple[BandEdge, ...] = ()


def _text(value: Decimal) -> str:
    # Rules keep numbers as strings so they stay exact (kpi.scoring.rules refuses floats).
    return format(value, "f")


def apply_change(definition: dict, change: IndicatorChange) -> dict:
    """A copy of the definition with the change applied; RuleError names what cannot be applied.

    A target makes the indicator's target fixed at that value (as `score_sheet --target` does); a
    year-on-year indicator has no target to set.
    """
    out = copy.deepcopy(definition)
    errors = []
    if change.rule is not None:
        out["rule"] = copy.deepcopy(change.rule)
    if change.target is not None:
        if out["target_kind"] == "year_on_year":
            errors.append("同比指标以上年同期值为考核值，不能设定考核值")
        else:
            out["target_kind"], out["target_value"] = "fixed", change.target
    if change.base_points is not None:
        out["base_points"] = change.base_points
    if change.bonus_cap is not None:
        out["bonus_cap"] = change.bonus_cap
    rule = out["rule"] if isinstance(out["rule"], dict) else {}
    for edit in change.tiers:
        tiers = rule.get(edit.side) if rule.get("kind") == "steps" else None
        if not isinstance(tiers, list) or not 1 <= edit.tier <= len(tiers) or not isinstance(tiers[edit.tier - 1], dict):
            errors.append(f"计分规则没有{'达标后加分档' if edit.side == 'above' else '未达标扣分档'}第{edit.tier}档")
            continue
        if edit.step is not None:
            tiers[edit.tier - 1]["step"] = _text(edit.step)
        if edit.points is not None:
            tiers[edit.tier - 1]["points"] = _text(edit.points)
    for edge in change.band_edges:
        bands = rule.get("bands") if rule.get("kind") == "bands" else None
        if not isinstance(bands, list) or not 1 <= edge.edge < len(bands) or not all(
            isinstance(b, dict) for b in bands[edge.edge - 1: edge.edge + 1]
        ):
            errors.append(f"计分规则没有第{edge.edge}段与第{edge.edge + 1}段之间的分界")
            continue
        bands[edge.edge - 1]["max"] = _text(edge.value)
        bands[edge.edge]["min"] = _text(edge.value)
    if errors:
        raise RuleError(errors)
    return out


FIELD_LABELS = {"target_kind": "考核值类型", "target_value": "考核值", "base_points": "分值", "bonus_cap": "加分上限"}


def describe_change(before: dict | None, after: dict | None) -> list[str]:
    """What differs between two definitions of one indicator, in Chinese (empty if nothing)."""
    if before is None and after is None:
        return []
    code = (after or before)["code"]
    if after is None:
        return [f"{code}：不再计分"]
    if before is None:
        return [f"{code}：新增计分"]
    lines = []
    for key, label in FIELD_LABELS.items():
        old, new = before.get(key), after.get(key)
        if old != new and not (isinstance(old, Decimal) and isinstance(new, Decimal) and old.compare(new) == 0):
            lines.append(f"{code}：{label} {_shown(old)} → {_shown(new)}")
    if before.get("rule") != after.get("rule"):
        lines.append(f"{code}：计分规则 {_rule_text(before)} → {_rule_text(after)}")
    return lines


TARGET_KIND_LABELS = {"fixed": "固定值", "provincial_average": "全省平均", "year_on_year": "同比"}


def _shown(value) -> str:
    if value is None:
        return "—"
    return fmt(value) if isinstance(value, Decimal) else TARGET_KIND_LABELS.get(value, str(value))


def _rule_text(definition: dict) -> str:
    try:
        rule = parse_rule(definition["rule"], target_kind=definition["target_kind"],
                          has_target2=definition.get("target_value2") is not None)
    except RuleError:
        return str(definition["rule"])
    return describe_rule(rule, definition.get("unit", ""))


@dataclass(frozen=True)
class Cause:
    """One part of a branch's total that changed: an indicator's points, or its qualitative or deductions."""

    code: str
    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class BranchMove:
    """One branch's total and rank before and after, and what changed them."""

    branch: str
    total_before: Decimal
    rank_before: int
    total_after: Decimal
    rank_after: int
    vetoed: bool
    causes: tuple[Cause, ...]

    @property
    def delta(self) -> Decimal:
        return self.total_after - self.total_before

    @property
    def rank_change(self) -> int:
        """Places moved up (positive) or down (negative)."""
        return self.rank_before - self.rank_after

    @property
    def places(self) -> int:
        """How many places it moved, either way."""
        return abs(self.rank_change)


@dataclass
class Comparison:
    """The diff of two leagues: rows in the after ranking and the summaries the office reads first."""

    rows: list[BranchMove]
    before: League
    after: League
    cell_changes: dict[str, int] = field(default_factory=dict)
    tau: Decimal | None = None
    top: int = 3

    @property
    def winners(self) -> list[BranchMove]:
        return sorted((r for r in self.rows if r.rank_change > 0), key=lambda r: (-r.rank_change, r.branch))

    @property
    def losers(self) -> list[BranchMove]:
        return sorted((r for r in self.rows if r.rank_change < 0), key=lambda r: (r.rank_change, r.branch))

    @property
    def top_before(self) -> list[str]:
        return self.before.order[: self.top]

    @property
    def top_after(self) -> list[str]:
        return self.after.order[: self.top]

    @property
    def bottom_before(self) -> list[str]:
        return self.before.order[-self.top:]

    @property
    def bottom_after(self) -> list[str]:
        return self.after.order[-self.top:]

    @property
    def changed_cells(self) -> list[tuple[str, str]]:
        """(branch, indicator) of every cell whose points changed."""
        return [(r.branch, c.code) for r in self.rows for c in r.causes if c.code not in PARTS]


PARTS = {"qualitative": "定性", "deductions": "减分"}


def _points(league: League) -> dict[tuple[str, str], Decimal]:
    cells = league.window.cells
    if cells.empty:
        return {}
    return dict(zip(zip(cells["branch"], cells["indicator"], strict=True), cells["points"], strict=True))


def compare(before: League, after: League, *, top: int = 3) -> Comparison:
    """Each branch's total and rank before → after with the parts that changed, in the after ranking.

    `cell_changes` counts per indicator the branches whose points on it changed — a change of band or
    step, or of the points the band or step gives (an indicator no longer scored counts every branch
    that had points on it).
    """
    old, new = _points(before), _points(after)
    codes = list(dict.fromkeys([k[1] for k in old] + [k[1] for k in new]))
    cell_changes = dict.fromkeys(codes, 0)
    rows = []
    for branch, row in after.table.iterrows():
        was = before.table.loc[branch]
        causes = []
        for code in codes:
            a, b = old.get((branch, code), ZERO), new.get((branch, code), ZERO)
            if a != b:
                causes.append(Cause(code, a, b))
                cell_changes[code] += 1
        for part in PARTS:
            if was[part] != row[part]:
                causes.append(Cause(part, was[part], row[part]))
        causes.sort(key=lambda c: (-abs(c.delta), c.code))
        rows.append(BranchMove(branch, was.total, int(was["rank"]), row.total, int(row["rank"]), bool(row.vetoed), tuple(causes)))
    tau = kendall_tau([r.rank_before for r in rows], [r.rank_after for r in rows])
    return Comparison(rows=rows, before=before, after=after, cell_changes=cell_changes, tau=tau, top=top)


def kendall_tau(a: list, b: list) -> Decimal | None:
    """Kendall's τ-b between two rankings of the same items (ties allowed); None when either is all ties.

    τ-b = (concordant − discordant) ÷ √((n₀ − tied in a) × (n₀ − tied in b)), over all n₀ pairs.
    """
    concordant = discordant = tied_a = tied_b = pairs = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            pairs += 1
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0:
                tied_a += 1
            if db == 0:
                tied_b += 1
            if da and db:
                if (da > 0) == (db > 0):
                    concordant += 1
                else:
                    discordant += 1
    denominator = Decimal((pairs - tied_a) * (pairs - tied_b))
    if denominator == 0:
        return None
    return (Decimal(concordant - discordant) / denominator.sqrt()).quantize(Decimal("0.0001"))
