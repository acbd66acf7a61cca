"""Request-wide behaviour shared by every app."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language in the switcher (the language cookie).

    The browser's Accept-Language is ignored on purpose: offices share machines whose browsers are
    often set to English, and the league table must read the same for everybody by default.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        translation.activate(chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


DATABASE_UNAVAILABLE = (
    "数据库暂时不可用（可能正在重启或维护），请稍候片刻再试。如果您刚才提交了数据，请在恢复后刷新页面确认是否已保存。"
)


class DatabaseUnavailableMiddleware:
    """While the database is unreachable or refuses work for a moment (a restart, a failover, a lock it
    gave up on): a Chinese 503 page (JSON under /api/) instead of a traceback. The next request
    reconnects by itself (CONN_HEALTH_CHECKS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("数据库不可用：%s %s：%r", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"code": "database_unavailable", "message": DATABASE_UNAVAILABLE, "fields": {}},
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = HttpResponse(render_to_string("503.html", {"message": DATABASE_UNAVAILABLE}), status=503)
        response["Retry-After"] = "30"
        return response
