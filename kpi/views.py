"""Pages of the kpi app: league tables (published revisions and the live one), a branch's scores, one cell's
explanation, publishing, corrections to approved months, and the reconciliation with a published reference.

The league table's ranks and totals are the office's published result and every signed-in user sees
them; indicator values, points and explanations are branch data and are shown only within the
viewer's branch scope (branches.permissions). Branch staff see published revisions only.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from branches.permissions import can_publish_league, get_branch_or_404, is_officer
from core import cache
from core.errors import ApplicationError
from core.inputs import parse_page_number, query_value
from core.parsing import InputError
from core.spliced import Spliced
from kpi import selectors
from kpi.entries.selectors import unread_notice_count
from kpi.league.dashboard import office_dashboard
from kpi.league.exports import league_workbook
from kpi.league.selectors import (
    KEY_FORMAT,
    branch_losses,
    league_charts,
    league_rows,
    scheme_stamp,
    scope_key,
    table_key,
    window_key,
)
from kpi.models import Scheme
from kpi.outbox import pending_recompute_months
from kpi.publishing import selectors as league
from kpi.publishing import services as publishing
from kpi.reconciliation import reconcile, reference_for
from kpi.templatetags.kpi_format import ytd_label


def _scheme(code: str | None) -> Scheme:
    scheme = Scheme.objects.select_related("province").filter(code=code).first() if code else selectors.scheme_default()
    if scheme is None:
        raise Http404("尚无已发布的考核方案")
    return scheme


@login_required
def home(request):
    return redirect("kpi:league")


@login_required
def league_landing(request, scheme_code=None):
    """Where everyone lands: the latest published window (the office, before any publication, the live one)."""
    scheme = _scheme(scheme_code or request.GET.get("scheme"))
    window = league.landing_window(user=request.user, scheme=scheme)
    if window is None:
        return _page(request, cache.render_shared(
            "kpi/_league_content.html", {"scheme": scheme, "schemes": Scheme.objects.all(), "window": None}, request
        ))
    return redirect("kpi:league-latest", scheme.code, window.slug)


@login_required
def league_latest(request, scheme_code, window):
    """A window's latest published revision (the office sees the live table of a window not yet published)."""
    return _league(request, scheme_code, window, None)


@login_required
def league_window(request, scheme_code, window, revision):
    """One revision of a window (`r1`, `r2`…), or its live table (`live`, office only); addresses valid forever."""
    return _league(request, scheme_code, window, revision)


def _window(request, scheme_code, window, revision) -> league.Window:
    """The window an address names: a revision, `live`, or (revision None) the latest published one."""
    scheme = _scheme(scheme_code)
    month = league.month_of_window(scheme, window)
    if revision is None:
        return league.window_get(user=request.user, scheme=scheme, month=month)
    number = league.revision_of(revision)
    return league.window_get(user=request.user, scheme=scheme, month=month, revision=number, live=number is None)


PAGE_ROWS = 100  # rows of a league page; a national table (4,500 branches) is 45 pages, the demo's 13 one
PAGE_CACHE_SECONDS = 3600
# The office's "待重新发布" notice is kept this long at most between two runs of the scheme.
RESTATEMENT_SECONDS = 60


def _league(request, scheme_code, window_text, revision_text):
    """A league page. A published table is answered from the cache in a few queries whatever the number of
    branches: the scheme's stamp (one query, `scheme_stamp`) names which table the address shows, and the page's
    content is kept per table × the viewer's scope, role and branch × page; a live table is rendered afresh."""
    if request.GET.get("format") == "xlsx":
        window = _window(request, scheme_code, window_text, revision_text)
        table = league_rows(window=window, user=request.user)
        return _xlsx(league_workbook(table), f"考核排名-{window.slug}-{window.revision_slug}.xlsx")
    try:
        page = query_value(request.GET, "page", parse_page_number, 1)
    except InputError as exc:
        raise BadRequest(exc.message) from None
    user, window = request.user, None
    stamp = scheme_stamp(scheme_code)
    if stamp is None:
        raise Http404("尚无已发布的考核方案")
    office = league.can_see_live(user)
    resolve = cache.key_of("league-page-window", KEY_FORMAT, scheme_code, window_text, revision_text, office, stamp,
                           get_language())
    resolved = cache.get(resolve)
    if resolved is None:
        window = _window(request, scheme_code, window_text, revision_text)
        resolved = "" if window.is_live else window_key(window, user)  # a live table is never kept
        cache.set(resolve, resolved, PAGE_CACHE_SECONDS)
    # The stamp too: a page shows every window's publications (menu, charts), which another window's changes.
    key = cache.key_of("league-page", resolved, stamp, scope_key(user), user.role, user.is_superuser, user.branch_id,
                       page, PAGE_ROWS, request.path) if resolved else None
    content = cache.get(key) if key else None
    if content is None:
        window = window or _window(request, scheme_code, window_text, revision_text)
        content = _league_content(request, window, page, stamp)
        if key:
            # The office's content holds the restatement notice, whose pending corrections no run records.
            cache.set(key, content, RESTATEMENT_SECONDS if office else PAGE_CACHE_SECONDS)
    return _page(request, content)


