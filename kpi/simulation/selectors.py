"""What-if simulation: the league of a window before and after changed rules, targets or office scores.

Reads only. Both leagues come from the league's own inputs (kpi.selectors.league_inputs) and its
own assembly (kpi.scoring.league.league_assemble); the simulator writes nothing — no run, no
snapshot, no figure. The base is the scheme's version in force; a draft (or any other) version
number in the changes simulates that version instead, with the changes applied on top.
"""

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import SimpleNamespace

from core.errors import ApplicationError
from kpi import selectors as kpi_selectors
from kpi.models import Scheme, SchemeVersion
from kpi.rules import indicator_definition, indicator_inputs, indicator_spec, validate_indicator
from kpi.scoring.league import DeductionEntry, League, LeagueInputs, QualitativeEntry, league_assemble
from kpi.scoring.rules import RuleError
from kpi.scoring.simulation import Comparison, IndicatorChange, apply_change, compare, describe_change
from kpi.scoring.window import ScoredIndicator
from kpi.simulation.changes import SimulationChanges, SimulationError

MAX_SENSITIVITY_VALUES = 41


@dataclass
class SimulationBase:
    """A window loaded once: the league before, and what the changes apply to (the chosen version's inputs)."""

    scheme: Scheme
    month: int
    version: SchemeVersion
    after_version: SchemeVersion
    before_inputs: LeagueInputs
    after_inputs: LeagueInputs
    before: League
    definitions: dict[str, dict]
    after_definitions: dict[str, dict]
    qualitative_items: dict[str, SimpleNamespace]
    branch_names: dict[str, str]


@dataclass
class Simulation:
    """The outcome of one simulation: the comparison, and the diff of the rules it was made with."""

    base: SimulationBase
    comparison: Comparison
    definitions: dict[str, dict]
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self):
        return self.comparison.rows

    def indicator_name(self, code: str) -> str:
        defn = self.definitions.get(code) or self.base.definitions.get(code)
        return defn["name"] if defn else {"qualitative": "定性", "deductions": "减分"}.get(code, code)


def _version(scheme: Scheme, number: int | None) -> SchemeVersion | None:
    if number is None:
        return None
    found = scheme.versions.filter(number=number).first()
    if found is None:
        raise SimulationError([f"方案“{scheme.code}”没有版本 v{number}"])
    return found


def simulation_base(*, scheme: Scheme, month: int, version: int | None = None) -> SimulationBase:
    """Load a window for simulating: the published version in force (before) and `version` (after, default the same)."""
    in_force = scheme.version_in_force()
    if in_force is None:
        raise ApplicationError("方案尚未发布，不能模拟。")
    after_version = _version(scheme, version) or in_force
    before_inputs = kpi_selectors.league_inputs(scheme=scheme, month=month, version=in_force)
    after_inputs = before_inputs
    if after_version.pk != in_force.pk:
        # Same figures and office inputs; only the version's indicators and qualitative items differ.
        other = kpi_selectors.league_inputs(scheme=scheme, month=month, version=after_version)
        after_inputs = replace(before_inputs, indicators=other.indicators, qualitative=other.qualitative)
    items = {
        q.code: SimpleNamespace(name=q.name, max_points=q.max_points, order=q.order, counts=q.counts_in(month))
        for q in after_version.qualitative_items.all()
    }
    return SimulationBase(
        scheme=scheme, month=month, version=in_force, after_version=after_version,
        before_inputs=before_inputs, after_inputs=after_inputs, before=league_assemble(before_inputs),
        definitions={i.code: indicator_definition(i) for i in in_force.indicators.order_by("order")},
        after_definitions={i.code: indicator_definition(i) for i in after_version.indicators.order_by("order")},
        qualitative_items=items,
        branch_names=dict(kpi_selectors.scored_branches(scheme=scheme).values_list("code", "name")),
    )


def _indicators(base: SimulationBase, changes: dict[str, IndicatorChange], errors: list[str]):
    """The after version's indicators with the changes applied and validated as a saved indicator is."""
    definitions = dict(base.after_definitions)
    scored = {item.spec.code: item for item in base.after_inputs.indicators}
    for code, change in changes.items():
        if code not in definitions:
            errors.append(f"方案中没有指标“{code}”")
            continue
        if change.scored is False:
            definitions.pop(code)
            scored.pop(code, None)
            continue
        try:
            changed = apply_change(definitions[code], change)
        except RuleError as exc:
            errors.extend(f"指标 {code}：{m}" for m in exc.messages)
            continue
        candidate = SimpleNamespace(**changed)
        problems = validate_indicator(candidate)
        if problems:
            errors.extend(f"指标 {code}：{m}" for messages in problems.values() for m in messages)
            continue
        definitions[code] = changed
        scored[code] = ScoredIndicator(indicator_spec(candidate), indicator_inputs(candidate))
    return definitions, tuple(scored.values())


