"""Pages of branch data entry, review and office scores. Thin: look up (404 outside the user's scope),
call one selector or service, render. Every rule lives in kpi.entries.services / selectors / validation."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from branches.permissions import (
    can_review_figures,
    can_score_qualitative,
    get_branch_or_404,
    get_scoped_object_or_404,
    visible_branch_ids,
    visible_branches,
)
from complaints.selectors import derived_case_query
from core.errors import ApplicationError, ConflictError, http_status
from kpi import selectors as kpi_selectors
from kpi.entries import selectors, services
from kpi.entries.history import KINDS, audit_rows, figure_history
from kpi.entries.preview import entries_preview
from kpi.entries.validation import figures_check, parse_figure
from kpi.models import Deduction, MonthlyFigure, MonthlySubmission, Scheme, SubmissionAction, SubmissionStatus, Veto
from kpi.scoring.decimals import fmt


def _month_arg(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def _entry_scope(request, branch_code: str, month: datetime.date):
    """The branch (404 outside the user's scope), the scheme that scores it that year, and the form layout."""
    branch = get_branch_or_404(request.user, branch_code)
    if selectors.month_is_future(month):
        raise Http404("该月份尚未开始")
    scheme = selectors.entry_scheme(branch=branch, year=month.year)
    if scheme is None:
        raise Http404("该机构在该年度没有需要填报的考核方案")
    return branch, scheme, selectors.entry_layout(version=scheme.version_in_force())


def _revision(request) -> int:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return -1


# ── entries index ─────────────────────────────────────────────────────────────────────────────────


@login_required
def entries_index(request):
    years = selectors.entry_years()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = years[0] if years else None
    scheme = selectors.office_scheme(user=request.user, year=year)
    grid = selectors.year_grid(scheme=scheme, branch_ids=visible_branch_ids(request.user)) if scheme else []
    notices = selectors.notices_for(user=request.user).filter(read_at__isnull=True)[:5]
    # For a branch's own staff: the first month nobody has started, and the months not yet submitted.
    own = next((cells for b, cells in grid if b.pk == request.user.branch_id), None)
    return render(
        request,
        "kpi/entries/index.html",
        {
            "years": years,
            "year": year,
            "scheme": scheme,
            "grid": grid,
            "notices": notices,
            "statuses": SubmissionStatus,
            "is_reviewer": can_review_figures(request.user),
            "own_branch": request.user.branch if own is not None else None,
            "next_new": next((m for m, s in own if s is None), None) if own else None,
            "unsubmitted": [m for m, s in own if s in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)] if own else [],
        },
    )


# ── the monthly form ──────────────────────────────────────────────────────────────────────────────


def _cases_url(branch, month, code) -> str:
    """The complaint cases behind a derived figure, on the complaints app's case list."""
    query = derived_case_query(component=code, branch_code=branch.code, start=month, end=month)
    return f"{reverse('complaints:case-list')}?{query}"


def _themes(layout, preview, checked, raw, stored, context, errors, conflict_fields, branch=None, month=None):
    """The form's rows: each indicator with its preview and each component with its value, messages and hints."""
    field_errors, field_warnings = {}, checked.by_component("warnings")
    for p in errors or []:
        field_errors.setdefault(p.component, []).append(p.message)
    indicator_warnings = {}
    for p in checked.warnings:
        if p.indicator and not p.component:
            indicator_warnings.setdefault(p.indicator, []).append(p.message)
    themes = []
    for name, items in layout.themes:
        rows = []
        for item in items:
            code = item.indicator.code
            components = []
            for ec in item.components:
                c = ec.component.code
                components.append(
                    {
                        "entry": ec,
                        "code": c,
                        "value": raw.get(c, ""),
                        "stored": stored.get(c),
                        "last": context.last_month.get(c),
                        "derived_value": context.derived_month.get(c, Decimal(0)),
                        "errors": field_errors.get(c, []),
                        "warnings": field_warnings.get(c, []),
                        "conflict": conflict_fields.get(c),
                        "cases_url": _cases_url(branch, month, c) if ec.derived and branch is not None else "",
                    }
                )
            rows.append(
                {
                    "item": item,
                    "preview": preview.indicators[code],
                    "components": components,
                    "warnings": indicator_warnings.get(code, []),
                }
            )
        themes.append({"name": name, "indicators": rows})
    return themes


