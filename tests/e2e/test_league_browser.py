"""The league table in a real browser: a click on a cell's points opens its explanation in the page's dialog
(one listener in static/js/league.js, no htmx attributes per cell), and the link's own address still serves the
explanation as a page; an indicator's column sorts by the points its links show."""

import datetime
from decimal import Decimal

import pytest

from branches.models import Branch
from kpi import services
from kpi.models import Component, MonthlyFigure, Scheme

from .conftest import shot

pytestmark = pytest.mark.e2e


def test_a_click_on_a_cell_opens_its_explanation_in_the_dialog(e2e, login):
    scheme = Scheme.objects.get()
    services.score_run_compute(scheme=scheme, month=1)
    page = login("province")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.goto(f"{e2e.url}/league/{scheme.code}/2023-01/live/")
    cell = page.locator("#league a.cell").first
    href = cell.get_attribute("href")
    page.evaluate("document.getElementById('explain').addEventListener('shown.bs.modal', (e) => { e.target.dataset.shown = 'yes'; })")
    cell.click()
    page.wait_for_selector("#explain[data-shown=yes]")  # the dialog's opening transition has ended
    page.wait_for_selector("#explain.show #explain-body .explanation")
    assert page.url.endswith("/2023-01/live/")  # the page stayed; the explanation came into the dialog
    body = page.locator("#explain-body .explanation")
    assert body.get_attribute("data-indicator") == href.rstrip("/").rsplit("/", 1)[1]
    assert "考核值" in body.inner_text()
    shot(page, "league-cell-dialog")
    page.keyboard.press("Escape")
    page.wait_for_selector("#explain", state="hidden")
    page.goto(e2e.url + href)  # the address on its own: the whole explanation page
    assert page.locator(".explanation").count() == 1 and page.locator("#explain-body").count() == 0
    assert violations == []


def _points(page, column: int) -> list[float]:
    """The points of one column's cells, top to bottom, as the table shows them now."""
    texts = page.eval_on_selector_all(
        f"#league tbody tr td:nth-child({column + 1}) a.cell", "links => links.map(a => a.textContent)"
    )
    return [float(t.replace(",", "")) for t in texts]


def test_an_indicator_column_sorts_by_its_points(e2e, login):
    scheme = Scheme.objects.get()
    for branch, passed in (("nanjing", "9448"), ("wuxi", "9306")):  # two pass rates, so two different points
        for component, value in (("sl_nonbank_passed", passed), ("sl_nonbank_checked", "10000")):
            MonthlyFigure.objects.create(branch=Branch.objects.get(code=branch), month=datetime.date(2023, 1, 1),
                                         component=Component.objects.get(code=component), value=Decimal(value))
    services.score_run_compute(scheme=scheme, month=1)
    page = login("province")
    page.goto(f"{e2e.url}/league/{scheme.code}/2023-01/live/")
    headers = page.locator("#league thead tr").first.locator("th")
    first_indicator = 8  # rank, branch, change, total, its change, qualitative, quantitative, deductions
    columns = range(first_indicator, headers.count())
    column = max(columns, key=lambda c: len(set(_points(page, c))))  # the indicator whose points differ most
    shown = _points(page, column)
    assert len(set(shown)) > 1 and len(shown) == page.locator("#league tbody tr").count()
    headers.nth(column).click()
    assert headers.nth(column).get_attribute("aria-sort") == "ascending"
    assert _points(page, column) == sorted(shown)
    headers.nth(column).click()
    assert headers.nth(column).get_attribute("aria-sort") == "descending"
    assert _points(page, column) == sorted(shown, reverse=True)
