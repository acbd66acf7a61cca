"""The simulator's pages (office only): pick a window and a base, edit changes, see who moves as you type.

The panels htmx swaps in answer 200 with the problems listed in them (htmx leaves 4xx answers unswapped).

Thin: the form's fields become the same plain changes the API and the command send
(kpi.simulation.changes.parse_changes), and every result comes from kpi.simulation.selectors.
"""

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from branches.permissions import can_simulate
from core.errors import ApplicationError
from core.parsing import InputError, parse_decimal, parse_month_number
from kpi import selectors as kpi_selectors
from kpi.models import Scheme
from kpi.scoring.decimals import fmt
from kpi.simulation.changes import RULE_NUMBER, SimulationError, parse_changes
from kpi.simulation.selectors import (
    sensitivity_values,
    simulation_backtest,
    simulation_base,
    simulation_run,
    simulation_sensitivity,
)
from kpi.simulation.services import simulation_save_draft

OFFICE_ROWS = 3  # empty rows of qualitative scores and deductions the form offers


def _scheme(request) -> Scheme:
    code = request.POST.get("scheme") or request.GET.get("scheme")
    scheme = Scheme.objects.select_related("province").filter(code=code).first() if code else kpi_selectors.scheme_default()
    if scheme is None:
        raise Http404("没有可模拟的考核方案")
    if not can_simulate(request.user, scheme.province):
        raise PermissionDenied("模拟只对省公司开放")
    return scheme


def _months(scheme: Scheme) -> list[int]:
    return kpi_selectors.computed_months(scheme=scheme) or list(range(1, 13))


def _window(request, scheme: Scheme) -> tuple[int, int | None]:
    """The window's month and the version to simulate (None: the version in force), from the form."""
    params = request.POST if request.method == "POST" else request.GET
    months = _months(scheme)
    try:
        month = parse_month_number(params.get("month") or months[-1])
    except InputError as exc:
        raise SimulationError([exc.message]) from None
    version = params.get("version") or None
    if version is not None and not str(version).isdigit():
        raise SimulationError([f"方案版本“{version}”无效"])
    return month, int(version) if version else None


def _form_changes(params, definitions: dict[str, dict]) -> dict:
    """The form's fields as the changes the API takes; a rule textarea left as it was is no change."""
    indicators, errors = {}, []
    for code, definition in definitions.items():
        change = {}
        for key, field in (("target", "t"), ("base_points", "b"), ("bonus_cap", "c")):
            if (params.get(f"{field}__{code}") or "").strip():
                change[key] = params[f"{field}__{code}"]
        if params.get(f"off__{code}"):
            change["scored"] = False
        text = (params.get(f"r__{code}") or "").strip()
        if text:
            try:
                rule = json.loads(text)
            except ValueError:
                errors.append(f"指标 {code}，计分规则：不是有效的 JSON")
                rule = definition["rule"]
            if rule != definition["rule"]:
                change["rule"] = rule
        if change:
            indicators[code] = change
    if errors:
        raise SimulationError(errors)
    qualitative = [
        {"branch": params.get(f"q-branch-{n}"), "item": params.get(f"q-item-{n}"), "score": params.get(f"q-score-{n}")}
        for n in range(OFFICE_ROWS) if (params.get(f"q-score-{n}") or "").strip()
    ]
    deductions = [
        {"branch": params.get(f"d-branch-{n}"), "points": params.get(f"d-points-{n}"), "reason": params.get(f"d-reason-{n}", "")}
        for n in range(OFFICE_ROWS) if (params.get(f"d-points-{n}") or "").strip()
    ]
    return {"indicators": indicators, "qualitative": qualitative, "deductions": deductions}


