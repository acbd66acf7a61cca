"""Issue 4 in a real browser: a clerk enters and submits a month, the office returns it, the clerk
corrects it, the office approves and locks it; scope, read-only locked months, and two people at once."""

import datetime

import pytest
from playwright.sync_api import expect

from kpi.models import MonthlyFigure, MonthlySubmission, SubmissionStatus
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

MONTH = "2023-01"
TABLET = {"width": 1024, "height": 768}


def form_url(server, branch="nanjing", month=MONTH):
    return f"{server.url}/entries/{branch}/{month}/"


def fill_month(page, *, premium="12000"):
    """Type a complete month: 100 of every figure, with a few realistic ones."""
    values = {"sl_nonbank_passed": "9448", "sl_nonbank_checked": "10000", "premium_wan": premium}
    for field in page.locator("input.num-input").all():
        code = field.get_attribute("name")[2:]
        field.fill(values.get(code, "100"))


def test_a_clerk_enters_and_submits_the_office_returns_the_clerk_corrects_the_office_locks(e2e, login):
    clerk = login("nanjing")
    # The clerk finds the month from the entry grid.
    clerk.goto(f"{e2e.url}/entries/")
    expect(clerk.locator("#entry-grid")).to_contain_text("南京中支")
    clerk.get_by_label("南京中支 2023年1月").click()
    expect(clerk.locator("h1")).to_have_text("南京中支 · 2023年1月月度数据")

    # Enter moves to the next field and does not submit.
    first = clerk.locator("#c-sl_nonbank_passed")
    first.fill("9448")
    first.press("Enter")
    expect(clerk.locator("#c-sl_nonbank_checked")).to_be_focused()
    assert clerk.url == form_url(e2e)
    clerk.keyboard.type("10000")

    # The live preview scores what is typed and says what the next step takes.
    preview = clerk.locator("#pv-sl_nonbank")
    expect(preview).to_contain_text("94.48%")
    expect(preview.locator("[data-field=points]")).to_have_text("3.90")
    expect(preview).to_contain_text("再提升 0.52 个百分点可得 4.00 分")

    # A slip is caught as it is typed: a part larger than its whole.
    clerk.fill("#c-claims_decided", "10")
    clerk.fill("#c-claims_decided_paid", "12")
    expect(clerk.locator("#m-claims_decided_paid")).to_contain_text("已决获赔件数（12）不能大于已决理赔件数（10）")
    expect(clerk.locator("#preview-summary")).to_contain_text("1 处需要修改")
    shot(clerk, "01a-clerk-part-above-whole")
    clerk.evaluate("window.scrollTo(0, 0)")
    shot(clerk, "01b-clerk-typing-preview")

    fill_month(clerk)
    clerk.click("#save")
    expect(clerk.locator(".alert-success")).to_contain_text("已保存2023年1月的数据")
    expect(clerk.locator("#status")).to_contain_text("填报中")
    shot(clerk, "02-clerk-saved-draft")

    clerk.once("dialog", lambda d: d.accept())
    clerk.click("#submit")
    expect(clerk.locator(".alert-success")).to_contain_text("已提交2023年1月的数据")
    expect(clerk.locator("#status")).to_contain_text("已提交待审核")
    expect(clerk.locator("#save")).to_have_count(0)

    # The office (on a tablet) sees the month waiting, and returns it with a comment.
    office = login("province", viewport=TABLET)
    office.goto(f"{e2e.url}/review/{MONTH}/")
    row = office.locator("#review-table tr[data-branch=nanjing]")
    expect(row).to_contain_text("已提交待审核")
    expect(office.locator("#pending")).to_contain_text("无锡中支")
    shot(office, "03-office-review-list-tablet")
    row.get_by_role("link", name="审核").click()
    office.fill("#return-comment", "保费收入与财务口径不一致，请核对")
    office.click("#return")
    expect(office.locator(".alert-success")).to_contain_text("已退回机构修改")
    expect(office.locator("#status")).to_contain_text("已退回修改")

    # The clerk sees the comment and a notice, corrects the figure and submits again.
    clerk.goto(f"{e2e.url}/entries/")
    expect(clerk.locator("main")).to_contain_text("省公司退回了2023年1月的月度数据：保费收入与财务口径不一致，请核对")
    clerk.goto(form_url(e2e))
    expect(clerk.locator("#return-comment")).to_contain_text("保费收入与财务口径不一致")
    clerk.fill("#c-premium_wan", "12500")
    clerk.fill("#reason", "按财务口径更正保费")
    clerk.click("#save")
    expect(clerk.locator(".alert-success")).to_contain_text("1 项有变动")
    shot(clerk, "04-clerk-corrected")
    clerk.once("dialog", lambda d: d.accept())
    clerk.click("#submit")
    expect(clerk.locator("#status")).to_contain_text("已提交待审核")

    # The office approves: the month is locked.
    office.goto(form_url(e2e))
    office.click("#approve")
    expect(office.locator("#status")).to_contain_text("已审核锁定")
    expect(office.locator("#timeline")).to_contain_text("审核通过并锁定")
    expect(office.locator("#reopen")).to_be_visible()
    shot(office, "05-office-approved-tablet")

    # The locked month is read-only for the clerk, and its history shows every change.
    clerk.goto(form_url(e2e))
    expect(clerk.locator("#readonly-reason")).to_contain_text("已审核锁定")
    expect(clerk.locator("#c-premium_wan")).not_to_be_editable()
    expect(clerk.locator("#save")).to_have_count(0)
    shot(clerk, "06-clerk-locked")
    clerk.goto(f"{e2e.url}/entries/nanjing/{MONTH}/history/")
    history = clerk.locator("#figure-history")
    expect(history).to_contain_text("按财务口径更正保费")
    expect(history.locator("tr", has_text="保费收入").first).to_contain_text("12500")
    shot(clerk, "07-clerk-history")

    submission = MonthlySubmission.objects.get(branch__code="nanjing", month=datetime.date(2023, 1, 1))
    assert submission.status == SubmissionStatus.APPROVED
    assert MonthlyFigure.objects.get(branch__code="nanjing", component__code="premium_wan").value == 12500


