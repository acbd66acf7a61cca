"""The office's side of issue 4: qualitative scores, deductions and the veto; reminders; the audit pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import ApplicationError
from core.parsing import DECIMAL_MESSAGE
from kpi.entries import services
from kpi.models import Deduction, MonthlySubmission, Notice, QualitativeScore, Scheme, ScoreRun, SubmissionStatus, Veto
from tests.kpi.test_entries import eager  # noqa: F401  (fixture)

AUG = datetime.date(2023, 8, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def score(scheme, tree, users):
    """Save qualitative scores for nanjing as of a month: score({"1-1": "1.5"}, loaded={...})."""

    def call(scores, *, month=8, loaded=None, user=None, reason="", notes=None):
        return services.qualitative_scores_save(
            scheme=scheme,
            branch=tree["nanjing"],
            month=month,
            scores=scores,
            notes=notes or {},
            loaded=loaded if loaded is not None else {c: "" for c in scores},
            user=user or users["officer"],
            reason=reason,
        )

    return call


def messages(exc) -> list[str]:
    return [p.message for p in exc.value.extra.get("errors", [])]


def test_qualitative_scores_stay_within_each_items_maximum(score):
    with pytest.raises(ApplicationError) as exc:
        score({"1-1": "1.6", "1-2": "-0.5", "1-3": "abc"})
    assert messages(exc) == [
        "1-1 消委会机制运行：得分须在 0 至 1.5 分之间",
        "1-2 消保专职人员配备：得分须在 0 至 1 分之间",
        "1-3 消保工作协调和穿透式管理：" + DECIMAL_MESSAGE.format(value="abc"),
    ]
    score({"1-1": "1.5", "1-2": "0"})
    assert dict(QualitativeScore.objects.values_list("item_code", "score")) == {"1-1": Decimal("1.5"), "1-2": Decimal("0")}


def test_year_end_items_are_scored_in_december_only(score):
    with pytest.raises(ApplicationError) as exc:
        score({"2-3": "0.5"}, month=8)
    assert messages(exc) == ["2-3 消保内部培训：年末评价项，只能在 12 月评分"]
    score({"2-3": "0.5"}, month=12)
    assert QualitativeScore.objects.get(item_code="2-3").month == 12


def test_changing_a_score_needs_a_reason_and_is_kept_in_history(score, users):
    score({"1-1": "1.0"})
    with pytest.raises(ApplicationError) as exc:
        score({"1-1": "1.5"}, loaded={"1-1": "1.00"})
    assert messages(exc) == ["修改已有得分，须填写变更原因"]
    score({"1-1": "1.5"}, loaded={"1-1": "1.00"}, reason="补充材料后复评")
    latest = QualitativeScore.history.order_by("-history_date").first()
    change = latest.diff_against(latest.prev_record).changes
    assert [(c.old, c.new) for c in change if c.field == "score"] == [(Decimal("1.00"), Decimal("1.5"))]
    assert (latest.history_user, latest.history_change_reason) == (users["officer"], "补充材料后复评")


def test_a_stale_qualitative_page_is_refused(score, users):
    score({"1-1": "1.0"})
    score({"1-1": "1.2"}, loaded={"1-1": "1.0"}, reason="复评")
    with pytest.raises(ApplicationError) as exc:
        score({"1-1": "0.8"}, loaded={"1-1": "1.0"}, reason="另一人复评")
    assert exc.value.extra["conflict"] == [{"item": "1-1 消委会机制运行", "old": "1", "new": "1.2", "actor": "province"}]
    assert QualitativeScore.objects.get(item_code="1-1").score == Decimal("1.2")


def test_only_the_office_scores(score, users):
    with pytest.raises(PermissionDenied):
        score({"1-1": "1"}, user=users["nanjing_staff"])


def test_a_deduction_needs_a_reason_is_kept_negative_and_its_attachment_is_private(scheme, tree, users, client_for):
    officer = users["officer"]
    with pytest.raises(ApplicationError) as exc:
        services.deduction_add(scheme=scheme, branch=tree["nanjing"], month=8, points="", reason="", user=officer)
    assert messages(exc) == ["请填写扣分分值（不能为 0）", "请填写扣分原因"]
    deduction = services.deduction_add(
        scheme=scheme,
        branch=tree["nanjing"],
        month=8,
        points="4",
        reason="重大投诉处理不及时",
        user=officer,
        attachment=SimpleUploadedFile("通报.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    assert deduction.points == Decimal("-4")
    path = f"/attachments/deduction/{deduction.pk}/"
    assert client_for(officer).get(path).status_code == 200
    assert client_for(users["nanjing_staff"]).get(path).status_code == 200
    assert client_for(users["wuxi_staff"]).get(path).status_code == 404


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-4", services.DEDUCTION_SIGN),
        ("1e999999999999999999", DECIMAL_MESSAGE.format(value="1e999999999999999999")),
        ("1,5", DECIMAL_MESSAGE.format(value="1,5")),
        ("4.001", "扣分：最多保留 2 位小数"),
        ("100.01", "单项扣分不能超过 100 分"),
    ],
)
def test_a_deduction_is_typed_as_the_points_taken_off_and_nothing_else(scheme, tree, users, typed, message):
    """One rule for the sign: "4" means minus 4 points; "-4" is refused rather than also meaning minus 4."""
    with pytest.raises(ApplicationError) as exc:
        services.deduction_add(scheme=scheme, branch=tree["nanjing"], month=8, points=typed, reason="通报", user=users["officer"])
    assert messages(exc) == [message]
    assert not Deduction.objects.exists()


@pytest.mark.parametrize("typed", ["1e999999999999999999", "1e2", "1,5", "NaN"])
def test_a_qualitative_score_in_another_notation_is_refused(score, typed):
    with pytest.raises(ApplicationError) as exc:
        score({"1-1": typed})
    assert messages(exc) == ["1-1 消委会机制运行：" + DECIMAL_MESSAGE.format(value=typed)]
    assert not QualitativeScore.objects.exists()


def test_an_attachment_of_the_wrong_kind_is_refused(scheme, tree, users):
    with pytest.raises(ApplicationError, match="附件只能是"):
        services.deduction_add(
            scheme=scheme,
            branch=tree["nanjing"],
            month=8,
            points="2",
            reason="x",
            user=users["officer"],
            attachment=SimpleUploadedFile("run.exe", b"MZ"),
        )


def test_withdrawing_a_deduction_keeps_it_in_history_with_the_reason(scheme, tree, users):
    d = services.deduction_add(
        scheme=scheme, branch=tree["nanjing"], month=8, points="7", reason="通报批评", user=users["officer"]
    )
    with pytest.raises(ApplicationError, match="须填写原因"):
        services.deduction_delete(deduction=d, reason="", user=users["officer"])
    services.deduction_delete(deduction=d, reason="复核后撤销", user=users["officer"])
    assert not Deduction.objects.exists()
    gone = Deduction.history.filter(history_type="-").get()
    assert (gone.points, gone.history_change_reason, gone.history_user) == (Decimal("-7"), "复核后撤销", users["officer"])


def test_the_veto_needs_a_reason_once_per_year_and_can_be_revoked(scheme, tree, users):
    officer, nanjing = users["officer"], tree["nanjing"]
    with pytest.raises(ApplicationError, match="须填写原因"):
        services.veto_set(scheme=scheme, branch=nanjing, month=8, reason=" ", user=officer)
    veto = services.veto_set(scheme=scheme, branch=nanjing, month=8, reason="群体性投诉事件被媒体曝光", user=officer)
    with pytest.raises(ApplicationError, match="已有一票否决"):
        services.veto_set(scheme=scheme, branch=nanjing, month=9, reason="再次", user=officer)
    services.veto_revoke(veto=veto, reason="经复核不属实", user=officer)
    assert not Veto.objects.exists()
    assert Veto.history.filter(history_type="-", history_change_reason="经复核不属实").exists()


def test_office_changes_recompute_the_league_table(scheme, tree, users, client_for, eager, django_capture_on_commit_callbacks):  # noqa: F811
    officer = client_for(users["officer"])
    base = "/office/2023-08/nanjing/"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(base + "qualitative/", {"q-1-1": "1.5", "l-1-1": "", "q-3-2": "3", "l-3-2": "", "reason": ""})
    assert response.status_code == 302
    run = ScoreRun.objects.get(scheme=scheme, month=8, is_current=True)
    assert run.branch_scores.get(branch__code="nanjing").qualitative == Decimal("4.5")
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(base + "deductions/", {"points": "4", "reason": "通报"})
        officer.post(base + "veto/", {"reason": "媒体曝光"})
    row = ScoreRun.objects.get(scheme=scheme, month=8, is_current=True).branch_scores.get(branch__code="nanjing")
    assert (row.deductions, row.vetoed) == (Decimal("-4"), True)
    page = officer.get(base).content.decode()
    assert "通报" in page and "已否决" in page


def test_the_office_page_shows_errors_in_place(scheme, users, client_for):
    response = client_for(users["officer"]).post("/office/2023-08/nanjing/qualitative/", {"q-1-1": "9", "l-1-1": ""})
    assert response.status_code == 400
    assert "得分须在 0 至 1.5 分之间" in response.content.decode()


# ── reminders and notices ─────────────────────────────────────────────────────────────────────────


def test_officers_see_who_has_not_submitted_and_remind_them(scheme, tree, users, client_for):
    MonthlySubmission.objects.create(branch=tree["wuxi"], month=AUG, status=SubmissionStatus.SUBMITTED, revision=2)
    officer = client_for(users["officer"])
    page = officer.get("/review/2023-08/").content.decode()
    assert "尚未提交：南京中支" in page
    response = officer.post("/review/2023-08/remind/")
    assert response.status_code == 302
    [notice] = Notice.objects.all()
    assert notice.branch == tree["nanjing"] and "2023年8月" in notice.message and notice.link == "/entries/nanjing/2023-08/"
    staff = client_for(users["nanjing_staff"])
    assert "通知（1）" in staff.get("/entries/").content.decode()
    staff.post(f"/notices/{notice.pk}/read/")
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client_for(users["wuxi_staff"]).post(f"/notices/{notice.pk}/read/").status_code == 404


def test_staff_cannot_send_reminders(scheme, users):
    with pytest.raises(PermissionDenied):
        services.notices_remind(scheme=scheme, month=AUG, user=users["nanjing_staff"])


def test_the_navigation_offers_each_role_its_pages(scheme, users, client_for):
    staff = client_for(users["nanjing_staff"]).get("/entries/").content.decode()
    office = client_for(users["officer"]).get("/entries/").content.decode()
    nav = '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>'
    assert nav.format("/entries/", "填报") in staff and nav.format("/history/", "记录") in staff
    assert "/review/" not in staff and "/office/" not in staff
    assert nav.format("/review/", "审核") in office and nav.format("/office/", "评分") in office


# ── the audit pages ───────────────────────────────────────────────────────────────────────────────


def test_the_history_page_shows_scheme_and_office_changes_within_scope(scheme, tree, users, client_for):
    officer = users["officer"]
    services.deduction_add(scheme=scheme, branch=tree["wuxi"], month=8, points="2", reason="无锡通报", user=officer)
    s = Scheme.objects.get()
    s.name, s._change_reason = "2023年江苏消保考核方案（修订）", "更正名称"
    s.save()
    office = client_for(officer)
    assert "无锡通报" in office.get("/history/?kind=deductions").content.decode()
    page = office.get("/history/?kind=scheme").content.decode()
    assert "更正名称" in page and "2023年江苏消保考核方案（修订）" in page
    assert "无锡通报" not in client_for(users["nanjing_staff"]).get("/history/?kind=deductions").content.decode()


def test_the_history_page_costs_the_same_queries_however_many_changes(db, scheme, figure, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpi.entries.history import figure_history

    def queries_for(updates, month):
        record = figure("nanjing", "sl_nonbank_passed", 2023, month, "1")
        for n in range(updates):
            record.value = n + 2
            record.save()
        with CaptureQueriesContext(connection) as ctx:
            rows = figure_history(branch=tree["nanjing"], month=record.month)
        assert len(rows) == updates + 1
        assert [c.new for c in rows[0].changes] == [str(updates + 1)]
        return len(ctx.captured_queries)

    assert queries_for(3, 1) == queries_for(12, 2)
