"""Figures in bulk on the demo: the 2023-09 template through the page, the command and the API gives one answer;
a bad cell is refused by its address with nothing written; the API's dry run writes nothing; a repeated
Idempotency-Key writes once; the office's import approves its months, a branch's lands as its draft."""

import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from branches.models import Branch
from kpi.models import ImportBatch, MonthlyFigure, MonthlySubmission, SubmissionStatus
from tests.kpi.demo_clients import api, browser

SEPT = "2023-09"


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    call_command("load_demo", password="pw-12345678")
    global on_commit
    on_commit = django_capture_on_commit_callbacks


on_commit = None






def template(client, month=SEPT) -> bytes:
    response = client.get("/imports/template/", {"scheme": "jiangsu-2023", "month": month})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def filled(content: bytes, values) -> bytes:
    """The template with a value in every component cell of every branch row: values(row, column) → number."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    for r in range(5, sheet.max_row + 1):
        for c in range(3, sheet.max_column + 1):
            sheet.cell(row=r, column=c, value=values(r, c))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def september(r, c):
    # checked ≥ passed everywhere: a whole (denominator) column follows its part in the template? Keep every
    # value equal within a row so no part can exceed its whole.
    return 100 + r


def page_upload(client, content, name="sept.xlsx"):
    with on_commit(execute=True):  # the (eager) check task is queued on commit
        response = client.post("/imports/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportBatch.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def figures_of(month="2023-09-01"):
    return {(f.branch.code, f.component.code): f.value for f in MonthlyFigure.objects.filter(month=month).select_related("branch", "component")}


def test_the_september_template_gives_the_same_answer_through_page_command_and_api(demo, tmp_path, capsys):
    office = browser("province")
    content = filled(template(office), september)
    # the page: checked by the (eager) task, previewed, nothing written yet
    batch = page_upload(office, content)
    assert batch.status == "ready"
    assert figures_of() == {}
    page = batch.summary
    assert page["counts"]["created"] == 13 * 21 and page["counts"]["changed"] == 0
    assert page["sheets"][0]["layout"] == "wide" and page["sheets"][0]["month"] == SEPT
    # the effect on the live table is shown from the real engine: every branch gets a 1–9月 row
    assert page["effect"]["window"] == 9 and len(page["effect"]["rows"]) == 13
    preview = office.get(f"/imports/{batch.pk}/")
    assert "确认导入" in preview.content.decode() and "对试算排名的影响" in preview.content.decode()
    # the command, dry run
    path = tmp_path / "sept.xlsx"
    path.write_bytes(content)
    call_command("import_figures", str(path), "--dry-run", "--user", "province")
    printed = capsys.readouterr().out
    assert f"{SEPT}：将新增 273，将修改 0，不变 0" in printed
    # the API, dry run with the same file
    response = api("province").post("/api/v1/figures/?dry_run=true", {"file": SimpleUploadedFile("sept.xlsx", content)}, format="multipart")
    assert response.status_code == 200
    assert response.json()["counts"] == page["counts"] and response.json()["months"] == page["months"]
    assert figures_of() == {}
    # confirming on the page writes exactly the preview
    assert office.post(f"/imports/{batch.pk}/apply/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "applied"
    stored = figures_of()
    assert len(stored) == 273 and stored[("nanjing", "premium_wan")] == Decimal(100 + 5)
    # the office's own figures: the months are approved, their history says where they came from
    assert set(MonthlySubmission.objects.filter(month="2023-09-01").values_list("status", flat=True)) == {SubmissionStatus.APPROVED}
    figure = MonthlyFigure.objects.get(branch__code="nanjing", component__code="premium_wan", month="2023-09-01")
    assert figure.source == "import" and batch.sha256[:12] in figure.history.first().source_ref
    # the same file again: 无变化, through the command and the API alike
    again = page_upload(office, content)
    assert again.summary["status"] == "unchanged"
    assert "无变化" in office.get(f"/imports/{again.pk}/").content.decode()
    call_command("import_figures", str(path), "--user", "province")
    assert "无变化" in capsys.readouterr().out
    # and the template downloaded now holds what was imported: it imports back unchanged
    assert page_upload(office, template(office)).summary["status"] == "unchanged"


def test_a_letter_in_c7_is_refused_by_its_cell_with_nothing_written(demo, tmp_path, capsys):
    office = browser("province")
    book = load_workbook(io.BytesIO(filled(template(office), september)))
    book.active["C7"] = "12a"
    out = io.BytesIO()
    book.save(out)
    batch = page_upload(office, out.getvalue())
    assert batch.status == "invalid"
    errors = batch.summary["errors"]
    assert [(e["cell"], e["code"], e["value"]) for e in errors] == [(f"{SEPT}!C7", "NOT_A_NUMBER", "12a")]
    page = office.get(f"/imports/{batch.pk}/").content.decode()
    assert f"{SEPT}!C7" in page and "NOT_A_NUMBER" in page and "未写入任何数据" in page
    # confirming an invalid batch writes nothing
    office.post(f"/imports/{batch.pk}/apply/")
    assert figures_of() == {}
    # the marked workbook: C7 filled and commented, and a sheet listing the problem
    marked = load_workbook(io.BytesIO(office.get(f"/imports/{batch.pk}/errors.xlsx").content))
    assert "NOT_A_NUMBER" in marked[SEPT]["C7"].comment.text
    assert marked["错误清单"]["A2"].value == f"{SEPT}!C7"
    # the command prints `Sheet!A1 CODE message` and fails, nothing written
    path = tmp_path / "bad.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(Exception, match="1 处错误"):
        call_command("import_figures", str(path), "--user", "province")
    assert re.search(rf"^{SEPT}!C7 NOT_A_NUMBER ", capsys.readouterr().out, re.M)
    assert figures_of() == {}


def test_the_api_dry_run_writes_nothing_and_a_repeated_idempotency_key_writes_once(demo):
    client = api("province")
    body = {"figures": [
        {"branch": "nanjing", "month": SEPT, "component": "premium_wan", "value": 1234.5},
        {"branch": "南京市中心支公司", "month": "2023年9月", "component": "双录首次质检件数(非银邮代理)", "value": "20"},
        {"branch": "无锡", "month": SEPT, "component": "sl_nonbank_checked", "value": 30},
    ]}
    dry = client.post("/api/v1/figures/?dry_run=true", body, format="json")
    assert dry.status_code == 200 and dry.json()["status"] == "ready" and dry.json()["counts"]["created"] == 3
    assert figures_of() == {}
    first = client.post("/api/v1/figures/", body, format="json", HTTP_IDEMPOTENCY_KEY="erp-2023-09-001")
    assert first.status_code == 200 and first.json()["status"] == "applied"
    history_rows = MonthlyFigure.history.filter(month="2023-09-01").count()
    retry = client.post("/api/v1/figures/", body, format="json", HTTP_IDEMPOTENCY_KEY="erp-2023-09-001")
    assert retry.status_code == 200 and retry.json() == first.json()
    assert MonthlyFigure.history.filter(month="2023-09-01").count() == history_rows == 3
    assert figures_of()[("nanjing", "sl_nonbank_checked")] == Decimal("20")
    # the same key with other data is refused, not silently answered
    other = {"figures": [{**body["figures"][0], "value": 1}]}
    assert client.post("/api/v1/figures/", other, format="json", HTTP_IDEMPOTENCY_KEY="erp-2023-09-001").status_code == 409
    # conflicts answer 200 with per-value index and code; nothing of that request is written
    bad = {"figures": [{"branch": "nanjing", "month": SEPT, "component": "premium_wan", "value": "x"},
                       {"branch": "nowhere", "month": SEPT, "component": "premium_wan", "value": 1}]}
    answer = client.post("/api/v1/figures/", bad, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "invalid"
    assert [(c["index"], c["code"]) for c in answer.json()["conflicts"]] == [(0, "NOT_A_NUMBER"), (1, "UNKNOWN_BRANCH")]
    assert figures_of()[("nanjing", "premium_wan")] == Decimal("1234.5")
    # a malformed request is a 400
    assert client.post("/api/v1/figures/", {"figures": "no"}, format="json").status_code == 400
    # incremental pull: the figures just sent, newest first page
    pulled = client.get("/api/v1/figures/", {"month_from": SEPT, "month_to": SEPT}).json()
    assert pulled["count"] == 3 and {r["source"] for r in pulled["results"]} == {"api"}


def test_branch_staff_import_their_own_draft_only_and_approved_months_are_refused_per_cell(demo):
    client = api("nanjing")
    mine = client.post("/api/v1/figures/", {"figures": [{"branch": "nanjing", "month": SEPT, "component": "premium_wan", "value": 10}]}, format="json")
    assert mine.json()["status"] == "applied"
    assert MonthlySubmission.objects.get(branch__code="nanjing", month="2023-09-01").status == SubmissionStatus.DRAFT
    other = client.post("/api/v1/figures/", {"figures": [{"branch": "wuxi", "month": SEPT, "component": "premium_wan", "value": 10}]}, format="json")
    assert [c["code"] for c in other.json()["conflicts"]] == ["NOT_IN_SCOPE"]
    assert not MonthlyFigure.objects.filter(branch__code="wuxi", month="2023-09-01").exists()
    # August is approved in the demo: a changed value is MONTH_LOCKED, the same value is simply unchanged
    stored = MonthlyFigure.objects.get(branch__code="nanjing", component__code="premium_wan", month="2023-08-01").value
    body = {"figures": [{"branch": "nanjing", "month": "2023-08", "component": "premium_wan", "value": str(stored)},
                        {"branch": "nanjing", "month": "2023-08", "component": "sl_bank_checked", "value": 99999}]}
    answer = api("province").post("/api/v1/figures/?dry_run=true", body, format="json").json()
    assert [c["code"] for c in answer["conflicts"]] == ["MONTH_LOCKED"] and answer["counts"]["unchanged"] == 1
    assert json.dumps(answer, ensure_ascii=False).count("figures[1]") == 1


def test_a_branch_import_asks_for_entered_figures_only_and_an_office_import_for_everything(demo):
    """A branch's import writes entered figures (its recompute keeps the complaint counts the runs kept); the
    office's approves the month, which locks its complaint counts: that recompute counts the cases again."""
    from kpi.models import RecomputeRequest

    def request():
        return RecomputeRequest.objects.get(scheme__code="jiangsu-2023", month=9, done_at=None)

    nanjing = Branch.objects.get(code="nanjing").pk
    body = {"figures": [{"branch": "nanjing", "month": SEPT, "component": "premium_wan", "value": 10}]}
    assert api("nanjing").post("/api/v1/figures/", body, format="json").json()["status"] == "applied"
    assert (request().branches, request().entered_only) == ([nanjing], True)
    body["figures"][0]["value"] = 11
    assert api("province").post("/api/v1/figures/", body, format="json").json()["status"] == "applied"
    assert MonthlySubmission.objects.get(branch=nanjing, month="2023-09-01").status == SubmissionStatus.APPROVED
    assert (request().branches, request().entered_only) == ([nanjing], False)
