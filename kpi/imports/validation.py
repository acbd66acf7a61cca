"""Validate: every record of an import checked, every problem collected with its cell, a stable code and what was expected.

Pure: the catalogue (names) and the state (stored values, month statuses, the user's scope) are plain data
loaded by `kpi.imports.selectors`. `resolve` turns records into values of known branches and components;
`plan` compares them with what is stored: created, changed (old → new), unchanged — and refuses what may not
change (an approved month, a submitted one for branch staff, a future month, another branch's data).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from core import parsing
from core.uploads import cell_text
from kpi.entries.validation import figure_value
from kpi.imports.catalogue import Catalogue
from kpi.imports.codes import ImportCode, Problem
from kpi.imports.layout import Record
from kpi.scoring.decimals import fmt


@dataclass(slots=True)
class Value:
    """A record that names a known branch, month and component, with its parsed value."""

    branch: str
    month: datetime.date
    component: str
    value: Decimal
    ref: str
    raw: str


@dataclass(slots=True)
class Entry:
    """One value of the plan: what is stored (None if nothing) and what the file says."""

    branch: str
    month: datetime.date
    component: str
    old: Decimal | None
    new: Decimal
    ref: str

    @property
    def kind(self) -> str:
        return "created" if self.old is None else ("unchanged" if self.old == self.new else "changed")


@dataclass
class State:
    """The stored side of an import, for the branches and months it touches."""

    stored: dict[tuple[str, datetime.date, str], Decimal]
    status: dict[tuple[str, datetime.date], str]
    revisions: dict[tuple[str, datetime.date], int]
    editable: set[str] | None  # branch codes the user may write; None: every branch
    office: bool
    this_month: datetime.date


@dataclass
class Plan:
    """What an import would do, or why it cannot: nothing is written while one error remains."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, problem: Problem) -> None:
        (self.warnings if problem.is_warning else self.errors).append(problem)

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "changed": 0, "unchanged": 0}
        for e in self.entries:
            out[e.kind] += 1
        return out

    def by_month(self) -> list[dict]:
        months: dict[datetime.date, dict[str, int]] = defaultdict(lambda: {"created": 0, "changed": 0, "unchanged": 0})
        for e in self.entries:
            months[e.month][e.kind] += 1
        return [{"month": f"{m:%Y-%m}", **c} for m, c in sorted(months.items())]

    def writes(self) -> list[Entry]:
        return [e for e in self.entries if e.kind != "unchanged"]


def parse_value(raw, *, ref: str, name: str, unit: str) -> tuple[Decimal | None, Problem | None]:
    """A cell's number by the form's own rule (kpi.entries.validation.figure_value), or its problem with the cell."""
    text = cell_text(raw)
    value, code, message = figure_value(text, unit=unit)
    if value is None and code is None:  # a blank value sent through the API (the layouts skip empty cells)
        code, message = "NOT_A_NUMBER", "数值为空"
    if code:
        expected = {"NEGATIVE": "0 或正数", "NOT_WHOLE": "整数"}.get(code, "数字，如 12 或 12.5")
        return None, Problem(ImportCode(code), f"{name}：{message}", ref=ref, value=text, expected=expected)
    return value, None


def resolve(records: list[Record], catalogue: Catalogue, plan: Plan) -> list[Value]:
    """Records of known branches and components with parsed values; every other record's problem added to the plan."""
    values: list[Value] = []
    branch_problems: dict[str, Problem] = {}
    matches: dict[str, set[str]] = {}
    for r in records:
        if r.month_problem is not None:
            if r.month_problem.ref not in branch_problems:
                branch_problems[r.month_problem.ref] = r.month_problem
                plan.add(r.month_problem)
            continue
        if r.month is None:
            continue  # the sheet's own problem (no month) is already in the plan
        if not r.branch_text:
            if r.branch_ref not in branch_problems:
                branch_problems[r.branch_ref] = Problem(ImportCode.MISSING_BRANCH, "这一行有数值但没有填写机构", ref=r.branch_ref, expected="机构代码或名称")
                plan.add(branch_problems[r.branch_ref])
            continue
        found = matches.get(r.branch_text)
        if found is None:
            found = matches[r.branch_text] = catalogue.branch_matches(r.branch_text)
        if len(found) != 1:
            if r.branch_ref not in branch_problems:
                shown = parsing.shown(r.branch_text)
                if found:
                    names = "、".join(sorted(catalogue.branch_names[c] for c in found))
                    problem = Problem(ImportCode.AMBIGUOUS_BRANCH, f"“{shown}”可能指多个机构（{names}），请改用机构代码，或由省公司确认别名",
                                      ref=r.branch_ref, value=r.branch_text, expected="机构代码")
                else:
                    problem = Problem(ImportCode.UNKNOWN_BRANCH, f"找不到机构“{shown}”：请用机构代码或名称，或由省公司确认别名",
                                      ref=r.branch_ref, value=r.branch_text, expected="机构代码或名称")
                branch_problems[r.branch_ref] = problem
                plan.add(problem)
            continue
        code = next(iter(found))
        name = catalogue.component_names[r.component]
        value, problem = parse_value(r.raw, ref=r.ref, name=name, unit=catalogue.units[r.component])
        if problem:
            plan.add(problem)
            continue
        values.append(Value(code, r.month, r.component, value, r.ref, cell_text(r.raw)))
    return values


