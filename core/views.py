"""Error pages in Chinese with a way back; under /api/ the same errors answer the one JSON error body.

Pages for 400/403/404 are rendered with the request (the navigation bar shows who is signed in); the
500 and 503 pages are rendered from the template alone, so they show even when the database, the
session or a context processor is what failed.
"""

import logging
import math
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

from core.api import error_json_response, is_api_request
from core.error_codes import ErrorCode

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)

# Shown if even the template cannot be rendered (a broken template directory, a missing static manifest).
_BARE_PAGE = (
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{title} · 消保考核</title></head>'
    '<body><h1>{title}</h1><p>{text}</p><p><a href="/">返回首页</a></p></body></html>'
)


def _back_url(request) -> str | None:
    """The previous page, if the browser says it and it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return None


def _safe_back_url(request) -> str | None:
    try:
        return _back_url(request)
    except Exception:  # noqa: BLE001 — a disallowed Host header must not turn an error page into another error
        return None


def _page(request, template: str, status: int, *, with_request: bool, message: str = "", **extra) -> HttpResponse:
    context = {"back_url": _safe_back_url(request), "message": message, **extra}
    try:
        html = loader.get_template(template).render(context, request if with_request else None)
    except DATABASE_ERRORS:
        raise  # handler500 answers it with the 503 page
    except Exception:
        logger.exception("error page %s could not be rendered", template)
        html = _BARE_PAGE.format(title=status, text=ErrorCode.SERVER_ERROR.default_message)
    return HttpResponse(html, status=status)


def _chinese_detail(exception) -> str:
    """The reason a view gave (Http404("…"), PermissionDenied("…")) when it is a sentence for the user."""
    text = str(exception.args[0]) if exception is not None and getattr(exception, "args", None) else ""
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ""


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.INVALID, 400, _chinese_detail(exception) or None)
    return _page(request, "errors/400.html", 400, with_request=False, message=_chinese_detail(exception))


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.PERMISSION_DENIED, 403, _chinese_detail(exception) or None)
    return _page(request, "errors/403.html", 403, with_request=True, message=_chinese_detail(exception))


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.NOT_FOUND, 404, _chinese_detail(exception) or None)
    return _page(request, "errors/404.html", 404, with_request=True, message=_chinese_detail(exception))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or foreign form, said in Chinese with a way back."""
    if is_api_request(request):
        return error_json_response(ErrorCode.PERMISSION_DENIED, 403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试。")
    return _page(request, "errors/403_csrf.html", 403, with_request=False)


def database_unavailable(request) -> HttpResponse:
    """503 while the database cannot be reached: a Chinese page, or the JSON error body under /api/."""
    if is_api_request(request):
        response = error_json_response(ErrorCode.SERVICE_UNAVAILABLE, 503)
    else:
        response = _page(request, "errors/503.html", 503, with_request=False)
    response["Retry-After"] = "30"
    return response


def server_error(request):
    """handler500: an unexpected error stays a 500 (Django has logged it); a database outage is a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    if is_api_request(request):
        return error_json_response(ErrorCode.SERVER_ERROR, 500)
    return _page(request, "errors/500.html", 500, with_request=False)


def lockout(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: too many failed logins, said in Chinese with when to try again (429)."""
    from axes.helpers import get_cool_off, get_failure_limit

    if is_api_request(request):
        return error_json_response(ErrorCode.THROTTLED, 429, "登录失败次数过多，已暂时锁定，请稍后再试。")
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return _page(
        request,
        "errors/429_lockout.html",
        429,
        with_request=True,
        failure_limit=get_failure_limit(request, credentials),
        minutes=minutes,
    )