def _indicator_rows(base, params) -> list[dict]:
    """One form row per indicator of the simulated version, with what was typed."""
    rows = []
    for code, d in base.after_definitions.items():
        rows.append({
            "code": code, "name": d["name"], "unit": d["unit"], "target_kind": d["target_kind"],
            "target": fmt(d["target_value"]) if d["target_value"] is not None else "",
            "base_points": fmt(d["base_points"]), "bonus_cap": fmt(d["bonus_cap"]),
            "t": params.get(f"t__{code}", ""), "b": params.get(f"b__{code}", ""), "c": params.get(f"c__{code}", ""),
            "off": bool(params.get(f"off__{code}")),
            "rule": params.get(f"r__{code}") or json.dumps(d["rule"], ensure_ascii=False, indent=1),
        })
    return rows


def _result_rows(simulation) -> list[dict]:
    """The rows in the after ranking, each cause with the changed cell's explanation under the new rule."""
    after = simulation.comparison.after.window.cells
    explanations = {} if after.empty else dict(
        zip(zip(after["branch"], after["indicator"], strict=True), after["explanation"], strict=True)
    )
    names = simulation.base.branch_names
    return [
        {
            "move": r, "name": names.get(r.branch, r.branch),
            "causes": [{"cause": c, "name": simulation.indicator_name(c.code), "explanation": explanations.get((r.branch, c.code))}
                       for c in r.causes],
        }
        for r in simulation.rows
    ]


def _simulate(request, scheme, *, strict: bool = False):
    """Run the form's simulation: (base, changes, simulation, errors); `strict` raises the errors instead."""
    params = request.POST
    month, version = _window(request, scheme)
    base = simulation_base(scheme=scheme, month=month, version=version)
    try:
        changes = parse_changes({**_form_changes(params, base.after_definitions), "version": version})
        return base, changes, simulation_run(base=base, changes=changes), []
    except SimulationError as exc:
        if strict:
            raise
        return base, None, None, exc.errors


def _results_context(base, simulation, errors) -> dict:
    context = {"errors": errors, "simulation": simulation, "base": base}
    if simulation is not None:
        c = simulation.comparison
        names = base.branch_names
        context.update(
            rows=_result_rows(simulation),
            top=[(names[b], names[a]) for b, a in zip(c.top_before, c.top_after, strict=True)],
            bottom=[(names[b], names[a]) for b, a in zip(c.bottom_before, c.bottom_after, strict=True)],
            winners=[(names[r.branch], r.places) for r in c.winners],
            losers=[(names[r.branch], r.places) for r in c.losers],
            cell_changes=[(simulation.indicator_name(k), v) for k, v in c.cell_changes.items() if v],
        )
    return context


@login_required
def simulate_page(request):
    """The simulator: window, base and changes on the left, results on the right (refreshed as the form changes)."""
    scheme = _scheme(request)
    try:
        base, changes, simulation, errors = _simulate(request, scheme)
    except SimulationError as exc:  # a bad window or version: start again from the latest window
        messages.error(request, exc.message)
        return redirect(f"{reverse('kpi:simulate')}?scheme={scheme.code}")
    params = request.POST if request.method == "POST" else request.GET
    context = {
        "scheme": scheme, "schemes": Scheme.objects.all(), "months": _months(scheme), "month": base.month,
        "versions": scheme.versions.order_by("-number"), "version": base.after_version,
        "indicators": _indicator_rows(base, params),
        "branches": sorted(base.branch_names.items(), key=lambda kv: list(base.before_inputs.branches).index(kv[0])),
        "items": sorted(base.qualitative_items.items(), key=lambda kv: kv[1].order),
        "office_rows": [
            {"n": n, "q_branch": params.get(f"q-branch-{n}", ""), "q_item": params.get(f"q-item-{n}", ""),
             "q_score": params.get(f"q-score-{n}", ""), "d_branch": params.get(f"d-branch-{n}", ""),
             "d_points": params.get(f"d-points-{n}", ""), "d_reason": params.get(f"d-reason-{n}", "")}
            for n in range(OFFICE_ROWS)
        ],
        **_results_context(base, simulation, errors),
    }
    return render(request, "kpi/simulate/page.html", context)


