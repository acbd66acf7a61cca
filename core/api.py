"""REST API glue shared by every app: the one error body, the one exception handler, its schema.

Every API error answers `{"code": …, "message": …, "fields": {…}}` (`core.error_codes.ErrorCode`,
a Chinese sentence, per-field lists of Chinese messages). The exception handler below is the only
place that turns an exception into a status code; `AutoSchema` documents those answers on every
operation, so the OpenAPI schema and the handler cannot drift apart.
"""

import math
import re
from collections import defaultdict

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from drf_spectacular import openapi
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.error_codes import ERROR_CODE_CHOICES, ErrorCode
from core.errors import ApplicationError, http_status

API_PREFIX = "/api/"

# DRF's own messages are replaced by ours unless a view raised the exception with a Chinese sentence.
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__", ""}


def is_chinese(text: str) -> bool:
    """Whether a message was written for our users (DRF's and Django's own defaults are replaced by ours)."""
    return bool(_CHINESE.search(text))


def is_api_request(request) -> bool:
    """Requests under /api/ are answered in JSON, everything else with pages."""
    return request.path_info.startswith(API_PREFIX)


def error_body(code: ErrorCode, message: str | None = None, fields: dict[str, list[str]] | None = None) -> dict:
    """The one shape of every API error."""
    return {"code": code.value, "message": message or code.default_message, "fields": fields or {}}


def error_json_response(code: ErrorCode, status: int, message: str | None = None) -> JsonResponse:
    """An error answered outside DRF (unknown URL, server error, database outage) in the same shape."""
    return JsonResponse(error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False})


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (documented on every operation by `AutoSchema`)."""

    code = serializers.ChoiceField(choices=ERROR_CODE_CHOICES, help_text="稳定的错误代码，供程序判断")
    message = serializers.CharField(help_text="给用户看的中文说明")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="各字段的中文错误信息；没有字段错误时为 {}",
    )


def _flatten(detail, prefix: str, into: dict[str, list[str]]) -> None:
    """DRF's nested error detail as `{"field": [...], "items.0.value": [...]}`."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            _flatten(value, f"{prefix}.{key}" if prefix and key not in _NON_FIELD_KEYS else (prefix or key), into)
    elif isinstance(detail, list | tuple):
        for i, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                _flatten(item, f"{prefix}.{i}" if prefix else str(i), into)
            else:
                into[prefix].append(str(item))
    else:
        into[prefix].append(str(detail))


def _validation_body(detail) -> dict:
    collected: dict[str, list[str]] = defaultdict(list)
    _flatten(detail, "", collected)
    general = [m for key in _NON_FIELD_KEYS for m in collected.pop(key, [])]
    fields = {key: messages for key, messages in collected.items() if messages}
    if general:
        message = " ".join(general)
    elif sum(len(m) for m in fields.values()) == 1:
        message = next(iter(fields.values()))[0]
    else:
        message = None
    return error_body(ErrorCode.INVALID, message, fields)


def _problem_fields(extra: dict) -> dict[str, list[str]]:
    """Services attach `errors` (problems with a message and the field, component or indicator they concern)."""
    fields: dict[str, list[str]] = defaultdict(list)
    for problem in extra.get("errors", []):
        where = next((getattr(problem, a, None) for a in ("field", "component", "indicator") if getattr(problem, a, None)), None)
        if where:
            fields[str(where)].append(str(problem.message))
    return dict(fields)


def _api_exception_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return _validation_body(exc.detail)
    try:
        code = ErrorCode(exc.default_code)
    except ValueError:
        code = ErrorCode.SERVER_ERROR if exc.status_code >= 500 else ErrorCode.INVALID
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        return error_body(code, f"请求过于频繁，请 {math.ceil(exc.wait)} 秒后再试。")
    detail = exc.detail if isinstance(exc.detail, str) else ""
    return error_body(code, detail if is_chinese(detail) and code in _KEEPS_DETAIL else None)


# Codes whose message a view may set (e.g. PermissionDenied("无权为该机构登记投诉。")); the others are DRF's own.
_KEEPS_DETAIL = {
    ErrorCode.NOT_FOUND,
    ErrorCode.PERMISSION_DENIED,
    ErrorCode.AUTHENTICATION_FAILED,
    ErrorCode.NOT_AUTHENTICATED,
}


def exception_handler(exc, context):
    """Every API error, whatever raised it, as the one error body with the status its class maps to.

    Anything else (a bug, a database outage) is not handled here: it stays a 500 and is logged, or
    becomes a 503 in `core.middleware.DatabaseUnavailableMiddleware`.
    """
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, _problem_fields(exc.extra)), status=http_status(exc))
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate / Retry-After, rolls back
    if response is not None:
        response.data = _api_exception_body(exc)
    return response


# ── the schema ─────────────────────────────────────────────────────────────────────────────────────

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_ERROR_DESCRIPTIONS = {
    400: "输入无效或业务规则不允许（fields 列出各字段的问题）",
    401: "未登录或令牌无效",
    403: "无权执行该操作",
    404: "找不到，或不在您的机构范围内",
    409: "数据已被他人修改（并发冲突），未保存",
    429: "请求过于频繁",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the error answers of each operation, all with `ErrorSerializer`.

    Which errors an operation can answer follows from what it is, so no view has to list them:
    input (parameters or a body) can be invalid (400) or name something missing or out of scope (404);
    a signed-in operation can be refused without a valid token (401) or by the permission layer (403);
    a write can meet a concurrent change (409); throttled views can answer 429. A status a view
    documents itself is left as the view says.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response")
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            responses.setdefault(
                str(status),
                {"content": {"application/json": {"schema": error.ref}}, "description": _ERROR_DESCRIPTIONS[status]},
            )
        return operation

    def _error_statuses(self, operation: dict) -> list[int]:
        statuses = []
        has_input = bool(operation.get("parameters")) or "requestBody" in operation
        signed_in = bool(operation.get("security")) and {} not in operation["security"]
        if has_input:
            statuses.append(400)
        if signed_in:
            statuses += [401, 403]
        if has_input:
            statuses.append(404)
        if self.method in _UNSAFE:
            statuses.append(409)
        if self.view.get_throttles():
            statuses.append(429)
        return sorted(statuses)
