"""Pages of the kpi app: league table, a branch's score sheet, one cell's explanation, reconciliation.

The league table's ranks and totals are the office's published result and every signed-in user sees
them; indicator values, points and explanations are branch data and are shown only within the
viewer's branch scope (branches.permissions).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from branches.permissions import get_branch_or_404, visible_branch_ids
from kpi import selectors
from kpi.models import Scheme, ScoreRun
from kpi.reconciliation import reconcile


def _scheme_from(request) -> Scheme:
    code = request.GET.get("scheme")
    scheme = Scheme.objects.filter(code=code).first() if code else selectors.scheme_default()
    if scheme is None:
        raise Http404("尚无已发布的考核方案")
    return scheme


def _month_from(request, scheme) -> int | None:
    months = selectors.computed_months(scheme=scheme)
    try:
        month = int(request.GET.get("month", ""))
    except ValueError:
        month = None
    return month if month in months else (months[-1] if months else None)


@login_required
def home(request):
    return redirect("kpi:league")


@login_required
def league(request):
    scheme = _scheme_from(request)
    month = _month_from(request, scheme)
    run = selectors.current_run(scheme=scheme, month=month) if month else None
    context = {"scheme": scheme, "month": month, "months": selectors.computed_months(scheme=scheme), "run": run,
               "schemes": Scheme.objects.all()}
    if run:
        visible = visible_branch_ids(request.user)
        indicators = list(run.version.indicators.order_by("order"))
        rows = []
        for bs in selectors.run_branch_scores(run=run):
            mine = visible is None or bs.branch_id in visible
            cells = {s.indicator_code: s for s in bs.indicator_scores.all()} if mine else {}
            rows.append({"score": bs, "visible": mine, "cells": [cells.get(i.code) for i in indicators]})
        context.update(indicators=indicators, rows=rows)
    return render(request, "kpi/league.html", context)


def _run_and_branch(request, run_id, branch_code):
    run = get_object_or_404(ScoreRun.objects.select_related("scheme", "version"), pk=run_id)
    branch = get_branch_or_404(request.user, branch_code)
    score = get_object_or_404(run.branch_scores.select_related("branch"), branch=branch)
    return run, score


@login_required
def branch_scores(request, run_id, branch_code):
    run, score = _run_and_branch(request, run_id, branch_code)
    indicators = {i.code: i for i in run.version.indicators.all()}
    cells = [(indicators[s.indicator_code], s) for s in score.indicator_scores.order_by("pk")]
    trend = selectors.branch_trend(scheme=run.scheme, branch=score.branch)
    return render(request, "kpi/branch_scores.html", {"run": run, "score": score, "cells": cells, "trend": trend})


@login_required
def explanation(request, run_id, branch_code, indicator_code):
    run, score = _run_and_branch(request, run_id, branch_code)
    cell = get_object_or_404(score.indicator_scores, indicator_code=indicator_code)
    indicator = get_object_or_404(run.version.indicators, code=indicator_code)
    template = "kpi/_explanation.html" if request.headers.get("HX-Request") else "kpi/explanation.html"
    return render(request, template, {"run": run, "score": score, "cell": cell, "indicator": indicator})


@login_required
def reconciliation(request):
    scheme = _scheme_from(request)
    month = _month_from(request, scheme)
    run = selectors.current_run(scheme=scheme, month=month) if month else None
    report = reconcile(run) if run else None
    visible = visible_branch_ids(request.user)
    if report and visible is not None:
        allowed = set(selectors.scored_branches(scheme=scheme).filter(pk__in=visible).values_list("code", flat=True))
        report.differences = [d for d in report.differences if d.branch in allowed]
    return render(request, "kpi/reconciliation.html", {"scheme": scheme, "month": month, "run": run, "report": report})
