"""The league table in a real browser: a click on a cell's points opens its explanation in the page's dialog
(one listener in static/js/league.js, no htmx attributes per cell), and the link's own address still serves the
explanation as a page."""

import pytest

from kpi import services
from kpi.models import Scheme

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