@login_required
@require_POST
def simulate_results(request):
    """The results panel for the form as it is now (htmx, as the office types)."""
    scheme = _scheme(request)
    try:
        base, changes, simulation, errors = _simulate(request, scheme)
    except SimulationError as exc:
        return render(request, "kpi/simulate/_results.html", {"errors": exc.errors})
    return render(request, "kpi/simulate/_results.html", _results_context(base, simulation, errors))


def _number(params, name: str, label: str) -> Decimal:
    try:
        value = parse_decimal(params.get(name), allow_negative=True, **RULE_NUMBER)
    except InputError as exc:
        raise SimulationError([f"{label}：{exc.message}"]) from None
    if value is None:
        raise SimulationError([f"{label}：须填写"])
    return value


@login_required
@require_POST
def simulate_sensitivity(request):
    """One indicator's target across a range (with the form's other changes): each branch's rank per value."""
    scheme = _scheme(request)
    params = request.POST
    try:
        base, changes, _, _ = _simulate(request, scheme, strict=True)
        code = params.get("sens-code", "")
        if code not in base.after_definitions:
            raise SimulationError([f"方案中没有指标“{code}”"])
        values = sensitivity_values(_number(params, "sens-start", "起点"), _number(params, "sens-stop", "终点"),
                                    _number(params, "sens-step", "步长"))
        result = simulation_sensitivity(base=base, changes=changes, code=code, values=values)
    except SimulationError as exc:
        return render(request, "kpi/simulate/_sensitivity.html", {"errors": exc.errors})
    names = base.branch_names
    chart = {
        "values": [fmt(v) for v in result.values],
        "series": [{"name": names[b], "data": ranks} for b, ranks in result.ranks.items()],
        "branches": len(names),
    }
    table = [{"name": names[b], "ranks": ranks} for b, ranks in result.ranks.items()]
    return render(request, "kpi/simulate/_sensitivity.html", {
        "chart": json.dumps(chart, ensure_ascii=False), "values": chart["values"], "table": table,
        "indicator": base.after_definitions[code]["name"],
    })


@login_required
@require_POST
def simulate_backtest(request):
    """The form's changes over every window 1月 … 1–N月 of the year."""
    scheme = _scheme(request)
    try:
        base, changes, _, _ = _simulate(request, scheme, strict=True)
        windows = simulation_backtest(scheme=scheme, month=base.month, changes=changes)
    except SimulationError as exc:
        return render(request, "kpi/simulate/_backtest.html", {"errors": exc.errors})
    names = base.branch_names
    rows = []
    for month, s in windows:
        c = s.comparison
        rows.append({
            "month": month, "tau": c.tau, "moved": sum(1 for r in c.rows if r.rank_change),
            "top_before": [names[b] for b in c.top_before], "top_after": [names[b] for b in c.top_after],
            "winner": (names[c.winners[0].branch], c.winners[0].rank_change) if c.winners else None,
            "loser": (names[c.losers[0].branch], c.losers[0].places) if c.losers else None,
        })
    return render(request, "kpi/simulate/_backtest.html", {"rows": rows})


@login_required
@require_POST
def simulate_save(request):
    """Save the form's rule changes as a new draft version (published later through the existing path)."""
    scheme = _scheme(request)
    try:
        month, version = _window(request, scheme)
        base = simulation_base(scheme=scheme, month=month, version=version)
        changes = parse_changes({**_form_changes(request.POST, base.after_definitions), "version": version})
        draft = simulation_save_draft(scheme=scheme, month=month, changes=changes)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('kpi:simulate')}?scheme={scheme.code}")
    messages.success(request, f"已保存为草稿版本 v{draft.number}：可在管理后台检查后发布。")
    return redirect(f"{reverse('kpi:simulate')}?scheme={scheme.code}&month={month}&version={draft.number}")