def _merge_conflict(raw: dict[str, str], error: ApplicationError) -> tuple[dict[str, str], dict[str, str]]:
    """Take others' new values where the user left the field as loaded; keep the user's where both changed."""
    merged, clashes = dict(raw), {}
    for code, old in error.extra.get("loaded", {}).items():
        new = error.extra["latest"][code]
        typed, _ = parse_figure(raw.get(code))
        was = None if old is None else Decimal(old)
        if typed == was or (typed is None and was is None):
            merged[code] = new or ""
        elif typed != (None if new is None else Decimal(new)):
            clashes[code] = new
    return merged, clashes


def _form_page(request, *, branch, scheme, layout, month, raw=None, error=None, status=200):
    submission = selectors.submission_get(branch=branch, month=month)
    stored = selectors.month_figures(branch=branch, month=month)
    figures = selectors.scheme_window_figures(scheme=scheme, month=month, branch=branch)
    context = selectors.check_context(scheme=scheme, branch=branch, month=month, figures=figures)
    revision = submission.revision
    conflict_fields = {}
    if raw is None:
        raw = {code: fmt(stored[code].value) if code in stored else "" for code in layout.entered}
    elif isinstance(error, ConflictError):
        raw, conflict_fields = _merge_conflict(raw, error)
        # The changes that clash with what this user typed come first: those are the ones to decide.
        for event in error.extra["conflict"]:
            event["changes"] = sorted(event["changes"], key=lambda c: c["component"] not in conflict_fields)
    checked = figures_check(layout=layout, context=context, raw=raw, require_all=False)
    preview = entries_preview(scheme=scheme, layout=layout, branch=branch, month=month, typed=checked.values, figures=figures)
    refusal = selectors.edit_refusal(user=request.user, branch=branch, submission=submission)
    errors = error.extra.get("errors") if error is not None else None
    ctx = {
        "branch": branch,
        "scheme": scheme,
        "month": month,
        "month_arg": _month_arg(month),
        "submission": submission,
        "status_key": submission.status if submission.revision else ("draft" if stored else None),
        "version_number": layout.version.number,
        "revision": revision,
        "themes": _themes(layout, preview, checked, raw, stored, context, errors, conflict_fields, branch, month),
        "preview": preview,
        "checked": checked,
        "error": error,
        "errors": errors,
        "field_errors": [
            p for p in (errors if errors is not None else checked.errors) if p.component and p.component != "reason"
        ],
        "general_errors": [p for p in errors or [] if not p.component or p.component == "reason"],
        "conflict": error.extra.get("conflict") if error is not None else None,
        "editable": refusal is None,
        "refusal": refusal,
        "can_submit": refusal is None and submission.status != SubmissionStatus.SUBMITTED,
        "needs_reason": submission.status == SubmissionStatus.SUBMITTED,
        "reason": request.POST.get("reason", "") if request.method == "POST" else "",
        "review_actions": selectors.review_actions(user=request.user, submission=submission),
        "actions": SubmissionAction,
        "timeline": selectors.submission_timeline(submission=submission),
        "freshness": selectors.score_freshness(scheme=scheme, month=month.month),
        "previous_month": selectors.month_previous(month),
        "next_month": (month + datetime.timedelta(days=32)).replace(day=1),
    }
    ctx["next_month_open"] = ctx["next_month"].year == month.year and not selectors.month_is_future(ctx["next_month"])
    return render(request, "kpi/entries/form.html", ctx, status=status)


