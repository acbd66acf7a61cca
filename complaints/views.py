"""Pages of the complaints app: case list, case page with its timeline and deadlines, intake and step forms,
the holiday calendar, the monthly publication and the derived indicators.

Views only parse input and render: scope comes from branches.permissions (through the selectors), rules
from the services. Another branch's case answers 404; a step the rules refuse shows the reason in Chinese.
"""

import datetime
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import BranchLevel
from branches.permissions import can_see_personal_data, get_branch_or_404, is_officer, visible_branches
from complaints import calendar_import, exports, forms, selectors, services, steps
from complaints import deadlines as dl
from complaints.filtersets import ComplaintFilter
from complaints.models import Complaint
from core.errors import ApplicationError
from core.events import locked_month_texts
from core.inputs import query_value
from core.parsing import InputError, parse_date, parse_month
from core.uploads import error_summary

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


# ---------------------------------------------------------------- list


def _row_class(case: Complaint) -> str:
    """Highlight by the flags selectors.with_due_flags computed with the same rules as the filters."""
    if case.overdue_now:
        return "table-danger"
    return "table-warning" if case.due_soon else ""


@login_required
def case_list(request):
    filterset = ComplaintFilter(request.GET, queryset=selectors.complaint_queryset(user=request.user), request=request)
    valid = filterset.is_valid()
    queryset = filterset.qs if valid else Complaint.objects.none()
    if request.GET.get("format") == "xlsx" and valid:  # a bad filter is shown on the page, never exported
        masker = selectors.customer_masker(user=request.user)
        rows = ((case, masker(case)) for case in queryset[:EXPORT_LIMIT].iterator(chunk_size=2000))
        return _xlsx(exports.case_list_workbook(rows, total=queryset.count(), limit=EXPORT_LIMIT), "投诉案件.xlsx")
    today = timezone.localdate()
    page = Paginator(selectors.with_due_flags(queryset, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    masker = selectors.customer_masker(user=request.user)
    rows = [{"case": case, "customer": masker(case), "css": _row_class(case)} for case in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "complaints/case_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "query": params.urlencode(),
            "due_soon_days": selectors.DUE_SOON_DAYS,
            "today": today,
        },
        status=200 if valid else 400,
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# ---------------------------------------------------------------- intake and edit


@login_required
def case_create(request):
    form = forms.IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            case = services.complaint_create(actor=request.user, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已登记 %(number)s，处理期限 %(due)s。") % {"number": case.number, "due": date_format(case.decision_due_on)},
            )
            return redirect("complaints:case-detail", pk=case.pk)
    return render(
        request, "complaints/case_form.html", {"form": form, "title": _("登记投诉")}, status=400 if form.errors else 200
    )


@login_required
def case_edit(request, pk):
    case = selectors.complaint_get(user=request.user, pk=pk)
    personal = can_see_personal_data(request.user, case.branch)
    initial = {name: getattr(case, name) for name in services.EDITABLE_FIELDS}
    initial["received_at"] = timezone.localtime(case.received_at)
    form = forms.EditForm(request.POST or None, initial=initial, personal_data=personal)
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_update(actor=request.user, case=case, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存修改。"))
            return redirect("complaints:case-detail", pk=case.pk)
    return render(
        request,
        "complaints/case_form.html",
        {"form": form, "case": case, "title": _("修改 %(number)s") % {"number": case.number}},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- the case page and its steps


def _step_form(step: steps.Step, user, case: Complaint, data=None, prefix: str | None = None):
    initial = step.initial(case) if step.initial else {}
    return forms.StepForm(data, initial=initial, prefix=prefix or step.name, step=step, user=user)


def _render_case(request, case: Complaint, bound: tuple[str, object] | None = None, status: int = 200):
    offered = []
    for name, step in steps.STEPS.items():
        if bound and bound[0] == name:
            offered.append({"name": name, "step": step, "form": bound[1], "open": True})
        elif steps.refusal(case, name) is None:
            offered.append({"name": name, "step": step, "form": _step_form(step, request.user, case), "open": False})
    deadlines = [dict(entry, key=key) for key, entry in (case.deadlines or {}).items()]
    return render(
        request,
        "complaints/case_detail.html",
        {
            "case": case,
            "customer": selectors.customer_fields(user=request.user, case=case),
            "timeline": selectors.complaint_timeline(case=case),
            "deadlines": deadlines,
            "steps": offered,
            "today": timezone.localdate(),
            "unofficial": dl.UNOFFICIAL,
            "locked_months": locked_month_texts(case),
        },
        status=status,
    )


@login_required
def case_detail(request, pk):
    return _render_case(request, selectors.complaint_get(user=request.user, pk=pk))


@login_required
@require_POST
def case_step(request, pk, step):
    case = selectors.complaint_get(user=request.user, pk=pk)
    spec = steps.get(step)
    if spec is None:
        raise Http404("没有这个操作")
    form = _step_form(spec, request.user, case, request.POST, prefix=step)
    if form.is_valid():
        try:
            steps.run(spec.name, actor=request.user, case=case, data=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(step)s：已保存。") % {"step": spec.label})
            return redirect("complaints:case-detail", pk=case.pk)
    case = selectors.complaint_get(user=request.user, pk=pk)
    return _render_case(request, case, bound=(spec.name, form), status=400)


# ---------------------------------------------------------------- holiday calendar


def _require_officer(user):
    if not is_officer(user):
        raise PermissionDenied("只有省公司考核人员或管理员可以维护放假安排。")


def _posted_date(value: str) -> datetime.date:
    try:
        return parse_date(value)
    except InputError as exc:
        raise ApplicationError(exc.message) from None


@login_required
def calendar_index(request):
    years = list(selectors.calendar_years())
    calc = forms.WorkdayCalculatorForm(request.GET or None)
    result = (
        dl.add_workdays(calc.cleaned_data["start"], calc.cleaned_data["days"], selectors.work_calendar())
        if calc.is_valid()
        else None
    )
    entered = {y.year for y in years}
    this_year = timezone.localdate().year
    missing = [y for y in range(this_year - 1, this_year + 3) if y not in entered]
    return render(
        request,
        "complaints/calendar_index.html",
        {
            "years": years,
            "calc": calc,
            "result": result,
            "missing": missing,
            "can_edit": is_officer(request.user),
            "unofficial": dl.UNOFFICIAL,
        },
    )


@login_required
def calendar_year(request, year):
    from complaints.workdays import statutory_holidays

    if not 1990 <= year <= 2199:
        raise Http404("年份超出范围")
    entry = selectors.calendar_years().filter(year=year).first()
    deleting = "delete" in request.POST
    form = forms.CalendarDayForm(request.POST if request.method == "POST" and not deleting else None, prefix="day")
    error = ""
    if request.method == "POST":
        _require_officer(request.user)
        try:
            if deleting:
                day = _posted_date(request.POST["delete"])
                services.calendar_day_delete(actor=request.user, day=day)
                messages.success(request, _("已删除 %(day)s；未办结案件的期限将重新计算。") % {"day": date_format(day)})
                return redirect("complaints:calendar-year", year=year)
            if form.is_valid():
                services.calendar_day_set(
                    actor=request.user,
                    day=form.cleaned_data["day"],
                    kind=form.cleaned_data["kind"],
                    name=form.cleaned_data["name"],
                )
                messages.success(
                    request, _("已保存 %(day)s；未办结案件的期限将重新计算。") % {"day": date_format(form.cleaned_data["day"])}
                )
                return redirect("complaints:calendar-year", year=year)
        except ApplicationError as exc:
            error = exc.message
    fallback = sorted(statutory_holidays(year).items()) if entry is None else []
    return render(
        request,
        "complaints/calendar_year.html",
        {
            "year": year,
            "entry": entry,
            "days": selectors.calendar_days(year=year) if entry else [],
            "fallback": fallback,
            "form": form,
            "error": error,
            "can_edit": is_officer(request.user),
            "unofficial": dl.UNOFFICIAL,
        },
        status=400 if error or form.errors else 200,
    )


@login_required
def calendar_upload(request):
    _require_officer(request.user)
    form = forms.CalendarImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            upload = form.cleaned_data.get("file")
            raw = calendar_import.read_file(upload) if upload else calendar_import.read_text(form.cleaned_data["text"])
        except ValueError as exc:
            errors = [str(exc)]
        else:
            rows, errors = calendar_import.validate_rows(year=year, rows=raw)
            if not errors:
                services.calendar_year_import(actor=request.user, year=year, rows=rows, notice=form.cleaned_data["notice"])
                messages.success(
                    request,
                    _("已导入 %(year)s 年放假安排 %(days)s 天；未办结案件的期限将重新计算。") % {"year": year, "days": len(rows)},
                )
                return redirect("complaints:calendar-year", year=year)
    return render(
        request,
        "complaints/calendar_import.html",
        {"form": form, "errors": error_summary(errors)},
        status=400 if errors or form.errors else 200,
    )


# ---------------------------------------------------------------- monthly publication


def _last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@login_required
def publication(request):
    try:
        month = query_value(request.GET, "month", parse_month, _last_month())
    except InputError as exc:
        context = {"data": None, "month_value": request.GET.get("month", ""), "input_error": exc.message}
        return render(request, "complaints/publication.html", context, status=400)
    data = selectors.publication_rows(user=request.user, month=month)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.publication_workbook(data), f"投诉月度公示-{month:%Y-%m}.xlsx")
    return render(request, "complaints/publication.html", {"data": data, "month_value": f"{month:%Y-%m}"})


# ---------------------------------------------------------------- derived indicators


def _pct(value: Decimal | None, *, signed: bool = False) -> str:
    """A rate the selectors already rounded (Decimal, half-up): shown as it is, never through a float."""
    if value is None:
        return "—"
    return f"{value:+}%" if signed else f"{value}%"


@login_required
def indicators(request):
    code = request.GET.get("branch")
    try:
        end = query_value(request.GET, "month_to", parse_month, _last_month())
        start = query_value(request.GET, "month_from", parse_month, end.replace(month=1))
        if start > end:
            raise InputError(_("起始月份不能晚于截止月份。"))
    except InputError as exc:
        context = {
            "rows": [],
            "input_error": exc.message,
            "month_from": request.GET.get("month_from", ""),
            "month_to": request.GET.get("month_to", ""),
            "branches": visible_branches(request.user),
            "branch_code": code or "",
            "rules": selectors.COMPONENT_RULES,
        }
        return render(request, "complaints/indicators.html", context, status=400)
    if code:
        branches = [get_branch_or_404(request.user, code)]
    else:
        visible = visible_branches(request.user)
        prefectures = list(visible.filter(level=BranchLevel.PREFECTURE))
        branches = prefectures or ([request.user.branch] if request.user.branch else list(visible[:1]))
    summaries = selectors.derived_summaries(branches=branches, start=start, end=end)
    rows = []
    for branch in branches:
        summary = summaries[branch.pk]
        t = summary["totals"]

        def link(component, b=branch, s=start, e=end):
            return (
                reverse("complaints:case-list")
                + "?"
                + selectors.derived_case_query(component=component, branch_code=b.code, start=s, end=e)
            )

        rows.append(
            {
                "branch": branch,
                "totals": t,
                "links": {c: link(c) for c in selectors.COMPONENT_RULES},
                **{name: _pct(rate) for name, rate in summary["rates"].items()},
                "overdue": summary["overdue"],
                "overdue_link": reverse("complaints:case-list")
                + "?"
                + urlencode(
                    {
                        "branch": branch.code,
                        "overdue": "true",
                        "received_from": start.isoformat(),
                        "received_to": selectors.month_end(end).isoformat(),
                    }
                ),
                "own_previous": summary["previous_own"],
                "own_previous_link": link("own_complaints", s=summary["prev_start"], e=summary["prev_end"]),
                "own_change": _pct(summary["own_change"], signed=True),
            }
        )
    return render(
        request,
        "complaints/indicators.html",
        {
            "rows": rows,
            "start": start,
            "end": end,
            "month_from": f"{start:%Y-%m}",
            "month_to": f"{end:%Y-%m}",
            "branches": visible_branches(request.user),
            "branch_code": code or "",
            "rules": selectors.COMPONENT_RULES,
        },
    )
