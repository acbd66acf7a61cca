"""The complaints REST API: token auth with the user's role and branch, scope, steps, bad input, the calendar endpoint."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from complaints.models import Complaint, Extension

from .conftest import D

NEW = {
    "branch": "nanjing",
    "source": "regulator",
    "received_at": "2023-09-28T09:30:00+08:00",
    "category": "sales",
    "summary": "业务员夸大收益",
    "customer_name": "李四",
    "customer_phone": "13912345678",
    "customer_id_number": "320102198001011238",
    "regulator_ref": "苏金监消转〔2023〕101号",
}


def test_api_token_prints_a_token_that_acts_as_the_user(users):
    out = io.StringIO()
    call_command("api_token", "nanjing", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 40
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/api/v1/complaints/", NEW, format="json").status_code == 201
    assert client.post("/api/v1/complaints/", {**NEW, "branch": "wuxi"}, format="json").status_code == 403


def test_without_credentials_the_api_refuses(db):
    assert APIClient().get("/api/v1/complaints/").status_code in (401, 403)


def test_create_answers_201_with_the_due_date_and_how_it_was_computed(users, api_for):
    response = api_for(users["nanjing_staff"]).post("/api/v1/complaints/", NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["decision_due_on"] == "2023-10-13" and body["number"] == "TS2023-nanjing-00001"
    assert body["decision_due_explanation"][0] == "收到投诉 2023年9月28日（当日不计）"
    assert body["decision_due_explanation"][-1] == "期限届满日：2023年10月13日"
    assert body["customer_phone"] == "13912345678"  # the branch's own staff handle the customer
    assert {d["key"] for d in body["deadlines"]} >= {"decision", "limit15", "acceptance"}


def test_a_date_alone_means_that_day(users, api_for):
    body = api_for(users["officer"]).post("/api/v1/complaints/", {**NEW, "received_at": "2023-12-25"}, format="json").json()
    assert body["received_on"] == "2023-12-25" and body["decision_due_on"] == "2024-01-09"
    assert body["received_at"].startswith("2023-12-25T00:00:00+08:00")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"branch": "atlantis"}, "branch", "未知机构代码：atlantis"),
        ({"received_at": "yesterday"}, "received_at", "时间格式无效"),
        ({"source": "press"}, "source", "press"),
        ({"received_at": "2099-01-01"}, None, "不能晚于当前时间"),
        ({"received_at": "2999-01-01"}, "received_at", "时间格式无效"),
        ({"customer_name": ""}, None, "请填写客户姓名"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_creates_nothing(users, api_for, change, field, message):
    response = api_for(users["officer"]).post("/api/v1/complaints/", {**NEW, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert message in (str(body["fields"][field]) if field else body["message"])
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("user", "branch", "status"),
    [
        ("nanjing_staff", "nanjing", 201),
        ("nanjing_staff", "jiangning", 201),
        ("nanjing_staff", "wuxi", 403),
        ("county_staff", "jiangning", 201),
        ("county_staff", "nanjing", 403),
        ("wuxi_staff", "nanjing", 403),
        ("officer", "wuxi", 201),
        ("admin", "jiangning", 201),
    ],
)
def test_create_permission_matrix(users, api_for, user, branch, status):
    assert api_for(users[user]).post("/api/v1/complaints/", {**NEW, "branch": branch}, format="json").status_code == status
    assert Complaint.objects.count() == (1 if status == 201 else 0)


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
def test_read_permission_matrix(users, api_for, intake, user, visible):
    cases = {code: intake(branch=code) for code in ("nanjing", "jiangning", "wuxi")}
    client = api_for(users[user])
    listed = {row["branch"] for row in client.get("/api/v1/complaints/").json()["results"]}
    assert listed == visible
    for code, case in cases.items():
        assert client.get(f"/api/v1/complaints/{case.pk}/").status_code == (200 if code in visible else 404)
        assert client.get(f"/api/v1/complaints/{case.pk}/timeline/").status_code == (200 if code in visible else 404)


def test_steps_on_another_branchs_case_answer_404_and_change_nothing(users, api_for, intake):
    case = intake(branch="nanjing")
    response = api_for(users["wuxi_staff"]).post(
        f"/api/v1/complaints/{case.pk}/accept/", {"accepted_on": "2023-09-28"}, format="json"
    )
    assert response.status_code == 404
    assert Complaint.objects.get(pk=case.pk).status == "received"


@pytest.mark.parametrize("user", ["officer", "admin"])
def test_the_office_sees_personal_data_masked(users, api_for, intake, user):
    case = intake(branch="nanjing")
    body = api_for(users[user]).get(f"/api/v1/complaints/{case.pk}/").json()
    assert (body["customer_name"], body["customer_phone"], body["customer_id_number"]) == (
        "张*",
        "138****5678",
        "320***********1232",
    )
    assert api_for(users["nanjing_staff"]).get(f"/api/v1/complaints/{case.pk}/").json()["customer_phone"] == "13812345678"


def test_the_whole_handling_through_the_api(users, api_for):
    client = api_for(users["nanjing_staff"])
    pk = client.post("/api/v1/complaints/", NEW, format="json").json()["id"]

    def step(name, payload, status=200):
        response = client.post(f"/api/v1/complaints/{pk}/{name}/", payload, format="json")
        assert response.status_code == status, response.json()
        return response.json()

    step("accept", {"accepted_on": "2023-09-28", "handler": "nanjing"})
    step("investigate", {"note": "调取双录"})
    body = step("extend", {"granted_on": "2023-10-10", "approver": "王经理", "reason": "需调取双录"})
    assert body["decision_due_on"] == "2023-10-28" and body["extensions"][0]["limit_days"] == 30
    body = step("pause", {"kind": "appraisal", "started_on": "2023-10-12"})
    assert body["decision_due_on"] is None
    assert step("resume", {"ended_on": "2023-10-14"})["decision_due_on"] == "2023-10-30"
    step("repeat-calls", {"called_at": "2023-10-15T10:00:00+08:00", "note": "催办"})
    step("decide", {"decided_on": "2023-10-20", "decision": "协商退保", "reasons": "销售过程存在瑕疵"})
    body = step("notify", {"notice_on": "2023-10-21", "notice_method": "phone"})
    assert body["status"] == "notified" and not body["is_overdue"] and body["ended_on"] == "2023-10-21"
    step("callback", {"callback_on": "2023-10-23", "satisfaction": "satisfied"})
    assert step("close", {"closed_on": "2023-10-24"})["status"] == "closed"
    kinds = [e["kind"] for e in client.get(f"/api/v1/complaints/{pk}/timeline/").json()]
    assert kinds == [
        "created",
        "accepted",
        "investigating",
        "extended",
        "paused",
        "resumed",
        "repeat_call",
        "decided",
        "notified",
        "callback",
        "closed",
    ]


def test_extension_without_reason_and_decision_before_receipt_are_400_and_change_nothing(users, api_for, intake, take):
    case = take(intake(received="2023-09-28"), "accepted")
    client = api_for(users["nanjing_staff"])
    before = client.get(f"/api/v1/complaints/{case.pk}/").json()
    response = client.post(
        f"/api/v1/complaints/{case.pk}/extend/", {"granted_on": "2023-10-05", "approver": "王经理"}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"code": "rule_violated", "message": "延期必须填写原因。", "fields": {}},
    )
    response = client.post(
        f"/api/v1/complaints/{case.pk}/decide/",
        {"decided_on": "2023-09-27", "decision": "维持", "reasons": "符合条款"},
        format="json",
    )
    assert response.status_code == 400 and "不能早于收到投诉日期" in response.json()["message"]
    assert client.get(f"/api/v1/complaints/{case.pk}/").json() == before
    assert not Extension.objects.exists()


def test_list_filters_and_paginates(users, api_for, intake, take, officer):
    from complaints import services

    take(intake(received="2023-03-01", source="regulator"), "notified")
    open_case = intake(received="2023-03-02")
    services.complaints_mark_overdue(today=D("2023-04-01"))
    for _ in range(3):
        take(intake(branch="wuxi", received="2023-05-01", category="attitude"), "notified")
    client = api_for(users["officer"])

    def numbers(query):
        return {r["number"] for r in client.get(f"/api/v1/complaints/?{query}").json()["results"]}

    assert numbers("overdue=true") == {open_case.number}
    assert len(numbers("branch=wuxi&category=attitude")) == 3
    assert len(numbers("source=regulator")) == 1
    assert len(numbers("status=received&branch=nanjing")) == 1
    assert client.get("/api/v1/complaints/?branch=atlantis").status_code == 400
    page = client.get("/api/v1/complaints/").json()
    assert (page["count"], page["next"], len(page["results"])) == (5, None, 5)
    assert client.get("/api/v1/complaints/?page=2").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("start=2023-09-27&days=5", {"date": "2023-10-10", "official": True}),
        ("start=2023-01-20&days=1", {"date": "2023-01-28", "official": True}),
        ("start=2026-12-28&days=3", {"date": "2026-12-31", "official": True}),
        ("start=2026-12-28&days=5", {"date": "2027-01-05", "official": False}),
    ],
)
def test_add_workdays_endpoint(users, api_for, query, expected):
    response = api_for(users["wuxi_staff"]).get(f"/api/v1/calendar/add-workdays/?{query}")
    assert (response.status_code, response.json()) == (200, expected)


def test_add_workdays_refuses_bad_input(users, api_for):
    response = api_for(users["wuxi_staff"]).get("/api/v1/calendar/add-workdays/?start=2023-02-30&days=-1")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"start", "days"}


def test_openapi_schema_and_docs_are_served_without_internet(users, client_for):
    client = client_for(users["officer"])
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/complaints/",
        "/api/v1/complaints/{id}/",
        "/api/v1/complaints/{id}/extend/",
        "/api/v1/calendar/add-workdays/",
    } <= set(paths)
    assert "requestBody" in paths["/api/v1/complaints/"]["post"]
    assert {p["name"] for p in paths["/api/v1/complaints/"]["get"]["parameters"]} >= {"branch", "overdue", "due_within", "source"}
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


def test_the_list_does_not_query_per_row(users, api_for, intake, django_assert_max_num_queries):
    for i in range(30):
        intake(branch=("nanjing", "jiangning", "wuxi")[i % 3], received="2023-03-01")
    client = api_for(users["officer"])
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/complaints/").json()["count"] == 30


def test_add_workdays_refuses_dates_out_of_range(users, api_for):
    response = api_for(users["wuxi_staff"]).get("/api/v1/calendar/add-workdays/?start=9999-12-30&days=5")
    assert response.status_code == 400 and "日期无效" in str(response.json()["fields"]["start"])


# ---------------------------------------------------------------- too long for the column: 400 in Chinese, not a 500


@pytest.mark.parametrize(
    ("field", "limit", "label"),
    [
        ("customer_name", 60, "客户姓名"),
        ("customer_phone", 30, "联系电话"),
        ("customer_id_number", 30, "证件号码"),
        ("policy_number", 40, "保单号"),
        ("regulator_ref", 80, "监管转办编号"),
        ("major_reason", 300, "重大投诉说明"),
    ],
)
def test_too_long_intake_text_is_a_400_naming_the_field(users, api_for, field, limit, label):
    response = api_for(users["nanjing_staff"]).post(
        "/api/v1/complaints/", {**NEW, "is_major": True, "major_reason": "群体投诉", field: "长" * (limit + 1)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"][field] == [f"{label}不能超过 {limit} 个字。"]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("step", "data", "field"),
    [
        ("extend", {"granted_on": "2023-10-05", "approver": "王" * 61, "reason": "复杂"}, "approver"),
        ("pause", {"kind": "appraisal", "started_on": "2023-10-05", "note": "说" * 301}, "note"),
        ("repeat-calls", {"called_at": "2023-10-05T10:00", "note": "来" * 301}, "note"),
        ("major", {"is_major": True, "reason": "群" * 301}, "reason"),
        ("merge", {"into": "TS" * 21, "merged_on": "2023-10-05"}, "into"),
    ],
)
def test_too_long_step_text_is_a_400(users, api_for, step, data, field):
    client = api_for(users["nanjing_staff"])
    pk = client.post("/api/v1/complaints/", NEW, format="json").json()["id"]
    response = client.post(f"/api/v1/complaints/{pk}/{step}/", data, format="json")
    assert response.status_code == 400 and "不能超过" in response.json()["fields"][field][0]


def test_a_long_reason_for_new_facts_fits_the_restart_that_quotes_it(users, api_for):
    client = api_for(users["nanjing_staff"])
    first = client.post("/api/v1/complaints/", NEW, format="json").json()
    repeat = client.post("/api/v1/complaints/", {**NEW, "received_at": "2023-10-02"}, format="json").json()
    reason = "补充材料" * 75  # 300 characters, and the merge puts the repeat's number in front of them
    response = client.post(
        f"/api/v1/complaints/{repeat['id']}/merge/",
        {"into": first["number"], "merged_on": "2023-10-03", "new_facts": True, "reason": reason},
        format="json",
    )
    assert response.status_code == 200, response.json()
    restart = Complaint.objects.get(pk=first["id"]).restarts.get()
    assert restart.reason.endswith(reason) and len(restart.reason) > 300