@login_required
def entry_form(request, branch_code: str, month: datetime.date):
    branch, scheme, layout = _entry_scope(request, branch_code, month)
    if request.method != "POST":
        return _form_page(request, branch=branch, scheme=scheme, layout=layout, month=month)
    raw = {code: request.POST.get(f"c-{code}", "") for code in layout.entered}
    submit = request.POST.get("action") == "submit"
    try:
        result = services.figures_save(
            scheme=scheme,
            layout=layout,
            branch=branch,
            month=month,
            raw=raw,
            revision=_revision(request),
            user=request.user,
            submit=submit,
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        status = http_status(exc)
        return _form_page(request, branch=branch, scheme=scheme, layout=layout, month=month, raw=raw, error=exc, status=status)
    when = date_format(month, "YEAR_MONTH_FORMAT")
    if result.submitted:
        messages.success(
            request,
            ngettext(
                "已提交%(month)s的数据，等待省公司审核。共 %(n)s 项有变动。",
                "已提交%(month)s的数据，等待省公司审核。共 %(n)s 项有变动。",
                len(result.changes),
            )
            % {"month": when, "n": len(result.changes)},
        )
    elif result.changes:
        messages.success(
            request,
            ngettext(
                "已保存%(month)s的数据：%(n)s 项有变动（修订号 %(revision)s）。排名将随之重新计算。",
                "已保存%(month)s的数据：%(n)s 项有变动（修订号 %(revision)s）。排名将随之重新计算。",
                len(result.changes),
            )
            % {"month": when, "n": len(result.changes), "revision": result.submission.revision},
        )
    else:
        messages.info(request, gettext("没有修改，无需保存。"))
    if result.warnings:
        messages.warning(
            request,
            ngettext(
                "有 %(n)s 条提示（不影响保存），请在页面中核对。",
                "有 %(n)s 条提示（不影响保存），请在页面中核对。",
                len(result.warnings),
            )
            % {"n": len(result.warnings)},
        )
    return redirect("kpi:entry-form", branch.code, _month_arg(month))


@login_required
@require_POST
def entry_preview(request, branch_code: str, month: datetime.date):
    """The live preview (htmx): what the typed figures would score, with warnings and next-step hints."""
    branch, scheme, layout = _entry_scope(request, branch_code, month)
    raw = {code: request.POST.get(f"c-{code}", "") for code in layout.entered}
    figures = selectors.scheme_window_figures(scheme=scheme, month=month, branch=branch)
    context = selectors.check_context(scheme=scheme, branch=branch, month=month, figures=figures)
    checked = figures_check(layout=layout, context=context, raw=raw, require_all=False)
    preview = entries_preview(scheme=scheme, layout=layout, branch=branch, month=month, typed=checked.values, figures=figures)
    themes = _themes(layout, preview, checked, raw, {}, context, checked.errors, {})
    return render(
        request,
        "kpi/entries/_preview.html",
        {
            "preview": preview,
            "themes": themes,
            "checked": checked,
            "field_errors": [p for p in checked.errors if p.component],
        },
    )


@login_required
def entry_history(request, branch_code: str, month: datetime.date):
    branch, scheme, layout = _entry_scope(request, branch_code, month)
    submission = selectors.submission_get(branch=branch, month=month)
    return render(
        request,
        "kpi/entries/history.html",
        {
            "branch": branch,
            "month": month,
            "month_arg": _month_arg(month),
            "rows": figure_history(branch=branch, month=month),
            "timeline": selectors.submission_timeline(submission=submission),
            "submission": submission,
        },
    )


# ── review: return, approve, reopen, remind ───────────────────────────────────────────────────────


def _review(request, branch_code, month, step, success, **kwargs):
    branch, scheme, layout = _entry_scope(request, branch_code, month)
    try:
        step(branch=branch, month=month, user=request.user, revision=_revision(request), **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        for d in exc.extra.get("conflict", []):
            messages.info(
                request,
                gettext("%(actor)s 于 %(at)s %(action)s %(comment)s")
                % {
                    "actor": d["actor"],
                    "at": f"{timezone.localtime(d['at']):%m-%d %H:%M}",
                    "action": d["action"],
                    "comment": d["comment"],
                },
            )
    else:
        messages.success(request, success)
    return redirect("kpi:entry-form", branch.code, _month_arg(month))


@login_required
@require_POST
def entry_approve(request, branch_code: str, month: datetime.date):
    return _review(
        request,
        branch_code,
        month,
        services.submission_approve,
        gettext("已审核通过并锁定。"),
        comment=request.POST.get("comment", ""),
    )


@login_required
@require_POST
def entry_return(request, branch_code: str, month: datetime.date):
    return _review(
        request,
        branch_code,
        month,
        services.submission_return,
        gettext("已退回机构修改，并已通知该机构。"),
        comment=request.POST.get("comment", ""),
    )


@login_required
@require_POST
def entry_reopen(request, branch_code: str, month: datetime.date):
    return _review(
        request,
        branch_code,
        month,
        services.submission_reopen,
        gettext("已重新打开，机构可以更正后重新提交。"),
        reason=request.POST.get("reason", ""),
    )


def _default_month(scheme: Scheme) -> datetime.date:
    """The newest month of the scheme's year that anyone has saved, else January."""
    last = MonthlyFigure.objects.filter(month__year=scheme.year).order_by("-month").values_list("month", flat=True).first()
    subs = MonthlySubmission.objects.filter(month__year=scheme.year).order_by("-month").values_list("month", flat=True).first()
    candidates = [m for m in (last, subs) if m is not None]
    return max(candidates) if candidates else datetime.date(scheme.year, 1, 1)


def _reviewer(request):
    if not can_review_figures(request.user):
        raise PermissionDenied


@login_required
def review_home(request):
    _reviewer(request)
    scheme = kpi_selectors.scheme_default()
    if scheme is None:
        raise Http404("尚无已发布的考核方案")
    return redirect("kpi:review-month", _month_arg(_default_month(scheme)))


@login_required
def review_month(request, month: datetime.date):
    _reviewer(request)
    scheme = selectors.office_scheme(user=request.user, year=month.year)
    if scheme is None:
        raise Http404("该年度没有已发布的考核方案")
    rows = selectors.review_rows(scheme=scheme, month=month, branch_ids=visible_branch_ids(request.user))
    counts = {s: sum(1 for r in rows if r.status == s) for s in SubmissionStatus.values}
    months = [
        datetime.date(month.year, m, 1) for m in range(1, 13) if not selectors.month_is_future(datetime.date(month.year, m, 1))
    ]
    return render(
        request,
        "kpi/review/month.html",
        {
            "scheme": scheme,
            "month": month,
            "month_arg": _month_arg(month),
            "rows": rows,
            "counts": counts,
            "pending": [r for r in rows if not r.submitted],
            "months": months,
            "statuses": SubmissionStatus,
            "freshness": selectors.score_freshness(scheme=scheme, month=month.month),
        },
    )


@login_required
@require_POST
def review_remind(request, month: datetime.date):
    _reviewer(request)
    scheme = selectors.office_scheme(user=request.user, year=month.year)
    if scheme is None:
        raise Http404
    only = request.POST.get("branch")
    ids = None
    if only:
        ids = {get_branch_or_404(request.user, only).pk}
    reminded = services.notices_remind(scheme=scheme, month=month, user=request.user, branch_ids=ids)
    if reminded:
        messages.success(
            request,
            ngettext("已提醒 %(n)s 家机构：%(names)s。", "已提醒 %(n)s 家机构：%(names)s。", len(reminded))
            % {"n": len(reminded), "names": gettext("、").join(b.name for b in reminded)},
        )
    else:
        messages.info(request, gettext("所有机构均已提交，无需提醒。"))
    return redirect("kpi:review-month", _month_arg(month))


# ── notices ───────────────────────────────────────────────────────────────────────────────────────


@login_required
def notices(request):
    return render(request, "kpi/entries/notices.html", {"notices": selectors.notices_for(user=request.user)[:100]})


@login_required
@require_POST
def notice_read(request, pk: int):
    notice = get_object_or_404(selectors.notices_for(user=request.user), pk=pk)
    services.notice_mark_read(notice=notice, user=request.user)
    if notice.link and request.POST.get("follow"):
        return redirect(notice.link)
    return redirect("kpi:notices")


# ── office: qualitative scores, deductions, veto ──────────────────────────────────────────────────


def _office(request):
    if not can_score_qualitative(request.user):
        raise PermissionDenied


@login_required
def office_home(request):
    _office(request)
    scheme = kpi_selectors.scheme_default()
    if scheme is None:
        raise Http404("尚无已发布的考核方案")
    months = kpi_selectors.computed_months(scheme=scheme)
    month = datetime.date(scheme.year, months[-1] if months else 1, 1)
    return redirect("kpi:office-month", _month_arg(month))


@login_required
def office_month(request, month: datetime.date):
    _office(request)
    scheme = selectors.office_scheme(user=request.user, year=month.year)
    if scheme is None:
        raise Http404("该年度没有已发布的考核方案")
    items, rows = selectors.office_overview(scheme=scheme, month=month.month, branch_ids=visible_branch_ids(request.user))
    return render(
        request,
        "kpi/review/office_month.html",
        {
            "scheme": scheme,
            "month": month,
            "month_arg": _month_arg(month),
            "items": items,
            "rows": rows,
            "months": [datetime.date(month.year, m, 1) for m in range(1, 13)],
            "freshness": selectors.score_freshness(scheme=scheme, month=month.month),
        },
    )


def _office_scope(request, branch_code, month):
    _office(request)
    branch = get_branch_or_404(request.user, branch_code)
    scheme = selectors.entry_scheme(branch=branch, year=month.year)
    if scheme is None:
        raise Http404("该机构在该年度没有考核方案")
    return branch, scheme


def _office_page(request, branch, scheme, month, *, error=None, posted=None, status=200):
    version = scheme.version_in_force()
    current = kpi_selectors.qualitative_as_of(scheme=scheme, month=month.month).get(branch.pk, {})
    errors = {p.component: p.message for p in (error.extra.get("errors", []) if error else [])}
    items = []
    # After a validation error the page shows what was typed; after a conflict, the latest stored scores.
    keep_typed = posted is not None and error is not None and not isinstance(error, ConflictError)
    for item in version.qualitative_items.order_by("order"):
        now = current.get(item.code)
        value = posted.get(f"q-{item.code}", "") if keep_typed else (fmt(now.score) if now else "")
        note = posted.get(f"n-{item.code}", "") if keep_typed else (now.reason if now else "")
        items.append(
            {
                "item": item,
                "now": now,
                "value": value,
                "note": note,
                "loaded": fmt(now.score) if now else "",
                "error": errors.get(item.code),
                "open": item.counts_in(month.month),
            }
        )
    return render(
        request,
        "kpi/review/office_branch.html",
        {
            "branch": branch,
            "scheme": scheme,
            "month": month,
            "month_arg": _month_arg(month),
            "items": items,
            "deductions": Deduction.objects.filter(scheme=scheme, branch=branch).order_by("month", "pk"),
            "veto": Veto.objects.filter(scheme=scheme, branch=branch).first(),
            "error": error,
            "errors": errors,
            "posted": posted or {},
            "freshness": selectors.score_freshness(scheme=scheme, month=month.month),
        },
        status=status,
    )


@login_required
def office_branch(request, branch_code: str, month: datetime.date):
    branch, scheme = _office_scope(request, branch_code, month)
    return _office_page(request, branch, scheme, month)


def _office_post(request, branch, scheme, month, action, success):
    try:
        action()
    except ApplicationError as exc:
        status = http_status(exc)
        return _office_page(request, branch, scheme, month, error=exc, posted=request.POST, status=status)
    messages.success(request, success)
    return redirect("kpi:office-branch", _month_arg(month), branch.code)


@login_required
@require_POST
def office_qualitative(request, branch_code: str, month: datetime.date):
    branch, scheme = _office_scope(request, branch_code, month)
    codes = [k[2:] for k in request.POST if k.startswith("q-")]
    return _office_post(
        request,
        branch,
        scheme,
        month,
        lambda: services.qualitative_scores_save(
            scheme=scheme,
            branch=branch,
            month=month.month,
            user=request.user,
            reason=request.POST.get("reason", ""),
            scores={c: request.POST.get(f"q-{c}", "") for c in codes},
            notes={c: request.POST.get(f"n-{c}", "") for c in codes},
            loaded={c: request.POST.get(f"l-{c}", "") for c in codes},
        ),
        gettext("定性评分已保存，排名将随之重新计算。"),
    )


@login_required
@require_POST
def office_deduction_add(request, branch_code: str, month: datetime.date):
    branch, scheme = _office_scope(request, branch_code, month)
    return _office_post(
        request,
        branch,
        scheme,
        month,
        lambda: services.deduction_add(
            scheme=scheme,
            branch=branch,
            month=month.month,
            points=request.POST.get("points", ""),
            reason=request.POST.get("reason", ""),
            user=request.user,
            attachment=request.FILES.get("attachment"),
        ),
        gettext("减分项已记录，排名将随之重新计算。"),
    )


@login_required
@require_POST
def office_deduction_delete(request, branch_code: str, month: datetime.date, pk: int):
    branch, scheme = _office_scope(request, branch_code, month)
    deduction = get_object_or_404(Deduction, pk=pk, scheme=scheme, branch=branch)
    return _office_post(
        request,
        branch,
        scheme,
        month,
        lambda: services.deduction_delete(
            deduction=deduction,
            reason=request.POST.get("reason", ""),
            user=request.user,
        ),
        gettext("减分项已撤销（原记录保留在变更记录中）。"),
    )


@login_required
@require_POST
def office_veto_set(request, branch_code: str, month: datetime.date):
    branch, scheme = _office_scope(request, branch_code, month)
    return _office_post(
        request,
        branch,
        scheme,
        month,
        lambda: services.veto_set(
            scheme=scheme,
            branch=branch,
            month=month.month,
            reason=request.POST.get("reason", ""),
            user=request.user,
            attachment=request.FILES.get("attachment"),
        ),
        gettext("一票否决已记录。"),
    )


@login_required
@require_POST
def office_veto_revoke(request, branch_code: str, month: datetime.date, pk: int):
    branch, scheme = _office_scope(request, branch_code, month)
    veto = get_object_or_404(Veto, pk=pk, scheme=scheme, branch=branch)
    return _office_post(
        request,
        branch,
        scheme,
        month,
        lambda: services.veto_revoke(
            veto=veto,
            reason=request.POST.get("reason", ""),
            user=request.user,
        ),
        gettext("一票否决已撤销（原记录保留在变更记录中）。"),
    )


@login_required
def attachment(request, kind: str, pk: int):
    """An attachment of a deduction or veto, to users who may see its branch (never a public media URL)."""
    model = {"deduction": Deduction, "veto": Veto}.get(kind)
    if model is None:
        raise Http404
    obj = get_scoped_object_or_404(request.user, model.objects.all(), pk=pk)
    if not obj.attachment:
        raise Http404
    return FileResponse(obj.attachment.open("rb"), as_attachment=True, filename=obj.attachment.name.rsplit("/", 1)[-1])


# ── audit history ─────────────────────────────────────────────────────────────────────────────────


@login_required
def history(request):
    kind = request.GET.get("kind", "figures")
    if kind not in KINDS:
        kind = "figures"
    branch = None
    if request.GET.get("branch"):
        branch = get_branch_or_404(request.user, request.GET["branch"])
    branches = visible_branches(request.user).exclude(level="province")
    return render(
        request,
        "kpi/review/history.html",
        {
            "kinds": KINDS,
            "kind": kind,
            "branch": branch,
            "branches": branches,
            "rows": audit_rows(user=request.user, kind=kind, branch=branch),
            "entry_link": reverse("kpi:entries"),
        },
    )
