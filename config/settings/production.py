"""Production: PostgreSQL, Redis, real Celery workers. Every value is read in base.py; this file only
refuses to start with the embedded defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEV_SECRET_KEY, HTTPS_FROM_ENV, PROXY_SSL_HEADER, REDIS_URL, SECRET_KEY

DEBUG = False
if SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("production needs SECRET_KEY")
if DATABASES["default"]["ENGINE"] != "core.postgresql":
    raise ImproperlyConfigured("production needs DATABASE_URL pointing at PostgreSQL")
if not REDIS_URL:
    raise ImproperlyConfigured("production needs REDIS_URL: Celery workers and beat use it")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS on unless the environment turns a setting off (base.py reads it): redirect, secure cookies,
# HSTS for a year. The reverse proxy's header says whether the browser's request was HTTPS;
# PROXY_SSL_HEADER="" when gunicorn itself is reached without a proxy (then HTTPS cannot be told).
PRODUCTION_HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}
for _name, _on in PRODUCTION_HTTPS.items():
    globals()[_name] = _on if HTTPS_FROM_ENV[_name] is None else HTTPS_FROM_ENV[_name]
if PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https")

# The rendered league tables (kpi.league, kpi.api): shared by every web worker in Redis; a cache that cannot be
# reached is a miss (the reads catch its errors), and it is given up on quickly rather than waited for.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "xiaobao",
        "TIMEOUT": 3600,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
