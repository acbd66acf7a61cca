"""The import pipeline's writes: a batch is created, checked (read → validate → the plan and its effect), then applied.

Every channel goes through these three services, so the web page, `import_figures` and `POST /api/v1/figures/`
give the same answer for the same file. Applying re-checks against the current data inside one transaction and
refuses when the plan differs from the one the user saw (someone changed the same months meanwhile).
Figures imported by the office are its own: the months they change are approved and locked; figures imported
by branch staff land as the month's draft, to be submitted and approved as the form's are.
"""

import datetime
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from branches.models import Branch, BranchAlias
from branches.permissions import can_edit_branch_figures, can_review_figures
from core import parsing
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.uploads import UploadError
from kpi.imports import selectors
from kpi.imports.catalogue import Catalogue, normalize
from kpi.imports.codes import ImportCode, Problem
from kpi.imports.effect import league_effect
from kpi.imports.layout import Record, SheetResult, month_of, read_sheet
from kpi.imports.reader import read_file
from kpi.imports.validation import Entry, Plan, plan, resolve
from kpi.models import (
    Component,
    FigureSource,
    ImportBatch,
    ImportStatus,
    MonthlyFigure,
    MonthlySubmission,
    SubmissionAction,
    SubmissionEvent,
    SubmissionStatus,
)
from kpi.publishing.services import months_lock_derived
from kpi.scoring.decimals import fmt
from kpi.services import recompute_for_months

logger = logging.getLogger(__name__)

# What a stored summary keeps (the page shows 50 errors; the marked workbook re-reads the file for all of them).
KEPT_ERRORS = 1000
KEPT_CHANGES = 2000
API_MAX_FIGURES = 100_000
LOCK_CHUNK = 200


@dataclass
class Checked:
    """One pass of read → validate over a batch: the sheets found, the plan, and the catalogue it used."""

    sheets: list[SheetResult]
    plan: Plan
    catalogue: Catalogue
    codes: dict[str, int] = field(default_factory=dict)


# ── read ──────────────────────────────────────────────────────────────────────────────────────────


def _json_records(content: bytes, catalogue: Catalogue) -> tuple[list[Record], list[Problem]]:
    """The API's `{"figures": [{branch, month, component, value}, …]}` as records; `ref` is `figures[i]`."""
    records, problems = [], []
    for index, item in enumerate(json.loads(content)["figures"]):
        ref = f"figures[{index}]"
        try:
            month = month_of(item["month"])
            problem = None
        except parsing.InputError:
            month, problem = None, Problem(ImportCode.BAD_MONTH, f"“{parsing.shown(item['month'])}”不是月份", ref=ref,
                                           value=str(item["month"]), expected="2023-09")
        codes = catalogue.component_matches(item["component"])
        if len(codes) != 1:
            problems.append(Problem(ImportCode.AMBIGUOUS_COLUMN if codes else ImportCode.UNKNOWN_COMPONENT,
                                    f"“{parsing.shown(item['component'])}”{'可能指多个填报项' if codes else '不是本方案的填报项'}",
                                    ref=ref, value=str(item["component"]), expected="填报项代码"))
            continue
        code = next(iter(codes))
        if code in catalogue.derived:
            problems.append(Problem(ImportCode.DERIVED_IGNORED, f"“{catalogue.component_names[code]}”由投诉记录生成，不能导入，已忽略",
                                    ref=ref, value=str(item["component"])))
            continue
        records.append(Record(ref, -1, index, str(item["branch"]), ref, month, code, item["value"], problem))
    return records, problems


def batch_check(*, batch: ImportBatch, progress=None) -> Checked:
    """Read and validate a batch against the current data; nothing is written but the batch's own summary."""
    step = progress or (lambda percent: None)
    scheme = batch.scheme
    catalogue = selectors.catalogue_for(scheme=scheme)
    content = bytes(batch.content or b"")
    sheets: list[SheetResult] = []
    result = Plan()
    step(5)
    try:
        if batch.is_json:
            records, problems = _json_records(content, catalogue)
        else:
            records, problems = [], []
            year_hint = scheme.year if scheme else None
            read = read_file(content, batch.file_name)
            while read:  # each sheet's cells are let go once its records are out: a year's CSV is a million rows
                found = read_sheet(read.pop(0), catalogue, chosen_month=batch.chosen_month, year_hint=year_hint)
                sheets.append(found)
                records.extend(found.records)
                found.values, found.records = len(found.records), []
                problems.extend(found.problems)
    except UploadError as exc:
        result.add(Problem(ImportCode.BAD_FILE, str(exc), ref=batch.file_name))
        return Checked(sheets, result, catalogue)
    step(40)
    for problem in problems:
        result.add(problem)
    values = resolve(records, catalogue, result)
    del records
    codes = dict(Branch.objects.filter(code__in={v.branch for v in values}).values_list("code", "pk"))
    state = selectors.import_state(values=values, user=batch.user, codes=codes)
    plan(values, state, catalogue, into=result)
    if not sheets and not values and not result.errors and batch.channel != FigureSource.API:
        result.add(Problem(ImportCode.NO_TABLE, "文件中没有找到可导入的数据", ref=batch.file_name))
    step(70)
    return Checked(sheets, result, catalogue, codes)