def test_staff_cannot_open_another_branchs_form(e2e, login):
    page = login("wuxi")
    response = page.goto(form_url(e2e, "nanjing"))
    assert response.status == 404
    assert "南京中支" not in page.content()


def test_a_locked_month_is_read_only(e2e, login, tree):
    MonthlySubmission.objects.create(
        branch=tree["nanjing"], month=datetime.date(2023, 2, 1), status=SubmissionStatus.APPROVED, revision=3
    )
    page = login("nanjing")
    page.goto(form_url(e2e, month="2023-02"))
    expect(page.locator("#status")).to_contain_text("已审核锁定")
    inputs = page.locator("input.num-input")
    assert inputs.count() > 20
    for field in inputs.all():
        expect(field).not_to_be_editable()
    expect(page.locator("#save")).to_have_count(0)
    expect(page.locator("#submit")).to_have_count(0)


def test_two_browsers_editing_the_same_month_get_the_conflict_message(e2e, login):
    first, second = login("nanjing"), login("province")
    first.goto(form_url(e2e))
    second.goto(form_url(e2e))
    fill_month(first)
    first.click("#save")
    expect(first.locator(".alert-success")).to_contain_text("已保存")

    # The second person had the empty month open, typed their own figures, and saves.
    second.fill("#c-premium_wan", "13000")
    second.click("#save")
    error = second.locator("#form-error")
    expect(error).to_contain_text("保存未成功")
    expect(error).to_contain_text("nanjing")
    expect(error.locator("#conflict-changes")).to_contain_text("保费收入 （空） → 12000")
    expect(second.locator("#m-premium_wan")).to_contain_text("他人已改为 12000")
    shot(second, "08-conflict")
    assert MonthlyFigure.objects.get(branch__code="nanjing", component__code="premium_wan").value == 12000

    # Having seen the change, the second person keeps their value on purpose and saves again.
    second.click("#save")
    expect(second.locator(".alert-success")).to_contain_text("已保存")
    assert MonthlyFigure.objects.get(branch__code="nanjing", component__code="premium_wan").value == 13000


def test_the_office_scores_a_qualitative_item_and_records_a_deduction(e2e, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    office = login("province")
    office.goto(f"{e2e.url}/office/2023-08/")
    office.locator("#office-table tr[data-branch=nanjing]").get_by_role("link", name="评分").click()
    office.fill("#q-1-1", "1.6")
    office.click("#save-qualitative")
    expect(office.locator("#form-error")).to_contain_text("1-1 消委会机制运行：得分须在 0 至 1.5 分之间")
    office.fill("#q-1-1", "1.5")
    office.click("#save-qualitative")
    expect(office.locator(".alert-success")).to_contain_text("定性评分已保存")
    office.fill("#d-points", "4")
    office.fill("#d-reason", "重大投诉处理超时")
    office.set_input_files("#d-file", files=[{"name": "通报.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}])
    office.click("#add-deduction")
    expect(office.locator("#deductions")).to_contain_text("-4 分")
    expect(office.locator("#deductions")).to_contain_text("重大投诉处理超时")
    shot(office, "09-office-scores")
    office.goto(f"{e2e.url}/office/2023-08/")
    row = office.locator("#office-table tr[data-branch=nanjing]")
    expect(row).to_contain_text("1.5")
    expect(row).to_contain_text("-4.00")
