"""Test settings: fast hashing; the database and broker still come from DATABASE_URL / REDIS_URL."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
# Tasks run inline in tests; the Celery worker test switches this off and uses the real broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