def plan(values: list[Value], state: State, catalogue: Catalogue, into: Plan | None = None) -> Plan:
    """Compare the values with the stored state: the plan of what would be created, changed and left unchanged."""
    result = into or Plan()
    seen: dict[tuple[str, datetime.date, str], Value] = {}
    scope_refused: set[tuple[str, datetime.date]] = set()
    month_values: dict[tuple[str, datetime.date], dict[str, Value]] = defaultdict(dict)
    for v in values:
        key = (v.branch, v.month, v.component)
        name = catalogue.component_names[v.component]
        branch_name = catalogue.branch_names[v.branch]
        if key in seen:
            first = seen[key]
            result.add(Problem(ImportCode.DUPLICATE, f"{branch_name} {v.month:%Y-%m} {name} 重复出现（先见于 {first.ref}）",
                               ref=v.ref, value=v.raw, expected="每个机构、月份、填报项只出现一次"))
            continue
        seen[key] = v
        if state.editable is not None and v.branch not in state.editable:
            if (v.branch, v.month) not in scope_refused:
                scope_refused.add((v.branch, v.month))
                result.add(Problem(ImportCode.NOT_IN_SCOPE, f"您没有导入{branch_name}数据的权限", ref=v.ref, value=v.raw))
            continue
        if v.month > state.this_month:
            result.add(Problem(ImportCode.FUTURE_MONTH, f"{v.month:%Y-%m} 是未来的月份，不能导入", ref=v.ref, value=v.raw, expected=f"不晚于 {state.this_month:%Y-%m}"))
            continue
        old = state.stored.get(key)
        if old != v.value:
            status = state.status.get((v.branch, v.month))
            if status == "approved":
                result.add(Problem(ImportCode.MONTH_LOCKED,
                                   f"{branch_name} {v.month:%Y-%m} 已审核锁定，{name}不能从 {fmt(old) if old is not None else '空'} 改为 {fmt(v.value)}；"
                                   "如需更正，请省公司先重新打开该月", ref=v.ref, value=v.raw))
                continue
            if status == "submitted" and not state.office:
                result.add(Problem(ImportCode.MONTH_SUBMITTED, f"{branch_name} {v.month:%Y-%m} 已提交待审核，暂不能修改；如需修改，请省公司退回",
                                   ref=v.ref, value=v.raw))
                continue
        month_values[(v.branch, v.month)][v.component] = v
        result.entries.append(Entry(v.branch, v.month, v.component, old, v.value, v.ref))
    _check_parts(month_values, state, catalogue, result)
    return result


def _check_parts(month_values, state: State, catalogue: Catalogue, result: Plan) -> None:
    """In a month, a percentage's part may not exceed its whole: the file's values over the stored ones."""
    for (branch, month), given in month_values.items():
        for part, whole in catalogue.pairs:
            if part not in given and whole not in given:
                continue
            p = given[part].value if part in given else state.stored.get((branch, month, part))
            w = given[whole].value if whole in given else state.stored.get((branch, month, whole))
            if p is None or w is None or p <= w:
                continue
            where = given.get(part) or given[whole]
            names = catalogue.component_names
            result.add(Problem(ImportCode.PART_ABOVE_WHOLE,
                               f"{catalogue.branch_names[branch]} {month:%Y-%m}：{names[part]}（{fmt(p)}）不能大于{names[whole]}（{fmt(w)}）",
                               ref=where.ref, value=where.raw, expected=f"不大于 {fmt(w)}"))
