"""Pages of the figures import: upload, progress, preview, confirm; the month's template and the marked workbook.

A batch is private to the user who uploaded it. The preview shows what would be created, changed and left
unchanged, and the effect on the live league table; nothing is written until the user confirms.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from branches.permissions import can_review_figures, get_branch_or_404
from core.errors import ApplicationError
from kpi.choices import SchemeStatus
from kpi.imports import selectors, services, workbook
from kpi.imports.codes import ImportCode
from kpi.imports.forms import AliasForm, TemplateForm, UploadForm
from kpi.models import FigureSource, ImportBatch, ImportStatus, Scheme
from kpi.tasks import import_prepare
from kpi.templatetags.kpi_format import ytd_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 50


def _schemes(user):
    """The published schemes the user imports into: per year, the one `import_scheme` picks for them."""
    published = Scheme.objects.filter(versions__status=SchemeStatus.PUBLISHED).distinct()
    ids = [s.pk for s in published if selectors.import_scheme(user=user, code=None, year=s.year) == s]
    return Scheme.objects.filter(pk__in=ids).order_by("-year", "code")


@login_required
def import_index(request):
    """Upload a file (or download the month's template); the user's recent imports."""
    schemes = _schemes(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, schemes=schemes)
    if request.method == "POST" and form.is_valid():
        upload, data = form.cleaned_data["file"], form.cleaned_data
        try:
            with transaction.atomic():
                batch = services.batch_create(
                    user=request.user, channel=FigureSource.IMPORT, file_name=upload.name, content=upload.read(),
                    scheme_code=data["scheme"].code if data["scheme"] else None, month=data["month"],
                )
                transaction.on_commit(lambda: import_prepare.delay(str(batch.pk)))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("kpi:import-batch", batch.pk)
    template_form = TemplateForm(initial={"scheme": schemes.first()}, schemes=schemes)
    return render(request, "kpi/imports/index.html", {
        "form": form, "template_form": template_form, "batches": selectors.batches_for(user=request.user),
    }, status=400 if request.method == "POST" else 200)


@login_required
def import_template(request):
    """The month's template: the scheme's entered components in the wide layout, the user's branches, stored values."""
    schemes = _schemes(request.user)
    form = TemplateForm(request.GET or None, schemes=schemes)
    if not form.is_valid():
        messages.error(request, "请选择考核方案和月份（如 2023-09）后再下载模板。")
        return redirect("kpi:imports")
    scheme, month = form.cleaned_data["scheme"], form.cleaned_data["month"]
    content = workbook.template_workbook(title=scheme.name, month=month, **selectors.template_data(scheme=scheme, month=month, user=request.user))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="figures-{scheme.code}-{month:%Y-%m}.xlsx"'
    return response


def _batch(request, pk) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.select_related("scheme").defer("content"), pk=pk, user=request.user)


@login_required
def import_batch(request, pk):
    """Progress while the file is read; then its preview (or its errors); after confirming, what was written."""
    batch = _batch(request, pk)
    summary = batch.summary or {}
    errors = summary.get("errors", [])
    branch_questions = {}
    if can_review_figures(request.user):
        for e in errors:
            if e["code"] in (ImportCode.UNKNOWN_BRANCH, ImportCode.AMBIGUOUS_BRANCH) and e["value"]:
                branch_questions.setdefault(e["value"], e["code"])
    effect = summary.get("effect") or {}
    context = {
        "batch": batch, "summary": summary, "errors": errors[:ERRORS_SHOWN], "more_errors": max(0, summary.get("counts", {}).get("errors", 0) - ERRORS_SHOWN),
        "effect": effect, "effect_label": ytd_label(effect["window"]) if effect.get("window") else "",
        "branch_questions": branch_questions, "branches": selectors.alias_targets(scheme=batch.scheme, user=request.user) if branch_questions else [],
        "office": can_review_figures(request.user),
    }
    return render(request, "kpi/imports/batch.html", context)


@login_required
def import_progress(request, pk):
    batch = _batch(request, pk)
    return JsonResponse({"status": batch.status, "progress": batch.progress})


@login_required
@require_POST
def import_apply(request, pk):
    """Write the previewed batch (the user confirmed it)."""
    batch = _batch(request, pk)
    try:
        batch = services.batch_apply(batch=batch, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        c = batch.summary["counts"]
        messages.success(request, f"已导入：新增 {c['created']} 项，修改 {c['changed']} 项；排名正在重新计算。")
    return redirect("kpi:import-batch", batch.pk)


@login_required
def import_errors(request, pk):
    """The uploaded workbook with every bad cell marked, and a sheet listing every problem."""
    batch = get_object_or_404(ImportBatch, pk=pk, user=request.user)
    if batch.status != ImportStatus.INVALID or batch.is_json:
        return redirect("kpi:import-batch", batch.pk)
    checked = services.batch_check(batch=batch)
    content = workbook.marked_workbook(content=bytes(batch.content), file_name=batch.file_name,
                                       errors=[e.as_dict() for e in checked.plan.errors])
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="import-errors.xlsx"'
    return response


@login_required
@require_POST
def import_alias(request, pk):
    """The office confirms which branch a name means; the same file is checked again."""
    batch = get_object_or_404(ImportBatch, pk=pk, user=request.user)
    form = AliasForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请为该名称选择一个机构。")
        return redirect("kpi:import-batch", batch.pk)
    try:
        branch = get_branch_or_404(request.user, form.cleaned_data["branch"])
        services.alias_confirm(user=request.user, name=form.cleaned_data["name"], branch=branch)
        with transaction.atomic():
            again = services.batch_create(user=request.user, channel=batch.channel, file_name=batch.file_name,
                                          content=bytes(batch.content), scheme_code=batch.scheme.code if batch.scheme else None,
                                          month=batch.chosen_month)
            transaction.on_commit(lambda: import_prepare.delay(str(again.pk)))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("kpi:import-batch", batch.pk)
    messages.success(request, f"已确认：“{form.cleaned_data['name']}”即{branch.name}，以后导入自动识别。已重新检查该文件。")
    return redirect("kpi:import-batch", again.pk)
