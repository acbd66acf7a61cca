"""The simulator in a real browser: typing a target refreshes the results (htmx, no inline script), the
sensitivity chart is drawn by static/js/simulate.js, and Chromium reports no CSP violation."""

import pytest

from kpi import services
from kpi.models import Component, MonthlyFigure, Scheme

pytestmark = pytest.mark.e2e


def test_typing_a_target_refreshes_the_results_and_the_chart_draws(e2e, login, tree):
    scheme = Scheme.objects.get()
    # nanjing 94.48 %, wuxi 95.5 % first-pass QC: at target 95 wuxi leads on this indicator, at 96 both miss it.
    for branch, passed in (("nanjing", "9448"), ("wuxi", "9550")):
        for code, value in (("sl_nonbank_passed", passed), ("sl_nonbank_checked", "10000")):
            MonthlyFigure.objects.create(branch=tree[branch], component=Component.objects.get(code=code), month="2023-01-01", value=value)
    services.score_run_compute(scheme=scheme, month=1)
    page = login("province")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.goto(f"{e2e.url}/simulate/")
    page.fill("#t-sl_nonbank", "96")
    page.wait_for_selector("#sim-notes >> text=sl_nonbank：考核值 95 → 96")
    assert page.locator("#sim-rows tbody tr").count() == 2
    page.select_option("select[name=sens-code]", "sl_nonbank")
    page.fill("input[name=sens-start]", "94")
    page.fill("input[name=sens-stop]", "96")
    page.fill("input[name=sens-step]", "1")
    page.get_by_role("button", name="分析").click()
    page.wait_for_selector("#sens-chart canvas")
    assert page.locator("#sens-table tbody tr").count() == 2
    assert violations == []
