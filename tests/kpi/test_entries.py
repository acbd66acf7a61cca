"""Branch data entry: validation, the review state machine, scope, optimistic locking, audit, recompute, preview.

Given the shipped 2023 scheme on the small test tree (nanjing and wuxi are scored; jiangning is a
county under nanjing), when people save, submit, review and reopen months, then the rules of
issue 4 hold.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import ApplicationError
from core.parsing import DECIMAL_MESSAGE
from kpi import selectors as kpi_selectors
from kpi.entries import selectors, services
from kpi.entries.preview import entries_preview
from kpi.models import MonthlyFigure, MonthlySubmission, Notice, ScoreRun, SubmissionStatus

JAN = datetime.date(2023, 1, 1)
FEB = datetime.date(2023, 2, 1)


@pytest.fixture
def eager():
    """Run queued recomputes in-process even when REDIS_URL points at a broker (CI's second run)."""
    from config.celery_app import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def layout(scheme):
    return selectors.entry_layout(version=scheme.version_in_force())


@pytest.fixture
def full(layout):
    """A complete, valid month: 100 of every entered component (every part equals its whole)."""

    def make(**overrides):
        raw = {code: "100" for code in layout.entered}
        raw.update({k: str(v) for k, v in overrides.items()})
        return raw

    return make


@pytest.fixture
def save(scheme, layout, tree):
    """Call the save service for a branch and month as a user; revision defaults to the month's current one."""

    def call(user, raw, *, branch="nanjing", month=JAN, submit=False, revision=None, reason=""):
        b = tree[branch]
        if revision is None:
            revision = selectors.submission_get(branch=b, month=month).revision
        return services.figures_save(
            scheme=scheme,
            layout=layout,
            branch=b,
            month=month,
            raw=raw,
            revision=revision,
            user=user,
            submit=submit,
            reason=reason,
        )

    return call


def url(branch="nanjing", month="2023-01", action=""):
    return f"/entries/{branch}/{month}/{action + '/' if action else ''}"


def post_form(client, raw, *, branch="nanjing", month="2023-01", revision=0, action="save", reason=""):
    data = {f"c-{k}": v for k, v in raw.items()}
    data.update(revision=revision, action=action, reason=reason)
    return client.post(url(branch, month), data)


def error_messages(exc) -> list[str]:
    return [p.message for p in exc.value.extra.get("errors", [])]


# ── validation ────────────────────────────────────────────────────────────────────────────────────


def test_every_error_names_its_component_in_chinese(save, users, full):
    raw = full(
        sl_nonbank_passed="abc", sl_nonbank_checked="-1", sl_bank_checked="1.5", claims_decided_paid="120", claims_decided="100"
    )
    with pytest.raises(ApplicationError) as exc:
        save(users["nanjing_staff"], raw)
    messages = error_messages(exc)
    assert "双录首次质检合格件数(非银邮代理)：" + DECIMAL_MESSAGE.format(value="abc") in messages
    assert "双录首次质检件数(非银邮代理)：不能为负数" in messages
    assert "双录质检件数(银邮代理)：单位为“件”，须填整数" in messages
    assert "已决获赔件数（120）不能大于已决理赔件数（100）" in messages
    assert not MonthlyFigure.objects.exists(), "a month with errors saves nothing"


@pytest.mark.parametrize("typed", ["1,5", "1e2", "NaN", "1e999999999999999999", "100000000000000"])
def test_a_figure_in_another_notation_is_refused_not_misread(save, users, full, typed):
    """`1,5` was read as 15 and `1e2` as 100; an exponent past the context overflowed into a 500."""
    with pytest.raises(ApplicationError) as exc:
        save(users["nanjing_staff"], full(sl_nonbank_checked=typed))
    assert any(m.startswith("双录首次质检件数(非银邮代理)：") for m in error_messages(exc))
    assert not MonthlyFigure.objects.exists()


def test_a_draft_may_be_partial_but_submitting_needs_every_figure(save, users, layout):
    staff = users["nanjing_staff"]
    result = save(staff, {"sl_nonbank_passed": "90", "sl_nonbank_checked": "100"})
    assert [c["component"] for c in result.changes] == ["sl_nonbank_passed", "sl_nonbank_checked"]
    with pytest.raises(ApplicationError) as exc:
        save(staff, {"sl_nonbank_passed": "90", "sl_nonbank_checked": "100"}, submit=True)
    required = [m for m in error_messages(exc) if m.endswith("：必填")]
    assert len(required) == len(layout.entered) - 2


def test_a_stored_value_cannot_be_cleared(save, users, full):
    staff = users["nanjing_staff"]
    save(staff, full())
    with pytest.raises(ApplicationError) as exc:
        save(staff, full(premium_wan=""))
    assert "保费收入：已保存的数值不能清空（如为零请填 0）" in error_messages(exc)


def test_chinese_ways_of_typing_numbers_are_accepted(save, users, full):
    save(users["nanjing_staff"], full(premium_wan="１２,３４５.６", transferred_cases=" 1,200 "))
    values = dict(MonthlyFigure.objects.values_list("component__code", "value"))
    assert values["premium_wan"] == Decimal("12345.6")
    assert values["transferred_cases"] == Decimal("1200")


def test_warnings_flag_a_jump_from_last_month_and_from_the_province_but_do_not_block(save, users, full, figure):
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")
    figure("wuxi", "event_to_pay_days", 2023, 2, "300")
    figure("wuxi", "claims_paid_cases", 2023, 2, "10")
    figure("wuxi", "own_complaints", 2023, 2, "10")
    result = save(
        users["nanjing_staff"], full(sl_nonbank_checked="400", event_to_pay_days="9000", claims_paid_cases="100"), month=FEB
    )
    texts = [w.message for w in result.warnings]
    assert "双录首次质检件数(非银邮代理)：较上月（100）增加 300%，请核对" in texts
    assert any(t.startswith("案均出险支付周期：本月 90.00天，其他机构本月合计 30.00天") for t in texts)
    assert not any(t.startswith("自收投诉件数(同比)") for t in texts), "a count is not compared with the others' total"
    assert MonthlyFigure.objects.get(branch__code="nanjing", month=FEB, component__code="sl_nonbank_checked").value == 400


# ── the review state machine ──────────────────────────────────────────────────────────────────────


def test_draft_submitted_returned_corrected_approved_reopened(save, users, full, tree):
    staff, officer, nanjing = users["nanjing_staff"], users["officer"], tree["nanjing"]

    def sub():
        return MonthlySubmission.objects.get(branch=nanjing, month=JAN)

    save(staff, full(), reason="首次填报")
    assert (sub().status, sub().revision) == (SubmissionStatus.DRAFT, 1)
    save(staff, full(), submit=True)
    assert sub().status == SubmissionStatus.SUBMITTED and sub().submitted_by == staff
    assert Notice.objects.get(branch=tree["jiangsu"]).message == "南京中支已提交2023年1月的月度数据，请审核。"

    with pytest.raises(ApplicationError, match="等待省公司审核"):
        save(staff, full(premium_wan="99"))
    with pytest.raises(PermissionDenied):
        services.submission_approve(branch=nanjing, month=JAN, user=staff, revision=sub().revision)
    with pytest.raises(ApplicationError, match="须填写退回原因"):
        services.submission_return(branch=nanjing, month=JAN, user=officer, revision=sub().revision, comment=" ")

    services.submission_return(branch=nanjing, month=JAN, user=officer, revision=sub().revision, comment="保费收入有误")
    assert (sub().status, sub().comment) == (SubmissionStatus.RETURNED, "保费收入有误")
    assert Notice.objects.filter(branch=nanjing).get().message == "省公司退回了2023年1月的月度数据：保费收入有误"

    save(staff, full(premium_wan="12000"), reason="更正保费")
    save(staff, full(premium_wan="12000"), submit=True)
    services.submission_approve(branch=nanjing, month=JAN, user=officer, revision=sub().revision)
    assert sub().status == SubmissionStatus.APPROVED and sub().reviewed_by == officer

    for who in (staff, officer):
        with pytest.raises(ApplicationError, match="已审核锁定"):
            save(who, full(premium_wan="1"), reason="试图修改")
    with pytest.raises(PermissionDenied):
        services.submission_reopen(branch=nanjing, month=JAN, user=staff, revision=sub().revision, reason="想改")
    with pytest.raises(ApplicationError, match="须填写原因"):
        services.submission_reopen(branch=nanjing, month=JAN, user=officer, revision=sub().revision, reason="")
    services.submission_reopen(branch=nanjing, month=JAN, user=officer, revision=sub().revision, reason="监管口径调整")
    assert sub().status == SubmissionStatus.RETURNED
    save(staff, full(premium_wan="12500"), reason="按新口径")

    timeline = [(e.action, e.actor.username, e.comment) for e in reversed(selectors.submission_timeline(submission=sub()))]
    assert timeline == [
        ("saved", "nanjing", "首次填报"),
        ("submitted", "nanjing", ""),
        ("returned", "province", "保费收入有误"),
        ("saved", "nanjing", "更正保费"),
        ("submitted", "nanjing", ""),
        ("approved", "province", ""),
        ("reopened", "province", "监管口径调整"),
        ("saved", "nanjing", "按新口径"),
    ]


def test_only_a_submitted_month_can_be_approved_or_returned(save, users, full, tree):
    save(users["nanjing_staff"], full())
    with pytest.raises(ApplicationError, match="不能审核通过并锁定"):
        services.submission_approve(branch=tree["nanjing"], month=JAN, user=users["officer"], revision=1)


def test_an_officer_correcting_a_submitted_month_must_say_why(save, users, full):
    save(users["nanjing_staff"], full(), submit=True)
    with pytest.raises(ApplicationError, match="须填写修改说明"):
        save(users["officer"], full(premium_wan="150"))
    save(users["officer"], full(premium_wan="150"), reason="按财务口径更正")
    assert MonthlyFigure.objects.get(component__code="premium_wan").value == 150


def test_the_pages_follow_the_state_machine(client_for, users, full, save):
    staff, officer = client_for(users["nanjing_staff"]), client_for(users["officer"])
    assert 'id="save"' in staff.get(url()).content.decode()
    response = post_form(staff, full(), action="submit")
    assert response.status_code == 302
    page = staff.get(url()).content.decode()
    assert "已提交待审核" in page and 'id="save"' not in page and "等待省公司审核" in page
    assert staff.post(url(action="approve"), {"revision": 1}).status_code == 403
    page = officer.get(url()).content.decode()
    assert 'id="approve"' in page and 'id="return"' in page
    officer.post(url(action="approve"), {"revision": 1})
    page = staff.get(url()).content.decode()
    assert "已审核锁定" in page and "readonly" in page and 'id="save"' not in page
    assert 'id="reopen"' in officer.get(url()).content.decode()


# ── scope: another branch answers 404 ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize("path", [url("nanjing"), url("nanjing", action="preview"), url("nanjing", action="history")])
def test_staff_of_another_branch_get_404(client_for, users, scheme, path):
    client = client_for(users["wuxi_staff"])
    response = client.post(path, {}) if path.endswith("preview/") else client.get(path)
    assert response.status_code == 404


def test_staff_cannot_save_into_another_branch_either(client_for, users, full, scheme):
    response = post_form(client_for(users["wuxi_staff"]), full())
    assert response.status_code == 404
    assert not MonthlyFigure.objects.exists()


def test_county_staff_see_neither_their_prefecture_nor_a_form_of_their_own(client_for, users, scheme):
    # Decision: the 2023 scheme scores prefectures; their counties' figures are entered by the prefecture.
    county = client_for(users["county_staff"])
    assert county.get(url("nanjing")).status_code == 404
    assert county.get(url("jiangning")).status_code == 404
    assert "不在" in county.get("/entries/").content.decode()


def test_officers_open_every_branch_and_nothing_opens_a_future_or_bad_month(client_for, users, scheme):
    officer = client_for(users["officer"])
    assert officer.get(url("nanjing")).status_code == 200
    assert officer.get(url("wuxi")).status_code == 200
    assert officer.get(url("nanjing", "2023-13")).status_code == 404
    future = datetime.date.today().replace(day=1) + datetime.timedelta(days=40)
    assert officer.get(url("nanjing", f"{future:%Y-%m}")).status_code == 404


def test_review_and_office_pages_are_for_the_office(client_for, users, scheme):
    staff = client_for(users["nanjing_staff"])
    assert staff.get("/review/2023-01/").status_code == 403
    assert staff.get("/office/2023-01/").status_code == 403
    assert client_for(users["officer"]).get("/review/2023-01/").status_code == 200


# ── no lost updates ───────────────────────────────────────────────────────────────────────────────


def test_the_second_save_of_a_stale_form_is_refused_and_says_what_changed(save, users, full):
    first, second = users["nanjing_staff"], users["officer"]
    save(first, full())
    loaded = 1  # both opened the month at revision 1
    save(first, full(premium_wan="120"), revision=loaded)
    with pytest.raises(ApplicationError) as exc:
        save(second, full(premium_wan="130", transferred_cases="90"), revision=loaded, reason="复核")
    assert "保存未成功" in exc.value.message and "nanjing" in exc.value.message
    [event] = exc.value.extra["conflict"]
    assert event["actor"] == "nanjing"
    assert event["changes"] == [{"component": "premium_wan", "name": "保费收入", "old": "100", "new": "120"}]
    values = dict(MonthlyFigure.objects.values_list("component__code", "value"))
    assert values["premium_wan"] == 120 and values["transferred_cases"] == 100, "nothing of the stale save was written"


def test_the_conflict_page_merges_what_it_safely_can(client_for, users, full, save):
    save(users["nanjing_staff"], full())
    save(users["nanjing_staff"], full(premium_wan="120", transferred_cases="110"), revision=1)
    # The officer loaded revision 1, left premium alone, and changed transferred_cases too.
    response = post_form(client_for(users["officer"]), full(transferred_cases="90"), revision=1)
    page = response.content.decode()
    assert response.status_code == 409
    assert "保存未成功" in page and "保费收入 100 → 120" in page
    assert 'name="c-premium_wan" value="120"' in page, "a field the officer did not touch takes the new value"
    assert 'name="c-transferred_cases" value="90"' in page and "他人已改为 110" in page
    assert 'name="revision" value="2"' in page


# ── audit ─────────────────────────────────────────────────────────────────────────────────────────


def test_every_change_of_a_figure_keeps_who_when_old_new_and_why(save, users, full, client_for):
    staff = users["nanjing_staff"]
    save(staff, full())
    save(staff, full(premium_wan="125.5"), reason="补录分红险保费")
    record = MonthlyFigure.history.filter(component__code="premium_wan").order_by("-history_date").first()
    change = record.diff_against(record.prev_record).changes
    assert [(c.field, c.old, c.new) for c in change if c.field == "value"] == [("value", Decimal("100.0000"), Decimal("125.5"))]
    assert (record.history_user, record.history_change_reason) == (staff, "补录分红险保费")
    page = client_for(users["officer"]).get(url(action="history")).content.decode()
    assert "补录分红险保费" in page and "125.5" in page and "保费收入" in page


# ── recompute ─────────────────────────────────────────────────────────────────────────────────────


def test_a_month_counts_in_the_league_table_once_approved(client_for, users, full, eager, django_capture_on_commit_callbacks):
    staff, officer = client_for(users["nanjing_staff"]), client_for(users["officer"])
    with django_capture_on_commit_callbacks(execute=True):
        post_form(staff, full(sl_nonbank_passed="9448", sl_nonbank_checked="10000"), action="submit")
    run = ScoreRun.objects.get(month=1, is_current=True)
    score = run.branch_scores.get(branch__code="nanjing")
    cell = score.cell("sl_nonbank")
    explanation = kpi_selectors.cell_explanation(run=run, score=score, indicator_code="sl_nonbank")
    assert cell.points == 0 and "缺少数据" in explanation["steps"][0]  # submitted, not yet approved
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(url(action="approve"), {"revision": 1})
    newer = ScoreRun.objects.get(month=1, is_current=True)
    cell = newer.branch_scores.get(branch__code="nanjing").cell("sl_nonbank")
    assert newer.pk != run.pk and cell.points == Decimal("3.90")
    page = staff.get(url()).content.decode()
    assert "排名计算于" in page


# ── the live preview ──────────────────────────────────────────────────────────────────────────────


def test_preview_scores_stored_months_plus_the_typed_month_and_says_the_next_step(client_for, users, figure, scheme):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "9448")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "10000")
    response = client_for(users["nanjing_staff"]).post(
        url(month="2023-02", action="preview"), {"c-sl_nonbank_passed": "9448", "c-sl_nonbank_checked": "10000"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="pv-sl_nonbank"' in page and 'hx-swap-oob="true"' in page
    assert "94.48%" in page and "3.90" in page
    assert "再提升 0.52 个百分点可得 4.00 分" in page
    response = client_for(users["nanjing_staff"]).post(
        url(month="2023-02", action="preview"), {"c-sl_nonbank_passed": "9600", "c-sl_nonbank_checked": "10000"}
    )
    page = response.content.decode()
    assert "95.24%" in page and "4.20" in page, "YTD = (9448 + 9600) / (10000 + 10000)"


def test_the_provincial_average_in_the_preview_includes_the_typed_figures(scheme, layout, tree, figure):
    figure("wuxi", "reg_complaints", 2023, 1, "3")
    figure("wuxi", "premium_wan", 2023, 1, "10000")
    preview = entries_preview(
        scheme=scheme,
        layout=layout,
        branch=tree["nanjing"],
        month=JAN,
        typed={"reg_complaints": Decimal("1"), "premium_wan": Decimal("30000")},
    )
    cell = preview.indicators["reg_complaints_per_100m"]
    assert cell.target == Decimal("1")  # (3 + 1) / (10000 + 30000) × 10000
    assert cell.ytd_value == Decimal("1") / Decimal("30000") * 10000
    assert cell.points == Decimal("11.33")  # r = 1/3 → 10 + 2 × (1 − 1/3)


def test_derived_components_are_read_only_with_their_source(scheme, client_for, users):
    from kpi.models import Component

    Component.objects.filter(code__in=["reg_complaints", "reg_closed_15d"]).update(source="derived")
    page = client_for(users["nanjing_staff"]).get(url()).content.decode()
    assert 'name="c-reg_complaints"' not in page and 'name="c-reg_closed_15d"' not in page
    assert "由投诉记录生成，只读" in page and "来源：由投诉记录生成" in page
    assert 'name="c-premium_wan"' in page


def test_numbers_are_shown_with_thousands_separators_and_inputs_stay_plain(client_for, users, figure):
    figure("nanjing", "premium_wan", 2023, 1, "123456.7")
    figure("nanjing", "premium_wan", 2023, 2, "120000")
    page = client_for(users["nanjing_staff"]).get(url(month="2023-02")).content.decode()
    assert '上月 <span class="num">123,456.7</span>' in page
    assert 'name="c-premium_wan" value="120000"' in page
