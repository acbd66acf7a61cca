"""Reads of the audit trail kept by django-simple-history: who changed what, when, old → new, and why."""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from branches.models import Branch
from branches.permissions import visible_branch_ids
from kpi.models import (
    Component,
    Deduction,
    Indicator,
    MonthlyFigure,
    Publication,
    QualitativeItem,
    QualitativeScore,
    Scheme,
    SchemeVersion,
    TargetOverride,
    Veto,
)
from kpi.templatetags.kpi_format import ytd_label

ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
# Bookkeeping columns that change with every save and say nothing to a reader.
IGNORED_FIELDS = ["created_at", "updated_at", "updated_by"]


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class AuditRow:
    """One historical record as a line of the history page."""

    at: datetime.datetime
    user: str
    action: str
    subject: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    anchor: str = ""


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"
    return str(value)


def _describe(record, previous, fields: list[str]) -> list[Change]:
    """Old → new per field: against the previous record, or every field for a creation or deletion."""
    names = {f.name: str(f.verbose_name) for f in record.instance_type._meta.fields}
    if record.history_type == "~" and previous is not None:
        return [
            Change(names.get(f, f), _text(getattr(previous, f, None)), _text(getattr(record, f, None)))
            for f in fields
            if f not in IGNORED_FIELDS and getattr(previous, f, None) != getattr(record, f, None)
        ]
    if record.history_type == "+":
        return [Change(names.get(f, f), "—", _text(getattr(record, f, None))) for f in fields]
    return [Change(names.get(f, f), _text(getattr(record, f, None)), "—") for f in fields]


def _previous_records(records) -> dict[int, object]:
    """Each record's predecessor (same object, just earlier), found among the records already loaded;
    only a record whose predecessor is not among them costs a query."""
    by_object: dict[object, list] = {}
    for r in records:
        by_object.setdefault(r.id, []).append(r)
    previous = {}
    for group in by_object.values():
        group.sort(key=lambda r: (r.history_date, r.history_id))
        for before, after in zip([None, *group], group):
            previous[after.history_id] = before
    for r in records:
        if previous[r.history_id] is None and r.history_type == "~":
            previous[r.history_id] = r.prev_record
    return previous


def _rows(records, fields: list[str], subject) -> list[AuditRow]:
    records = list(records)
    previous = _previous_records(records)
    out = []
    for r in records:
        user = r.history_user
        out.append(
            AuditRow(
                at=r.history_date,
                user=(user.get_full_name() or user.username) if user else "—",
                action=ACTIONS.get(r.history_type, r.history_type),
                subject=subject(r),
                reason=r.history_change_reason or "",
                changes=_describe(r, previous[r.history_id], fields),
            )
        )
    return out


def figure_history(*, branch: Branch, month: datetime.date) -> list[AuditRow]:
    """Every change of a branch's figures of one month, newest first."""
    names = dict(Component.objects.values_list("pk", "name"))
    codes = dict(Component.objects.values_list("pk", "code"))
    records = (
        MonthlyFigure.history.filter(branch_id=branch.pk, month=month).select_related("history_user").order_by("-history_date")
    )
    rows = _rows(records, ["value"], lambda r: names.get(r.component_id, "?"))
    for row, r in zip(rows, records):
        row.anchor = f"c-{codes.get(r.component_id, '')}"
    return rows


KINDS = {
    "figures": gettext_lazy("月度数据"),
    "qualitative": gettext_lazy("定性评分"),
    "deductions": gettext_lazy("减分项"),
    "vetoes": gettext_lazy("一票否决"),
    "overrides": gettext_lazy("考核值调整"),
    "scheme": gettext_lazy("考核方案"),
    "publications": gettext_lazy("排名发布"),
}


def _scoped(qs: QuerySet, user) -> QuerySet:
    ids = visible_branch_ids(user)
    return qs if ids is None else qs.filter(branch_id__in=ids)


def audit_rows(*, user, kind: str, branch: Branch | None = None, limit: int = 300) -> list[AuditRow]:
    """The newest changes of one kind of record that the user may see."""
    branch_names = dict(Branch.objects.values_list("pk", "name"))

    def scoped(model):
        qs = _scoped(model.history.all(), user)
        if branch is not None:
            qs = qs.filter(branch_id=branch.pk)
        return qs.select_related("history_user").order_by("-history_date")[:limit]

    if kind == "figures":
        names = dict(Component.objects.values_list("pk", "name"))
        return _rows(
            scoped(MonthlyFigure),
            ["value"],
            lambda r: f"{branch_names.get(r.branch_id)} {r.month:%Y年%-m月} {names.get(r.component_id, '?')}",
        )
    if kind == "qualitative":
        return _rows(
            scoped(QualitativeScore),
            ["score", "reason"],
            lambda r: f"{branch_names.get(r.branch_id)} {r.month}月 定性 {r.item_code}",
        )
    if kind == "deductions":
        return _rows(
            scoped(Deduction), ["points", "reason", "attachment"], lambda r: f"{branch_names.get(r.branch_id)} {r.month}月 减分项"
        )
    if kind == "vetoes":
        return _rows(scoped(Veto), ["reason", "attachment"], lambda r: f"{branch_names.get(r.branch_id)} {r.month}月 一票否决")
    if kind == "overrides":
        records = TargetOverride.history.select_related("history_user").order_by("-history_date")[:limit]
        return _rows(records, ["value", "reason"], lambda r: f"{r.indicator_code} 截至{r.month}月 考核值")
    if kind == "publications":
        records = list(Publication.history.select_related("history_user").order_by("-history_date")[:limit])
        rows = _rows(records, ["revision", "note", "reference"], lambda r: f"{ytd_label(r.month)}排名 第{r.revision}版")
        for row, r in zip(rows, records, strict=True):
            # A republication records, branch by branch, what it changed in the revision before it.
            row.changes += [
                Change(c["name"], f"{c['old_total']}（第{c['old_rank']}名）", f"{c['new_total']}（第{c['new_rank']}名）")
                for c in r.changes
            ]
        return rows
    if kind == "scheme":
        rows = _rows(
            Scheme.history.select_related("history_user").order_by("-history_date")[:limit],
            ["name", "year", "level"],
            lambda r: f"方案 {r.code}",
        )
        rows += _rows(
            SchemeVersion.history.select_related("history_user").order_by("-history_date")[:limit],
            ["status", "published_at", "notes"],
            lambda r: f"方案版本 v{r.number}",
        )
        rows += _rows(
            Indicator.history.select_related("history_user").order_by("-history_date")[:limit],
            ["name", "target_kind", "target_value", "target_value2", "base_points", "bonus_cap", "rule", "inputs", "precision"],
            lambda r: f"定量指标 {r.name}",
        )
        rows += _rows(
            QualitativeItem.history.select_related("history_user").order_by("-history_date")[:limit],
            ["name", "max_points", "year_end_only"],
            lambda r: f"定性指标 {r.code} {r.name}",
        )
        rows += _rows(
            Component.history.select_related("history_user").order_by("-history_date")[:limit],
            ["name", "unit", "definition", "source"],
            lambda r: f"填报项 {r.name}",
        )
        return sorted(rows, key=lambda r: r.at, reverse=True)[:limit]
    raise ValueError(kind)
