"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

No `playwright install` (it cannot download here): the session's browser is /usr/bin/chromium.
Without it the tests skip with the reason, unless CI=true, where a missing browser fails the run.
Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAPTOP = {"width": 1366, "height": 800}
PASSWORD = "pw-12345678"  # tests/conftest.py creates every user with it

# Playwright's sync API keeps an event loop running in the main thread for the whole session; Django
# refuses ORM calls from such a thread unless told it is safe (it is: the tests drive it sequentially).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI: apt-get install chromium fonts-wqy-microhei")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def eager_celery():
    """Queued recomputes run in the server thread even when REDIS_URL names a broker."""
    from config.celery_app import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def e2e(transactional_db, live_server, tree, users, eager_celery):
    """The 2023 scheme on the test tree, a live server, and a helper to open a logged-in page per user."""
    from kpi import demo, services

    services.scheme_load(data=demo.scheme_data())
    ARTIFACTS.mkdir(exist_ok=True)
    return live_server


@pytest.fixture
def login(e2e, new_context):
    """A page of a fresh browser (own cookies) logged in through the login form as `username`."""

    def open_as(username: str, *, viewport=None):
        context = new_context(viewport=viewport or LAPTOP)
        page = context.new_page()
        page.goto(f"{e2e.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        page.wait_for_load_state()
        return page

    return open_as


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
