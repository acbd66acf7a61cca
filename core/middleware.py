"""Request-wide behaviour shared by every app."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language in the switcher (the language cookie).

    The browser's Accept-Language is ignored on purpose: offices share machines whose browsers are
    often set to English, and the league table must read the same for everybody by default.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        translation.activate(chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
