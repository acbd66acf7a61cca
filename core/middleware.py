"""Request-wide behaviour shared by every app."""

import logging

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from core.views import DATABASE_ERRORS, database_unavailable

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


class DatabaseUnavailableMiddleware:
    """A database outage (OperationalError, InterfaceError) answers 503 in Chinese, not a traceback.

    Pages get a Chinese 503 page, /api/ the JSON error body with code `service_unavailable`; Django
    closes the broken connection at the end of the request, so the next request reconnects by itself.
    Errors raised outside views (a session save, a context processor) reach `core.views.server_error`,
    which answers the same 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None