# What a kept page frame holds in place of its content and of the address its language switch returns to.
CONTENT_PLACEHOLDER = cache.placeholder("league-content")
NEXT_PLACEHOLDER = cache.placeholder("league-next")


def _page(request, content: Spliced) -> HttpResponse:
    """The page around the content (`cache.render_shared`). Its navigation shows the viewer, their branch, role and
    unread notices: the frame is kept per all of those and the language (and the release, `cache.key_of`). The
    address the language switch returns to is put in per request: a query string must not make a new entry. A
    frame with a message waiting (shown once) is not kept."""
    def render_frame() -> Spliced:
        holes = {"content_html": CONTENT_PLACEHOLDER, "language_next": NEXT_PLACEHOLDER}
        return cache.render_shared("kpi/league.html", {}, request, holes)

    if messages.get_messages(request):
        frame = render_frame()
    else:
        user = request.user
        key = cache.key_of("league-frame", KEY_FORMAT, user.pk, user.get_username(), user.get_full_name(), user.role,
                           user.is_staff, user.is_superuser, user.branch, unread_notice_count(user=user), get_language())
        frame = cache.get_or_make(key, PAGE_CACHE_SECONDS, render_frame)
    return cache.respond(request, frame, {"content_html": content, "language_next": escape(request.get_full_path()).encode()})


def _league_content(request, window: league.Window, page: int, stamp: str) -> Spliced:
    """Everything of a league page below the navigation, for this viewer (to be kept: `cache.render_shared`);
    `stamp` is the scheme's (`scheme_stamp`), read once by the request."""
    office = league.can_see_live(request.user)
    context = {
        "scheme": window.scheme, "schemes": Scheme.objects.all(), "window": window, "run": window.run,
        "table_html": _league_table_html(request, window, page, stamp),
        "menu": league.window_menu(user=request.user, scheme=window.scheme),
        "can_publish": can_publish_league(request.user, window.scheme.province),
    }
    if office or window.is_live:
        # Data saved but its recompute still queued (e.g. the broker was down): the live table is behind.
        context["pending_recompute"] = window.month in pending_recompute_months(scheme=window.scheme)
    if office:
        context["restatement"] = _restatement(window, stamp, pending=context["pending_recompute"])
    if window.is_live:
        context["progress"] = league.approval_progress(scheme=window.scheme, month=window.month)
        context["basis"] = league.target_basis(run=window.run)
    return cache.render_shared("kpi/_league_content.html", context, request)


