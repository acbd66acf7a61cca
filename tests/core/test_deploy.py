"""Deployment settings (issue 8, item 11): `check --deploy` is clean with production settings and the
environment the README documents, and HTTPS hardening follows the environment."""

import os
import subprocess
import sys

from django.conf import settings

DOCUMENTED = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k" * 10 + "a-long-random-value-from-the-environment-0123456789",
    "DATABASE_URL": "postgres://xiaobao:secret@db:5432/xiaobao",
    "REDIS_URL": "redis://redis:6379/0",
    "ALLOWED_HOSTS": "kaohe.example.com",
}


def manage(*args, **env):
    # Only the documented environment: nothing a developer's shell or the browser tests set.
    prefixes = ("SECURE_", "SESSION_", "CSRF_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR, env={**clean, **DOCUMENTED, **env}, capture_output=True, text=True, check=False,
    )


def test_check_deploy_is_clean_with_the_documented_environment():
    run = manage("check", "--deploy", "--fail-level", "WARNING")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues (0 silenced)" in run.stdout


def test_https_hardening_is_on_in_production_unless_the_environment_turns_it_off():
    show = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    assert manage("shell", "-c", show).stdout.split("\n")[-2] == "True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    off = manage("shell", "-c", show, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0").stdout.split("\n")[-2]
    assert off.startswith("False True 0 ")
    assert not settings.SECURE_SSL_REDIRECT and not settings.SESSION_COOKIE_SECURE, "the demo serves plain HTTP"
