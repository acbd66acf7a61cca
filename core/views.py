"""Error pages in Chinese with a way back; under /api/ the same errors answer the one JSON error body.

Pages for 400/403/404 are rendered with the request (the navigation bar shows who is signed in); the
500 and 503 pages are rendered from the template alone, so they show even when the database, the
session or a context processor is what failed.
"""

import logging
import math
import sys

from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from core.api import error_json_response, is_api_request, is_chinese
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
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 page of a bad Host header must not fail on it again
        return None
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return referer
    return None


# status → (heading, what happened and what to do)
PAGES = {
    400: (_("请求有误"), _("请求的地址参数或提交的内容无法处理，本次没有保存任何内容。请检查后重试。")),
    403: (_("无权访问"), _("您没有查看此页面或执行此操作的权限。如需权限，请联系省公司考核人员或系统管理员。")),
    "csrf": (_("页面已过期"), _("表单已过期或无法确认来自本系统，本次没有保存任何内容。请返回上一页，刷新后重新提交。")),
    404: (_("找不到页面"), _("您访问的页面不存在，或不在您的机构范围内。请检查地址，或从首页重新进入。")),
    429: (_("登录已暂时锁定"), ""),
    500: (
        _("服务器出错了"),
        _("系统处理请求时发生内部错误，已自动记录。本次操作可能没有完成，请稍后再试；如反复出现，请联系系统管理员。"),
    ),
    503: (
        _("系统暂时无法使用"),
        _("系统暂时无法连接数据库，可能正在维护或重启。请稍等片刻后刷新页面；未完成的操作需要重新提交。"),
    ),
}


def _page(request, status: int, *, with_request: bool, page=None, message: str = "", text: str = "") -> HttpResponse:
    """The error page of `status` (or of `page` when one status has several pages)."""
    heading, default_text = PAGES[page or status]
    context = {
        "status": status,
        "heading": heading,
        "text": text or default_text,
        "message": message,
        "back_url": _back_url(request),
        "with_request": with_request,
    }
    try:
        html = loader.get_template("errors/page.html").render(context, request if with_request else None)
    except DATABASE_ERRORS:
        raise  # handler500 answers it with the 503 page
    except Exception:
        logger.exception("error page %s could not be rendered", status)
        html = _BARE_PAGE.format(title=status, text=ErrorCode.SERVER_ERROR.default_message)
    return HttpResponse(html, status=status)


def _chinese_detail(exception) -> str:
    """The reason a view gave (Http404("…"), PermissionDenied("…")) when it is a sentence for the user."""
    text = str(exception.args[0]) if exception is not None and getattr(exception, "args", None) else ""
    return text if is_chinese(text) else ""


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.INVALID, 400, _chinese_detail(exception) or None)
    return _page(request, 400, with_request=False, message=_chinese_detail(exception))


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.PERMISSION_DENIED, 403, _chinese_detail(exception) or None)
    return _page(request, 403, with_request=True, message=_chinese_detail(exception))


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api_request(request):
        return error_json_response(ErrorCode.NOT_FOUND, 404, _chinese_detail(exception) or None)
    return _page(request, 404, with_request=True, message=_chinese_detail(exception))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or foreign form, said in Chinese with a way back."""
    if is_api_request(request):
        return error_json_response(ErrorCode.PERMISSION_DENIED, 403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试。")
    return _page(request, 403, with_request=False, page="csrf")


def database_unavailable(request) -> HttpResponse:
    """503 while the database cannot be reached: a Chinese page, or the JSON error body under /api/."""
    if is_api_request(request):
        response = error_json_response(ErrorCode.SERVICE_UNAVAILABLE, 503)
    else:
        response = _page(request, 503, with_request=False)
    response["Retry-After"] = "30"
    return response


def server_error(request):
    """handler500: an unexpected error stays a 500 (Django has logged it); a database outage is a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    if is_api_request(request):
        return error_json_response(ErrorCode.SERVER_ERROR, 500)
    return _page(request, 500, with_request=False)


def lockout(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: too many failed logins, said in Chinese with when to try again (429)."""
    from axes.helpers import get_cool_off, get_failure_limit

    if is_api_request(request):
        return error_json_response(ErrorCode.THROTTLED, 429, "登录失败次数过多，已暂时锁定，请稍后再试。")
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    text = ngettext(
        "该用户名在本机连续 %(limit)s 次登录失败，登录已暂时锁定。",
        "该用户名在本机连续 %(limit)s 次登录失败，登录已暂时锁定。",
        limit,
    ) % {"limit": limit}
    if cool_off:
        minutes = math.ceil(cool_off.total_seconds() / 60)
        text += ngettext(
            "请 %(minutes)s 分钟后再试，或联系系统管理员解锁。", "请 %(minutes)s 分钟后再试，或联系系统管理员解锁。", minutes
        ) % {"minutes": minutes}
    else:
        text += gettext("请联系系统管理员解锁。")
    return _page(request, 429, with_request=True, text=text)