def _league_table_html(request, window: league.Window, page: int, stamp: str) -> str:
    """The table, its cards, pager and charts for one page of rows, rendered once per run × scope × page × the
    viewer's own branch (highlighted) and then kept in the cache: a run never changes, a recompute is a new run."""
    # The scheme's stamp too: the charts show every window's published totals, which a publication of another
    # window changes.
    key = cache.key_of("league-table", table_key(window, request.user), stamp, page,
                       PAGE_ROWS, request.user.branch_id)
    html = cache.get(key)
    if html is not None:
        return mark_safe(html)  # noqa: S308 - our own rendered template, from our cache
    table = league_rows(window=window, user=request.user, offset=(page - 1) * PAGE_ROWS, limit=PAGE_ROWS)
    if page > 1 and not table.rows:
        raise Http404("没有这一页")
    # the first and last pages and the current one's neighbours, a gap (None) between: a national table's 45 pages
    # would fill a phone's first screen
    paginator = Paginator(range(table.count), PAGE_ROWS)
    pages = [
        {"number": n, "first": (n - 1) * PAGE_ROWS + 1, "last": min(n * PAGE_ROWS, table.count)} if isinstance(n, int) else None
        for n in paginator.get_elided_page_range(page, on_each_side=1, on_ends=1)
    ]
    html = render_to_string("kpi/_league_table.html", {
        "scheme": window.scheme, "window": window, "table": table, "charts": league_charts(table=table, user=request.user),
        "page": page, "pages": pages, "page_count": paginator.num_pages, "last_position": table.offset + len(table.rows),
    }, request)
    cache.set(key, html, PAGE_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308


def _restatement(window: league.Window, stamp: str, *, pending: bool):
    """What the live table would change in the published one, and why (the office's notice), kept per scheme stamp
    for at most RESTATEMENT_SECONDS: a change to the data behind the window requests a recompute, which is a new run
    and so a new stamp; while one is still queued the notice is worked out afresh."""
    if pending:
        return league.restatement(scheme=window.scheme, month=window.month)
    key = cache.key_of("league-restatement", window.scheme.pk, window.month, stamp, get_language())
    return cache.get_or_make(key, RESTATEMENT_SECONDS, lambda: league.restatement(scheme=window.scheme, month=window.month))


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _branch_score(request, scheme_code, window, revision, branch_code):
    table = _window(request, scheme_code, window, revision)
    branch = get_branch_or_404(request.user, branch_code)
    score = get_object_or_404(table.run.branch_scores.select_related("branch"), branch=branch)
    return table, score


@login_required
def league_branch(request, scheme_code, window, revision, branch_code):
    """A branch's page (the monthly 通报): where it loses points first, each with the next step; its trend."""
    table, score = _branch_score(request, scheme_code, window, revision, branch_code)
    scorecard = league_rows(window=table, user=request.user)
    row = next(r for r in scorecard.rows if r.branch_id == score.branch_id)
    indicators = {i.code: i for i in table.run.version.indicators.all()}
    losses = branch_losses(table=scorecard, row=row, indicators=indicators)
    trend = league.branch_trend(user=request.user, scheme=table.scheme, branch=score.branch, live=table.is_live)
    context = {"window": table, "run": table.run, "score": score, "row": row, "table": scorecard, "losses": losses,
               "trend": trend, "branches": len(scorecard.rows)}
    return render(request, "kpi/branch_scores.html", context)


@login_required
def league_cell(request, scheme_code, window, revision, branch_code, indicator_code):
    table, score = _branch_score(request, scheme_code, window, revision, branch_code)
    cell = score.cell(indicator_code)
    if cell is None:
        raise Http404("该表中没有这一项得分")
    indicator = get_object_or_404(table.run.version.indicators, code=indicator_code)
    explanation = selectors.cell_explanation(run=table.run, score=score, indicator_code=indicator_code)
    template = "kpi/_explanation.html" if request.headers.get("HX-Request") else "kpi/explanation.html"
    context = {"window": table, "run": table.run, "score": score, "cell": cell, "indicator": indicator, "explanation": explanation}
    return render(request, template, context)


@login_required
@require_POST
def league_publish(request, scheme_code, window):
    """Publish the window's live table as its next revision (the office)."""
    scheme = _scheme(scheme_code)
    month = league.month_of_window(scheme, window)
    if not can_publish_league(request.user, scheme.province):
        raise PermissionDenied
    try:
        publication = publishing.window_publish(scheme=scheme, month=month, user=request.user, note=request.POST.get("note", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("kpi:league-window", scheme.code, window, "live")
    messages.success(request, f"已发布{ytd_label(month)}排名第{publication.revision}版，各机构已收到通知。")
    return redirect("kpi:league-window", scheme.code, window, f"r{publication.revision}")


@login_required
@require_POST
def league_correction(request, branch_code, month, component_code):
    """Accept a complaint change into an approved month, or leave the month as locked with a reason (the office)."""
    branch = get_branch_or_404(request.user, branch_code)
    action = request.POST.get("action")
    service = {"accept": publishing.correction_accept, "leave": publishing.correction_leave}.get(action)
    if service is None:
        messages.error(request, "请选择“接受更正”或“不予调整”。")
    else:
        try:
            service(branch=branch, month=month, component_code=component_code, expected=request.POST.get("expected", ""),
                    user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已接受更正，排名正在重新计算；已发布的排名需重新发布才会改变。" if action == "accept"
                             else "已记录不予调整的原因。")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/league/") else reverse("kpi:league"))


@login_required
def dashboard(request):
    """The office's landing page next to the table: what waits on review, submission, complaints and publication."""
    if not is_officer(request.user):
        raise PermissionDenied
    scheme = _scheme(request.GET.get("scheme"))
    return render(request, "kpi/dashboard.html", {"scheme": scheme, "board": office_dashboard(user=request.user, scheme=scheme)})


@login_required
def reconciliation(request):
    """The published reference (the journal) against one of our tables of the same window, difference by difference."""
    scheme = _scheme(request.GET.get("scheme"))
    reference = reference_for(scheme.code)
    months = [reference.month] if reference else []
    try:
        month = int(request.GET.get("month", "") or (months[-1] if months else 0))
    except ValueError:
        month = 0
    context = {"scheme": scheme, "reference": reference, "months": months, "month": month, "report": None}
    if reference and month == reference.month:
        table_kind = "live" if request.GET.get("table") == "live" and league.can_see_live(request.user) else "published"
        try:
            table = league.window_get(user=request.user, scheme=scheme, month=month, live=table_kind == "live")
        except Http404:
            table = None
        # The rows the user may see, from the one read path (its cells are the user's branch scope).
        rows = league_rows(window=table, user=request.user).rows if table else None
        context.update(table=table, table_kind=table_kind, report=reconcile(table.run, rows=rows) if table else None,
                       can_see_live=league.can_see_live(request.user))
    elif request.GET.get("month"):
        context["no_reference"] = True
    return render(request, "kpi/reconciliation.html", context)
