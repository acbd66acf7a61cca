"""The cache as the reads use it: a miss whenever the backend cannot be reached (Redis down never fails a page or an
API call), keys that are digests of what an answer depends on, and rendered HTML that may be served to another
request than the one that rendered it (its CSRF tokens put in per request), kept compressed (`core.spliced`).
"""

import hashlib
import logging
from collections.abc import Callable
from functools import cache as once
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac

from core import spliced
from core.spliced import Spliced

logger = logging.getLogger(__name__)

_MISS = object()


def key_of(prefix: str, *parts: Any) -> str:
    """`prefix:` and a digest of the parts (any length, any characters; memcached and Redis limit keys), of the
    release (`release`) and of the placeholders kept HTML holds (they change with SECRET_KEY)."""
    return f"{prefix}:" + hashlib.sha256("|".join(map(str, (release(), CSRF_PLACEHOLDER, *parts))).encode()).hexdigest()


def get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except Exception:  # noqa: BLE001 - any backend error means a miss
        logger.warning("cache unavailable (get %s)", key, exc_info=True)
        return default


def set(key: str, value: Any, seconds: int) -> None:  # noqa: A001 - the cache's own verb
    try:
        cache.set(key, value, seconds)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable (set %s)", key, exc_info=True)


def get_or_make(key: str, seconds: int, make: Callable[[], Any]) -> Any:
    """The cached value, or `make()` kept for `seconds` (None is a value too: it is kept, not made again)."""
    held = get(key, _MISS)
    if held is not _MISS:
        return held
    value = make()
    set(key, value, seconds)
    return value


@once
def release() -> str:
    """A digest of what rendered HTML is made of besides its data: the project's templates and translations and
    the static files' names (the manifest of hashed names in production). Kept HTML is keyed by it, so a release
    never serves pages of the one before, even while old and new workers share the cache."""
    digest = hashlib.sha256(getattr(staticfiles_storage, "manifest_hash", "").encode())
    folders = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", ())] + [Path(p) for p in settings.LOCALE_PATHS]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".html", ".txt", ".mo"):
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def placeholder(name: str) -> str:
    """A marker for kept HTML that no text a user writes can contain (nothing in a page should ever be replaced
    but the marker): derived from SECRET_KEY, the same in every process sharing the cache, letters and digits only,
    so escaping leaves it as it is."""
    return f"{name}-{salted_hmac('core.cache.placeholder', name).hexdigest()[:24]}"


# What a cached fragment holds in place of the CSRF token: the token is the user's (it unmasks to the secret in
# their cookie), so a fragment rendered for one request carries this and each request gets its own.
CSRF_PLACEHOLDER = placeholder("csrf")


def render_shared(template: str, context: dict, request, holes: dict[str, str] | None = None) -> Spliced:
    """A template rendered to be kept and served to other requests of the same key, compressed once
    (`core.spliced`). Its CSRF token and any other `holes` (template variable → placeholder, e.g. `placeholder(…)`)
    are rendered as their placeholders and left out, to be put in per request by `respond`."""
    holes = {"csrf_token": CSRF_PLACEHOLDER, **(holes or {})}
    return Spliced.of(render_to_string(template, {**context, **holes}, request).encode(), holes)


def respond(request, document: Spliced, values: dict | None = None) -> HttpResponse:
    """A kept document (`render_shared`) answered with this request's CSRF token (rotated on sign-in, so one per
    session) and `values` in its holes: gzipped for a client that takes it, as every browser does."""
    values = {"csrf_token": get_token(request).encode(), **(values or {})}
    return spliced.response(document, values, gzipped=spliced.accepts_gzip(request))
