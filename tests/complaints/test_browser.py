"""In a real browser: a branch clerk takes a complaint from intake to closing and sees each deadline and why;
the office sees the case with the customer's data masked."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint

pytestmark = pytest.mark.e2e
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in the test thread
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-12345678"  # tests/conftest.py creates every user with it


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
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


@pytest.fixture
def login(transactional_db, live_server, users, new_context):
    def open_as(username):
        page = new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}).new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        page.wait_for_load_state()
        return page

    return open_as


def step(page, name, **fields):
    """Open one step of the case page, fill it and submit it."""
    section = page.locator(f"#step-{name}")
    if not section.is_visible():
        page.locator(f"button[data-bs-target='#step-{name}']").click()
        expect(section).to_be_visible()
    for field, value in fields.items():
        target = section.locator(f"[name='{name}-{field}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    section.locator("button.btn").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_be_visible()


def test_a_clerk_takes_a_complaint_from_intake_to_closing(login, live_server):
    clerk = login("nanjing")
    clerk.goto(f"{live_server.url}/complaints/new/")
    clerk.select_option("#id_source", "regulator")
    clerk.select_option("#id_channel", "regulator")
    clerk.fill("#id_received_at", "2023-09-28T09:30")
    clerk.fill("#id_regulator_ref", "苏金监消转〔2023〕101号")
    clerk.fill("#id_customer_name", "王五")
    clerk.fill("#id_customer_phone", "13700001111")
    clerk.select_option("#id_category", "sales")
    clerk.fill("#id_summary", "业务员夸大收益，要求退保")
    clerk.get_by_role("button", name="保存").click()

    expect(clerk.locator(".alert-success")).to_contain_text("处理期限 2023年10月13日")
    deadline = clerk.locator("[data-deadline=decision]")
    expect(deadline).to_contain_text("收到投诉 2023年9月28日（当日不计）")
    expect(clerk.locator("[data-deadline=acceptance]")).to_contain_text("2023年10月18日")  # 10 working days over National Day

    step(clerk, "accept", accepted_on="2023-09-28")
    step(clerk, "investigate", note="调取双录")
    step(clerk, "extend", granted_on="2023-10-10", approver="王经理", reason="需调取双录并约谈业务员")
    expect(deadline).to_contain_text("2023年10月10日 经 王经理 批准延期至 30 日")
    expect(deadline).to_contain_text("期限届满日：2023年10月28日")
    step(clerk, "decide", decided_on="2023-10-20", decision="协商全额退保", reasons="销售过程未充分说明退保损失")
    step(clerk, "notify", notice_on="2023-10-21", notice_method="phone")
    step(clerk, "close", closed_on="2023-10-24")
    expect(clerk.locator("#status")).to_have_text("已结案")
    expect(clerk.locator("#timeline li")).to_have_count(7)
    ARTIFACTS.mkdir(exist_ok=True)
    clerk.screenshot(path=str(ARTIFACTS / "complaint-case-closed.png"), full_page=True)
    case = Complaint.objects.get()
    assert (case.status, str(case.decision_due_on), case.is_overdue) == ("closed", "2023-10-28", False)

    office = login("province")
    office.goto(f"{live_server.url}/complaints/?branch=nanjing")
    row = office.locator(f"tr[data-number='{case.number}']")
    expect(row).to_contain_text("137****1111")
    expect(row).not_to_contain_text("13700001111")