def _office(base: SimulationBase, changes: SimulationChanges, errors: list[str]):
    """The qualitative scores and deductions with the changes applied."""
    qualitative = dict(base.after_inputs.qualitative)
    deductions = dict(base.after_inputs.deductions)
    for q in changes.qualitative:
        item = base.qualitative_items.get(q.item)
        if q.branch not in base.branch_names:
            errors.append(f"机构“{q.branch}”不在方案的考核范围内")
        elif item is None:
            errors.append(f"定性指标“{q.item}”不存在")
        elif q.score > item.max_points:
            errors.append(f"定性 {q.branch} {q.item}：得分 {q.score:f} 超过满分 {item.max_points:f}")
        elif not item.counts:
            errors.append(f"定性指标“{q.item}”仅在全年(1–12月)窗口计分")
        else:
            entry = QualitativeEntry(item=q.item, name=item.name, score=q.score, max_points=item.max_points,
                                     order=item.order, reason="模拟")
            qualitative[q.branch] = tuple(e for e in qualitative.get(q.branch, ()) if e.item != q.item) + (entry,)
    for d in changes.deductions:
        if d.branch not in base.branch_names:
            errors.append(f"机构“{d.branch}”不在方案的考核范围内")
            continue
        kept = () if d.replace else deductions.get(d.branch, ())
        added = (DeductionEntry(points=d.points, month=base.month, reason=d.reason or "模拟"),) if d.points else ()
        deductions[d.branch] = kept + added
    return qualitative, deductions


def simulation_run(*, base: SimulationBase, changes: SimulationChanges) -> Simulation:
    """The league after the changes, compared with the league before; SimulationError names every bad change."""
    if (changes.version or base.after_version.number) != base.after_version.number:
        raise ApplicationError("模拟的方案版本与已载入的不一致。")
    errors: list[str] = []
    definitions, indicators = _indicators(base, changes.indicators, errors)
    qualitative, deductions = _office(base, changes, errors)
    if errors:
        raise SimulationError(errors)
    # A target set in the simulation replaces the office's override of that window.
    overrides = {k: v for k, v in base.after_inputs.overrides.items()
                 if not (k in changes.indicators and changes.indicators[k].target is not None)}
    after_inputs = replace(base.after_inputs, indicators=indicators, overrides=overrides,
                           qualitative=qualitative, deductions=deductions)
    after = league_assemble(after_inputs)
    notes = [line for code in dict.fromkeys([*base.definitions, *definitions])
             for line in describe_change(base.definitions.get(code), definitions.get(code))]
    return Simulation(base=base, comparison=compare(base.before, after), definitions=definitions, notes=notes)


def simulate(*, scheme: Scheme, month: int, changes: SimulationChanges) -> Simulation:
    """Load the window and run one simulation."""
    return simulation_run(base=simulation_base(scheme=scheme, month=month, version=changes.version), changes=changes)


@dataclass
class Sensitivity:
    """Each branch's rank (and total) for each value of one indicator's target."""

    code: str
    values: list[Decimal]
    ranks: dict[str, list[int]]
    totals: dict[str, list[Decimal]]


def sensitivity_values(start: Decimal, stop: Decimal, step: Decimal) -> list[Decimal]:
    """start, start + step, … up to stop; at most MAX_SENSITIVITY_VALUES values."""
    if step <= 0 or stop < start:
        raise SimulationError(["敏感性分析：终点须不小于起点，步长须大于 0"])
    count = int((stop - start) / step) + 1
    if count > MAX_SENSITIVITY_VALUES:
        raise SimulationError([f"敏感性分析最多 {MAX_SENSITIVITY_VALUES} 个取值，现为 {count} 个，请加大步长"])
    return [start + step * n for n in range(count)]


def simulation_sensitivity(*, base: SimulationBase, changes: SimulationChanges, code: str, values: list[Decimal]) -> Sensitivity:
    """Move one indicator's target across `values` (the other changes held) and record each branch's rank."""
    ranks = {b: [] for b in base.before_inputs.branches}
    totals = {b: [] for b in base.before_inputs.branches}
    for value in values:
        indicator_changes = dict(changes.indicators)
        indicator_changes[code] = replace(indicator_changes.get(code, IndicatorChange()), target=value)
        table = simulation_run(base=base, changes=replace(changes, indicators=indicator_changes)).comparison.after.table
        for branch, row in table.iterrows():
            ranks[branch].append(int(row["rank"]))
            totals[branch].append(row.total)
    return Sensitivity(code=code, values=values, ranks=ranks, totals=totals)


def simulation_backtest(*, scheme: Scheme, month: int, changes: SimulationChanges) -> list[tuple[int, Simulation]]:
    """The same changes over every window 1月 … 1–month月 of the scheme's year."""
    return [(m, simulate(scheme=scheme, month=m, changes=changes)) for m in range(1, month + 1)]
