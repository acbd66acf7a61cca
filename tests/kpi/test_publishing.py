"""Official league tables on the demo: a published window is frozen, late data waits to be restated openly,
provisional windows say so, and addresses stay valid (issue 7's "done when")."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from kpi import selectors
from kpi.models import LockedDerivedFigure, MonthlySubmission, Notice, NoticeKind, Publication, SubmissionAction
from kpi.publishing import selectors as league
from kpi.publishing import services as publishing
from tests.kpi.demo_clients import api, browser, user

WINDOW = "/league/jiangsu-2023/2023-08/"
BACKDATED = {
    "branch": "nanjing",
    "source": "regulator",
    "received_at": "2023-05-10T09:30:00+08:00",
    "category": "sales",
    "summary": "业务员夸大收益",
    "customer_name": "李四",
    "customer_phone": "13912345678",
    "customer_id_number": "320102198001011238",
    "regulator_ref": "苏金监消转〔2023〕901号",
}


@pytest.fixture
def demo(db):
    call_command("load_demo", password="pw-12345678")
    return selectors.scheme_get(code="jiangsu-2023")








def row(body, branch):
    return next(r for r in body["rows"] if r["branch"] == branch)


def league_api(name="nanjing", query="month=8"):
    return api(name).get(f"/api/v1/league/?scheme=jiangsu-2023&{query}").json()


def test_the_demo_publishes_the_journals_window_as_revision_1_and_everyone_lands_there(demo):
    publication = Publication.objects.get(scheme=demo, month=8)
    assert (publication.revision, publication.reference) == (1, "《江苏消保》2023年第2期")
    for name in ("nanjing", "province"):
        assert browser(name).get("/league/").url == WINDOW
    page = browser("wuxi").get(WINDOW).content.decode()
    assert "已发布 · 第1版" in page and "98.56" in page and "80.50" in page
    body = league_api("wuxi", "")
    assert (body["month"], body["revision"], row(body, "changzhou")["rank"], row(body, "yancheng")["total"]) == (
        8, 1, 1, "80.50")


def test_running_load_demo_again_after_use_keeps_what_visitors_did_and_still_serves(demo):
    assert api("nanjing").post("/api/v1/complaints/", BACKDATED, format="json").status_code == 201
    call_command("load_demo", password="pw-12345678")
    assert Publication.objects.filter(scheme=demo).count() == 1
    assert browser("province").get(WINDOW).status_code == 200


def test_a_backdated_case_leaves_the_published_table_and_waits_as_a_correction_until_republished(
    demo, django_capture_on_commit_callbacks
):
    before = league_api()
    assert (row(before, "nanjing")["total"], row(before, "nanjing")["rank"]) == ("94.87", 5)

    with django_capture_on_commit_callbacks(execute=True):  # the recomputes it queues run (eager Celery)
        response = api("nanjing").post("/api/v1/complaints/", BACKDATED, format="json")
    assert response.status_code == 201, response.json()
    case_id = response.json()["id"]

    # The published table and its API do not move; May of nanjing is approved, so the live one does not either.
    after = league_api()
    assert (row(after, "nanjing")["total"], row(after, "nanjing")["rank"]) == ("94.87", 5)
    assert after["revision"] == 1 and after["status"] == "published"
    assert live_nanjing(demo).total == Decimal("94.87")

    # The office sees the change waiting on the approved month, with the case linked; so does the case page.
    office_page = browser("province").get(WINDOW).content.decode()
    assert "待重新发布" in office_page and f"/complaints/{case_id}/" in office_page
    restatement = league.restatement(scheme=demo, month=8)
    [correction] = [c for c in restatement.corrections if c.component.code == "reg_complaints"]
    assert (correction.branch.code, correction.month, correction.locked, correction.live) == (
        "nanjing", datetime.date(2023, 5, 1), Decimal(2), Decimal(3))
    assert "影响已审核月份" in browser("nanjing").get(f"/complaints/{case_id}/").content.decode()
    # Branch staff see neither the notice nor anything else new.
    assert "待重新发布" not in browser("nanjing").get(WINDOW).content.decode()

    # Accepting it moves the live table (not the published one) and records it on May's timeline.
    month = datetime.date(2023, 5, 1)
    for code in [c.component.code for c in restatement.corrections if c.branch.code == "nanjing"]:
        pending = next(c for c in league.restatement(scheme=demo, month=8).corrections if c.component.code == code)
        with django_capture_on_commit_callbacks(execute=True):
            publishing.correction_accept(branch=pending.branch, month=month, component_code=code,
                                         expected=str(pending.live), user=user("province"), reason="补录5月监管转办件")
    assert LockedDerivedFigure.objects.get(branch__code="nanjing", month=month, component__code="reg_complaints").value == 3
    assert MonthlySubmission.objects.get(branch__code="nanjing", month=month).events.filter(
        action=SubmissionAction.CORRECTED).exists()
    live = league_api("province", "month=8&live=true")
    assert (row(live, "nanjing")["total"], row(live, "nanjing")["rank"]) == ("90.46", 7)
    assert (row(league_api(), "nanjing")["total"], row(league_api(), "nanjing")["rank"]) == ("94.87", 5)
    restatement = league.restatement(scheme=demo, month=8)
    nanjing_change = next(c for c in restatement.changes if c.branch == "nanjing")
    assert (nanjing_change.old_total, nanjing_change.new_total, nanjing_change.old_rank, nanjing_change.new_rank) == (
        Decimal("94.87"), Decimal("90.46"), 5, 7)
    assert any("投诉" in c.what and c.link == f"/complaints/{case_id}/" for c in restatement.causes)

    # Republishing makes revision 2 with the difference recorded; revision 1 stays readable; branches are told.
    response = browser("province").post(f"{WINDOW}publish/", {"note": "南京5月补录监管转办件，更正排名"})
    assert response.status_code == 302 and response.url == f"{WINDOW}r2/"
    r2 = league_api()
    assert (r2["revision"], row(r2, "nanjing")["total"], row(r2, "nanjing")["rank"]) == (2, "90.46", 7)
    r1 = league_api(query="month=8&revision=1")
    assert (r1["revision"], row(r1, "nanjing")["total"], row(r1, "nanjing")["rank"]) == (1, "94.87", 5)
    assert "已被第2版更正" in browser("nanjing").get(f"{WINDOW}r1/").content.decode()
    recorded = Publication.objects.get(scheme=demo, month=8, revision=2).changes
    assert {"branch": "nanjing", "old_total": "94.87", "new_total": "90.46"}.items() <= next(
        c for c in recorded if c["branch"] == "nanjing").items()
    assert Notice.objects.filter(kind=NoticeKind.PUBLICATION, branch__code="nanjing", link=f"{WINDOW}r2/").exists()
    history = browser("province").get("/history/?kind=publications").content.decode()
    assert "第2版" in history and "南京5月补录监管转办件" in history
    assert league.restatement(scheme=demo, month=8).needed is False


def test_leaving_a_correction_needs_a_reason_and_clears_the_notice_until_the_cases_change_again(demo):
    api("nanjing").post("/api/v1/complaints/", BACKDATED, format="json")
    pending = next(c for c in league.restatement(scheme=demo, month=8).corrections if c.component.code == "reg_complaints")
    args = {"branch": pending.branch, "month": pending.month, "component_code": "reg_complaints", "expected": "3"}
    with pytest.raises(publishing.ApplicationError, match="原因"):
        publishing.correction_leave(**args, user=user("province"), reason=" ")
    publishing.correction_leave(**args, user=user("province"), reason="该件已在6月计入")
    assert not [c for c in league.restatement(scheme=demo, month=8).corrections if c.component.code == "reg_complaints"]
    api("nanjing").post("/api/v1/complaints/", {**BACKDATED, "regulator_ref": "苏金监消转〔2023〕902号"}, format="json")
    assert [c for c in league.restatement(scheme=demo, month=8).corrections if c.component.code == "reg_complaints"]


def test_a_stale_correction_is_refused_and_changes_nothing(demo):
    api("nanjing").post("/api/v1/complaints/", BACKDATED, format="json")
    pending = next(c for c in league.restatement(scheme=demo, month=8).corrections if c.component.code == "reg_complaints")
    with pytest.raises(publishing.ApplicationError, match="又有变化"):
        publishing.correction_accept(branch=pending.branch, month=pending.month, component_code="reg_complaints",
                                     expected="7", user=user("province"))
    assert LockedDerivedFigure.objects.get(branch__code="nanjing", month=pending.month, component__code="reg_complaints").value == 2


def test_republishing_an_unchanged_window_is_refused(demo):
    with pytest.raises(publishing.ApplicationError, match="完全相同"):
        publishing.window_publish(scheme=demo, month=8, user=user("province"), note="再发一次")
    assert Publication.objects.filter(scheme=demo).count() == 1


def test_branch_staff_may_not_publish(demo):
    assert browser("nanjing").post(f"{WINDOW}publish/", {"note": "x"}).status_code == 403


def test_a_september_draft_changes_nobodys_landing_page_and_its_window_says_provisional(
    demo, django_capture_on_commit_callbacks
):
    form = {"revision": "0", "action": "save", "reason": "", "c-sl_nonbank_passed": "90", "c-sl_nonbank_checked": "100"}
    with django_capture_on_commit_callbacks(execute=True):
        assert browser("nanjing").post("/entries/nanjing/2023-09/", form).status_code == 302
    assert 9 in selectors.computed_months(scheme=demo)
    for name in ("nanjing", "province", "admin"):
        assert browser(name).get("/league/").url == WINDOW
    assert league_api()["month"] == 8
    live = browser("province").get("/league/jiangsu-2023/2023-09/live/").content.decode()
    assert "未发布 · 试算" in live and "9月：0/13 已审核" in live and "8月：13/13 已审核" in live
    assert "全省" in live  # what the provisional targets rest on (the pooled provincial average)
    assert browser("nanjing").get("/league/jiangsu-2023/2023-09/").status_code == 404



def live_nanjing(scheme):
    """nanjing in the live 1–8月 table."""
    return selectors.current_run(scheme=scheme, month=8).branch_scores.get(branch__code="nanjing")


def test_the_office_notice_lists_the_first_changed_branches_and_counts_the_rest(demo, monkeypatch):
    """A republish that would move thousands of branches does not put thousands of rows on the office's page: the
    notice lists the first RESTATEMENT_SHOWN in the live table's order and counts the others."""
    from django.db.models import F

    from kpi import services
    from kpi.models import MonthlyFigure

    # every branch's August self-service passes wiped out, then the window recomputed: most totals move
    MonthlyFigure.objects.filter(month=datetime.date(2023, 8, 1), component__code="sl_nonbank_passed").update(value=F("value") * 0)
    services.score_run_compute(scheme=demo, month=8)
    changes = league.restatement(scheme=demo, month=8).changes
    assert len(changes) > 3
    assert [c.new_rank for c in changes] == sorted(c.new_rank for c in changes)
    monkeypatch.setattr(league, "RESTATEMENT_SHOWN", 3)
    page = browser("province").get(WINDOW).content.decode()
    notice = page[page.index('id="restatement"'):page.index("</section>", page.index('id="restatement"'))]
    listed = [c.branch for c in changes if f'data-branch="{c.branch}"' in notice]
    assert listed == [c.branch for c in changes[:3]]
    assert f"另有 {len(changes) - 3} 家机构会变化" in notice
