"""The one API error body, {"code", "message", "fields"}, for every error the API answers, and its schema."""

import dataclasses
import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint
from core.api import exception_handler
from core.error_codes import ErrorCode
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError


@dataclasses.dataclass
class Problem:
    message: str
    component: str | None = None


def _body(response) -> dict:
    """The body as a client reads it (plain JSON), checked to have exactly the three keys."""
    body = json.loads(json.dumps(response.data)) if hasattr(response, "data") else response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["code"] in {c.value for c in ErrorCode}
    return body


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


# ── the handler, error by error ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ApplicationError("本月数据已提交。"), 400, "rule_violated"),
        (ConflictError("保存未成功：已被他人修改。", extra={"conflict": [{"actor": "王"}]}), 409, "conflict"),
        (NotFoundError("找不到该案件。"), 404, "not_found"),
        (PermissionDeniedError("无权审核。"), 403, "permission_denied"),
    ],
)
def test_each_application_error_class_maps_to_its_status_once(error, status, code):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert _body(response) == {"code": code, "message": error.message, "fields": {}}


def test_a_service_problem_list_becomes_per_field_messages():
    exc = ApplicationError(
        "有 2 处错误，未保存。", extra={"errors": [Problem("数值不能为负", "reg_complaints"), Problem("请填写原因", "reason")]}
    )
    assert _body(exception_handler(exc, {})) == {
        "code": "rule_violated",
        "message": "有 2 处错误，未保存。",
        "fields": {"reg_complaints": ["数值不能为负"], "reason": ["请填写原因"]},
    }


def test_nested_validation_errors_are_flattened_with_a_chinese_summary():
    exc = exceptions.ValidationError({"month": ["月份无效"], "items": [{}, {"value": ["不是数字"]}]})
    body = _body(exception_handler(exc, {}))
    assert body["code"] == "invalid"
    assert body["fields"] == {"month": ["月份无效"], "items.1.value": ["不是数字"]}
    assert body["message"] == ErrorCode.INVALID.default_message


def test_a_single_field_error_is_also_the_message_and_non_field_errors_are_not_fields():
    assert _body(exception_handler(exceptions.ValidationError({"days": ["须在 1 至 366 之间"]}), {}))["message"] == (
        "须在 1 至 366 之间"
    )
    body = _body(exception_handler(exceptions.ValidationError({"non_field_errors": ["两个日期颠倒了"]}), {}))
    assert (body["message"], body["fields"]) == ("两个日期颠倒了", {})


def test_django_validation_errors_answer_the_same_shape():
    body = _body(exception_handler(DjangoValidationError({"__all__": ["整体有误"], "phone": ["号码无效"]}), {}))
    assert body == {"code": "invalid", "message": "整体有误", "fields": {"phone": ["号码无效"]}}


def test_throttling_says_when_to_try_again_in_chinese():
    response = exception_handler(exceptions.Throttled(wait=2.2), {})
    assert response.status_code == 429 and response["Retry-After"] == "3"
    assert _body(response) == {"code": "throttled", "message": "请求过于频繁，请 3 秒后再试。", "fields": {}}


# ── through HTTP: each status the API answers ─────────────────────────────────────────────────────


@pytest.mark.django_db
def test_no_token_is_401_in_chinese_and_a_bad_token_too():
    response = _api().get("/api/v1/schemes/")
    assert response.status_code == 401 and response.has_header("WWW-Authenticate")
    assert _body(response)["code"] == "not_authenticated"
    response = APIClient(HTTP_AUTHORIZATION="Token 0000").get("/api/v1/schemes/")
    body = _body(response)
    assert (response.status_code, body["code"]) == (401, "authentication_failed")
    assert "令牌" in body["message"]


def test_a_token_signs_in_its_user_with_the_branch_every_answer_is_scoped_by(users, django_assert_num_queries):
    from core.authentication import BranchTokenAuthentication

    key = Token.objects.create(user=users["nanjing_staff"]).key
    with django_assert_num_queries(1):
        user, token = BranchTokenAuthentication().authenticate_credentials(key)
        assert (user, token.key, user.branch.code) == (users["nanjing_staff"], key, "nanjing")
    users["nanjing_staff"].is_active = False
    users["nanjing_staff"].save()
    with pytest.raises(exceptions.AuthenticationFailed):
        BranchTokenAuthentication().authenticate_credentials(key)


def test_an_english_drf_message_is_replaced_by_ours(db, settings):
    response = APIClient(HTTP_AUTHORIZATION="Token 0000").get("/api/v1/schemes/", HTTP_COOKIE="django_language=en")
    assert _body(response)["message"] == ErrorCode.AUTHENTICATION_FAILED.default_message


def test_a_view_refusal_keeps_its_own_chinese_reason(users):
    case = {
        "branch": "wuxi",
        "source": "self",
        "received_at": "2023-09-28",
        "category": "sales",
        "summary": "业务员夸大收益",
        "customer_name": "李四",
    }
    response = _api(users["nanjing_staff"]).post("/api/v1/complaints/", case, format="json")
    assert response.status_code == 403
    assert _body(response) == {"code": "permission_denied", "message": "无权为该机构登记投诉。", "fields": {}}
    assert not Complaint.objects.exists()


def test_another_branchs_case_and_an_unknown_scheme_are_404(users):
    response = _api(users["nanjing_staff"]).get("/api/v1/complaints/999999/")
    assert (response.status_code, _body(response)["code"]) == (404, "not_found")
    response = _api(users["officer"]).get("/api/v1/league/?scheme=nope")
    body = _body(response)
    assert (response.status_code, body["code"], body["message"]) == (404, "not_found", ErrorCode.NOT_FOUND.default_message)


def test_unknown_api_urls_answer_json_404_not_a_page(users):
    response = _api(users["officer"]).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert _body(response) == {"code": "not_found", "message": ErrorCode.NOT_FOUND.default_message, "fields": {}}


def test_malformed_json_is_a_parse_error(users):
    response = _api(users["nanjing_staff"]).post("/api/v1/complaints/", "{not json", content_type="application/json")
    assert (response.status_code, _body(response)["code"]) == (400, "parse_error")


def test_wrong_method_and_wrong_media_type(users):
    client = _api(users["nanjing_staff"])
    response = client.delete("/api/v1/schemes/")
    assert (response.status_code, _body(response)["code"]) == (405, "method_not_allowed")
    response = client.post("/api/v1/complaints/", "branch=nanjing", content_type="text/plain")
    assert (response.status_code, _body(response)["code"]) == (415, "unsupported_media_type")


def test_session_callers_without_csrf_token_get_the_error_body(users):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["nanjing_staff"])
    response = client.post("/api/v1/complaints/", {}, format="json")
    assert (response.status_code, _body(response)["code"]) == (403, "permission_denied")


# ── the schema documents what the handler answers ────────────────────────────────────────────────


@pytest.fixture
def schema(users):
    client = APIClient()
    client.force_login(users["officer"])
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_every_operation_documents_its_error_answers_with_the_one_error_body(schema):
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"401", "403"}
            if operation.get("parameters") or "requestBody" in operation:
                expected |= {"400", "404"}
            if method in ("post", "put", "patch", "delete"):
                expected.add("409")
            assert expected <= set(responses), (method, path)
            for status in expected:
                assert {k: v for k, v in responses[status].items() if k == "content"} == error, (method, path, status)


def test_the_error_component_lists_every_code(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["code", "fields", "message"]
    assert components["ErrorCodeEnum"]["enum"] == [c.value for c in ErrorCode]