def _digest(entries: list[Entry]) -> str:
    """The plan's writes as one fingerprint: applying refuses a plan that is no longer the one shown."""
    text = "\n".join(f"{e.branch}|{e.month:%Y-%m}|{e.component}|{e.old}|{e.new}" for e in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def summary_of(checked: Checked, *, batch: ImportBatch, dry_run: bool, effect: dict | None = None) -> dict:
    """The import summary every channel answers (stored on the batch; the API returns it as is)."""
    p, names, branches = checked.plan, checked.catalogue.component_names, checked.catalogue.branch_names
    counts = {**p.counts(), "errors": len(p.errors), "warnings": len(p.warnings)}
    if p.errors:
        status = "invalid"
    elif not p.writes():
        status = "unchanged"
    else:
        status = "ready" if dry_run else "applied"
    changes = [
        {"branch": e.branch, "branch_name": branches.get(e.branch, e.branch), "month": f"{e.month:%Y-%m}", "component": e.component,
         "component_name": names.get(e.component, e.component), "old": fmt(e.old) if e.old is not None else None, "new": fmt(e.new),
         "cell": e.ref, "kind": e.kind}
        for e in p.writes()[:KEPT_CHANGES]
    ]
    return {
        "batch": str(batch.pk),
        "status": status,
        "dry_run": dry_run,
        "scheme": batch.scheme.code if batch.scheme else None,
        "file": batch.file_name,
        "sha256": batch.sha256,
        "sheets": [
            {"sheet": s.sheet, "layout": s.layout, "header_row": s.header_row + 1 if s.header_row >= 0 else None,
             "month": f"{s.month:%Y-%m}" if s.month else None, "month_source": s.month_source, "values": s.values}
            for s in checked.sheets
        ],
        "counts": counts,
        "months": p.by_month(),
        "changes": changes,
        "errors": [e.as_dict() for e in p.errors[:KEPT_ERRORS]],
        "warnings": [w.as_dict() for w in p.warnings[:KEPT_ERRORS]],
        "effect": effect or {},
        "digest": _digest(p.writes()),
    }


# ── create and check a batch ──────────────────────────────────────────────────────────────────────


def batch_create(
    *, user, channel: str, file_name: str, content: bytes, scheme_code: str | None = None,
    month: datetime.date | None = None, idempotency_key: str = "",
) -> ImportBatch:
    """Record an upload (or an API request) before it is checked; the scheme is the one named or the user's."""
    year = month.year if month else None
    scheme = selectors.import_scheme(user=user, code=scheme_code, year=year)
    if scheme_code and scheme is None:
        raise ApplicationError(f"找不到已发布的考核方案“{parsing.shown(scheme_code)}”。")
    return ImportBatch.objects.create(
        channel=channel, user=user, scheme=scheme, file_name=file_name[:200], content=content,
        sha256=hashlib.sha256(content).hexdigest(), chosen_month=month, idempotency_key=idempotency_key,
    )


def batch_prepare(*, batch: ImportBatch, dry_run: bool = True, progress=None) -> Checked:
    """Check a batch, work out its effect on the live league table, and store the summary (the preview)."""
    def step(percent):
        if progress:
            progress(percent)

    checked = batch_check(batch=batch, progress=step)
    if batch.scheme is None:
        # No scheme named and no month chosen: the file's own months say which year's scheme checks it.
        months = [e.month for e in checked.plan.entries] + [s.month for s in checked.sheets if s.month]
        scheme = selectors.import_scheme(user=batch.user, code=None, year=max(months).year) if months else None
        if scheme is not None:
            batch.scheme = scheme
            batch.save(update_fields=["scheme"])
            checked = batch_check(batch=batch, progress=step)
    effect = {}
    if checked.plan.ok and checked.plan.writes() and batch.scheme is not None:
        effect = league_effect(scheme=batch.scheme, entries=checked.plan.writes(), codes=checked.codes)
    step(95)
    batch.summary = summary_of(checked, batch=batch, dry_run=True, effect=effect)
    batch.status = ImportStatus.INVALID if checked.plan.errors else ImportStatus.READY
    batch.progress = 100
    batch.save(update_fields=["summary", "status", "progress"])
    return checked


# ── apply ─────────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def batch_apply(*, batch: ImportBatch, user) -> ImportBatch:
    """Write a checked batch all or nothing, exactly as its preview said; refused if the data changed meanwhile."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.user_id != user.pk:
        raise PermissionDeniedError("只能确认自己上传的导入。")
    if batch.status == ImportStatus.APPLIED:
        raise ConflictError("该文件已导入，未重复写入。")
    if batch.status != ImportStatus.READY:
        raise ApplicationError("该导入有错误或尚未检查完毕，不能导入。")
    checked = batch_check(batch=batch)
    if not checked.plan.ok or _digest(checked.plan.writes()) != batch.summary.get("digest"):
        raise ConflictError("预览之后，相关月份的数据已有变动（他人修改或审核），本次未写入任何数据。请重新上传以查看最新的预览。")
    entries = checked.plan.writes()
    _write(entries=entries, codes=checked.codes, user=user, batch=batch)
    summary = summary_of(checked, batch=batch, dry_run=False, effect=batch.summary.get("effect"))
    batch.summary, batch.status, batch.applied_at = summary, ImportStatus.APPLIED, timezone.now()
    batch.save(update_fields=["summary", "status", "applied_at"])
    logger.info("import %s applied: %s", batch.pk, summary["counts"])
    return batch


def source_ref(batch: ImportBatch) -> str:
    """What a written value's history says it came from: the file and its hash, or the API client."""
    if batch.is_json:
        return f"接口 {batch.user.username} 批次 {str(batch.pk)[:8]}"
    return f"{batch.file_name} sha256:{batch.sha256[:12]}"


def _write(*, entries: list[Entry], codes: dict[str, int], user, batch: ImportBatch) -> None:
    """Bulk create and update the figures (each with its history), then move every month touched as the form would."""
    office = can_review_figures(user)
    components = dict(Component.objects.values_list("code", "pk"))
    branch_ids = {codes[e.branch] for e in entries}
    months = {e.month for e in entries}
    # Serialise with the form and the reviewers on the months' rows, as every write of a month does.
    existing_subs = {(s.branch_id, s.month) for s in MonthlySubmission.objects.filter(branch_id__in=branch_ids, month__in=months)}
    touched = {(codes[e.branch], e.month) for e in entries}
    MonthlySubmission.objects.bulk_create([MonthlySubmission(branch_id=b, month=m) for b, m in touched - existing_subs])
    subs = {(s.branch_id, s.month): s for s in MonthlySubmission.objects.select_for_update().filter(branch_id__in=branch_ids, month__in=months)}
    existing = {
        (f.branch_id, f.month, f.component_id): f
        for f in MonthlyFigure.objects.filter(branch_id__in=branch_ids, month__in=months, component_id__in={components[e.component] for e in entries})
    }
    now, ref, reason = timezone.now(), source_ref(batch), f"导入：{batch.file_name}"
    source = FigureSource.API if batch.channel == FigureSource.API else FigureSource.IMPORT
    creates, updates = [], []
    changes: dict[tuple[int, datetime.date], list[dict]] = defaultdict(list)
    for e in entries:
        key = (codes[e.branch], e.month, components[e.component])
        figure = existing.get(key)
        if figure is None:
            creates.append(MonthlyFigure(branch_id=key[0], month=e.month, component_id=key[2], value=e.new, updated_by=user,
                                         source=source, source_ref=ref))
        else:
            figure.value, figure.updated_by, figure.updated_at, figure.source, figure.source_ref = e.new, user, now, source, ref
            updates.append(figure)
        changes[(key[0], e.month)].append({"component": e.component, "old": fmt(e.old) if e.old is not None else None, "new": fmt(e.new)})
    if creates:
        bulk_create_with_history(creates, MonthlyFigure, batch_size=2000, default_user=user, default_change_reason=reason)
    if updates:
        bulk_update_with_history(updates, MonthlyFigure, ["value", "updated_by", "updated_at", "source", "source_ref"],
                                 batch_size=2000, default_user=user, default_change_reason=reason)
    events, approved = [], []
    for key, month_changes in changes.items():
        sub = subs[key]
        sub.revision += 1
        if office:
            sub.status, sub.reviewed_by, sub.reviewed_at = SubmissionStatus.APPROVED, user, now
            approved.append(sub)
        events.append(SubmissionEvent(submission=sub, action=SubmissionAction.IMPORTED, actor=user, revision=sub.revision,
                                      status=sub.status, comment=f"{reason}（{ref}）"[:1000], changes=month_changes))
    MonthlySubmission.objects.bulk_update(list(subs[k] for k in changes), ["revision", "status", "reviewed_by", "reviewed_at", "updated_at"])
    SubmissionEvent.objects.bulk_create(events)
    # The months the office approves lock their complaint-derived components too, a few queries per chunk
    # (a chunk bounds the statement that names its months).
    for start in range(0, len(approved), LOCK_CHUNK):
        months_lock_derived(submissions=approved[start : start + LOCK_CHUNK], user=user)
    # a month the office's import approves locks its complaint-derived figures: more than entered figures changed
    recompute_for_months(months=months, branch_ids=branch_ids, entered_only=not approved)


# ── aliases ───────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def alias_confirm(*, user, name: str, branch: Branch) -> BranchAlias:
    """The office confirms once that a name in its sheets means this branch; imports match it from then on."""
    if not can_review_figures(user) or not can_edit_branch_figures(user, branch):
        raise PermissionDeniedError("只有省公司考核人员可以确认机构别名。")
    key = normalize(name)
    if not key or len(key) > 100:
        raise ApplicationError("别名不能为空，且不超过 100 个字。")
    alias, _ = BranchAlias.objects.update_or_create(name=key, defaults={"branch": branch, "confirmed_by": user})
    return alias
