"""The Content Security Policy holds in a real browser (issue 8, item 11): the main pages run with no
inline script or style, so Chromium reports no violation while they load and their scripts run."""

import pytest

from kpi import services
from kpi.models import Scheme

pytestmark = pytest.mark.e2e

PAGES = {
    "province": [
        "/accounts/login/",
        "/",
        "/league/",
        "/entries/",
        "/entries/nanjing/2023-01/",
        "/entries/nanjing/2023-01/history/",
        "/review/",
        "/office/",
        "/office/2023-02/nanjing/",
        "/history/",
        "/complaints/",
        "/complaints/new/",
        "/complaints/calendar/",
        "/complaints/calendar/import/",
        "/complaints/indicators/",
        "/reconciliation/",
        "/api/docs/",
        "/league/{scheme}/2023-02/live/",
        "/league/{scheme}/2023-02/live/nanjing/",
    ],
    "admin": ["/admin/", "/admin/complaints/complaint/", "/admin/authtoken/tokenproxy/"],
}


def test_the_main_pages_report_no_content_security_policy_violation(e2e, login):
    scheme = Scheme.objects.get()
    services.score_run_compute(scheme=scheme, month=1)
    services.score_run_compute(scheme=scheme, month=2)  # two windows: the trend chart is drawn
    violations = []
    for username, paths in PAGES.items():
        page = login(username)
        page.on(
            "console",
            lambda message, page=page: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None,
        )
        for path in paths:
            response = page.goto(e2e.url + path.format(scheme=scheme.code))
            assert response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"], path
            page.wait_for_load_state("networkidle")
        # The behaviour that moved out of the markup still works: the language switcher submits its form.
        page.goto(e2e.url + "/league/")
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
        assert page.locator("html").get_attribute("lang") == "en"
        with page.expect_navigation():
            page.select_option("select[name=language]", "zh-hans")
    page = login("province")
    page.goto(e2e.url + f"/league/{scheme.code}/2023-02/live/nanjing/")
    assert page.locator("#trend canvas").count() == 1, "the trend chart is drawn by static/js/trend.js"
    assert violations == []
