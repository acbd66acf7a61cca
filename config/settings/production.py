"""Production: PostgreSQL, Redis, real Celery workers. Every value is read in base.py; this file only
refuses to start with the embedded defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEV_SECRET_KEY, REDIS_URL, SECRET_KEY

DEBUG = False
if SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("production needs SECRET_KEY")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("production needs DATABASE_URL pointing at PostgreSQL")
if not REDIS_URL:
    raise ImproperlyConfigured("production needs REDIS_URL: Celery workers and beat use it")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
