"""Issue 8, items 1 and 6 on the complaints pages and API: bad input is a Chinese 400, never a 500 or a silent fallback."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints import services
from complaints.models import CalendarYear, Complaint, RepeatCall
from core import parsing
from core.errors import ApplicationError
from tests.complaints.conftest import at

NEW = {
    "branch": "nanjing",
    "source": "self",
    "received_at": "2023-09-28T09:30:00+08:00",
    "category": "claims",
    "summary": "理赔未处理",
    "customer_name": "李四",
}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?due_within=3000000", parsing.DAY_COUNT_MESSAGE),
        ("?due_within=3000000&format=xlsx", parsing.DAY_COUNT_MESSAGE),
        ("?due_within=1.5", parsing.DAY_COUNT_MESSAGE),
        ("?received_from=2023-02-30", parsing.DATE_MESSAGE),
        ("?figure=own_complaints&month_from=0001-01", parsing.MONTH_MESSAGE),
    ],
)
def test_a_bad_case_list_filter_is_a_400_page_that_says_why(users, client_for, intake, query, message):
    intake()
    response = client_for(users["nanjing_staff"]).get(reverse("complaints:case-list") + query)
    page = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert message in page and 'id="input-error"' in page
    assert "data-number=" not in page, "a bad filter lists nothing rather than everything"


@pytest.mark.parametrize("query", ["?due_within=99999999", "?due_within=-1", "?month_to=9999-12", "?received_to=0001-01-01"])
def test_a_bad_api_filter_is_a_json_400(users, api_for, query):
    response = api_for(users["nanjing_staff"]).get("/api/v1/complaints/" + query)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    field = query[1:].split("=")[0]
    assert response.json()["fields"][field][0] in (parsing.DAY_COUNT_MESSAGE, parsing.MONTH_MESSAGE, parsing.DATE_MESSAGE)


def test_a_day_count_within_bounds_still_filters(users, api_for, intake):
    intake(received="2023-09-28")
    assert api_for(users["nanjing_staff"]).get("/api/v1/complaints/?due_within=3660").status_code == 200


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2023-13", "²023-05"])
def test_the_publication_refuses_a_month_out_of_range_instead_of_showing_another(users, client_for, month):
    client = client_for(users["officer"])
    for suffix in ("", "&format=xlsx"):
        response = client.get(reverse("complaints:publication") + f"?month={month}{suffix}")
        assert response.status_code == 400 and parsing.MONTH_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?month_from=0001-01&month_to=9999-12", parsing.MONTH_MESSAGE),
        ("?month_from=2023-05&month_to=2023-01", "起始月份不能晚于截止月份"),
    ],
)
def test_the_indicator_page_refuses_months_out_of_range(users, client_for, query, message):
    response = client_for(users["officer"]).get(reverse("complaints:indicators") + query)
    assert response.status_code == 400 and message in response.content.decode()


BAD_TIMES = ["2023-02-30", "2023-10-08T25:00:00", "2024-01-01T12:99:00Z", "0001-01-01", "0750-05-01", "1021-01-01", "1900-01-01"]


@pytest.mark.parametrize("value", BAD_TIMES)
def test_an_impossible_receipt_time_is_refused_by_the_api_and_the_page(users, api_for, client_for, value):
    response = api_for(users["officer"]).post("/api/v1/complaints/", {**NEW, "received_at": value}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["received_at"] == [parsing.DATETIME_MESSAGE]
    page = client_for(users["officer"]).post(
        reverse("complaints:case-create"), {**NEW, "received_at": value.replace("Z", ""), "channel": "hotline"}
    )
    assert page.status_code == 400 and parsing.DATETIME_MESSAGE in page.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("value", BAD_TIMES)
def test_an_impossible_call_time_is_refused(users, api_for, intake, value):
    case = intake()
    response = api_for(users["officer"]).post(f"/api/v1/complaints/{case.pk}/repeat-calls/", {"called_at": value}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["called_at"] == [parsing.DATETIME_MESSAGE]
    assert not RepeatCall.objects.exists()


def test_the_service_refuses_a_receipt_before_2000_whoever_calls_it(intake):
    with pytest.raises(ApplicationError, match="时间格式无效"):
        intake(received="1900-01-01")


def test_times_are_echoed_in_rfc3339_with_plus_eight(users, api_for):
    body = api_for(users["officer"]).post("/api/v1/complaints/", {**NEW, "received_at": "2023-09-28"}, format="json").json()
    assert body["received_at"] == "2023-09-28T00:00:00+08:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer_phone": "abcdefg"}, parsing.PHONE_MESSAGE),
        ({"customer_id_number": "12345"}, parsing.ID_NUMBER_MESSAGE),
        ({"customer_id_number": "320102199001011234"}, parsing.ID_NUMBER_MESSAGE),  # wrong check digit
        ({"source": "regulator", "regulator_ref": ""}, "监管转办的投诉须填写监管转办编号。"),
    ],
)
def test_customer_details_that_cannot_be_right_are_refused(users, api_for, change, message):
    response = api_for(users["officer"]).post("/api/v1/complaints/", {**NEW, **change}, format="json")
    assert response.status_code == 400 and response.json()["message"] == message
    assert not Complaint.objects.exists()


def test_an_edit_cannot_drop_the_regulator_reference_or_break_the_phone(intake, officer):
    case = intake(source="regulator")
    with pytest.raises(ApplicationError, match="监管转办编号"):
        services.complaint_update(actor=officer, case=case, regulator_ref="")
    with pytest.raises(ApplicationError, match="联系电话无效"):
        services.complaint_update(actor=officer, case=case, customer_phone="abcdefg")
    services.complaint_update(actor=officer, case=case, customer_phone="025-84561234", received_at=at("2023-09-27"))
    assert Complaint.objects.get(pk=case.pk).customer_phone == "025-84561234"


def test_a_calendar_xlsx_without_a_workbook_part_is_refused_in_chinese(users, client_for):
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    upload = SimpleUploadedFile("2027.xlsx", content.getvalue())
    response = client_for(users["officer"]).post(reverse("complaints:calendar-import"), {"year": 2027, "file": upload})
    assert response.status_code == 400 and "文件无法读取" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
