"""Settings shared by every environment. Environment variables are read here and nowhere else."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# HTTPS: each of these may be set in the environment; unset, it is off here (the demo serves plain HTTP
# on 127.0.0.1) and on in production.py. Behind the documented reverse proxy, which terminates TLS and
# sets X-Forwarded-Proto (overwriting what a client sent), production trusts that header for "is HTTPS".
HTTPS_FROM_ENV = {
    "SECURE_SSL_REDIRECT": env.bool("SECURE_SSL_REDIRECT", default=None),
    "SESSION_COOKIE_SECURE": env.bool("SESSION_COOKIE_SECURE", default=None),
    "CSRF_COOKIE_SECURE": env.bool("CSRF_COOKIE_SECURE", default=None),
    "SECURE_HSTS_SECONDS": env.int("SECURE_HSTS_SECONDS", default=None),
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=None),
    "SECURE_HSTS_PRELOAD": env.bool("SECURE_HSTS_PRELOAD", default=None),
}
SECURE_SSL_REDIRECT = bool(HTTPS_FROM_ENV["SECURE_SSL_REDIRECT"])
SESSION_COOKIE_SECURE = bool(HTTPS_FROM_ENV["SESSION_COOKIE_SECURE"])
CSRF_COOKIE_SECURE = bool(HTTPS_FROM_ENV["CSRF_COOKIE_SECURE"])
SECURE_HSTS_SECONDS = HTTPS_FROM_ENV["SECURE_HSTS_SECONDS"] or 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = bool(HTTPS_FROM_ENV["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
SECURE_HSTS_PRELOAD = bool(HTTPS_FROM_ENV["SECURE_HSTS_PRELOAD"])
PROXY_SSL_HEADER = env("PROXY_SSL_HEADER", default="X-Forwarded-Proto")

INSTALLED_APPS = [
    "core.apps.GuardedAdminConfig",  # django.contrib.admin, guarding personal data (core/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "core",
    "branches",
    "complaints",
    "kpi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, so a database outage inside any view is answered before anything else sees it.
    "core.middleware.DatabaseUnavailableMiddleware",
]

# Content Security Policy (django-csp): scripts, styles, fonts and requests from this site only, and no
# inline script or style at all: page behaviour lives in static/js, data reaches it through json_script,
# htmx is told not to inject its indicator <style> (meta htmx-config in base.html). Bootstrap's CSS
# draws its icons with data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kpi.context_processors.entries_nav",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection kept across requests (CONN_MAX_AGE seconds, 0 = one per request) is checked before
    # reuse, so the app recovers by itself after PostgreSQL restarts. Kept by default: opening one (password
    # authentication included) cost ~20 ms of every API request, five times the request itself.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's backend, its health check asking the server only when the server has sent something (a closed
    # connection always has): a round trip less on every request.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must refuse a concurrent save with 409 as PostgreSQL does, never "database is
    # locked": every transaction takes the write lock when it begins (IMMEDIATE), so two writers queue
    # instead of deadlocking on a lock upgrade; a writer waits up to SQLITE_BUSY_TIMEOUT seconds for it.
    # WAL lets pages read while a save is being written.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "branches.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kpi.authentication.SessionUserBackend",
]
# Sessions read from the cache (Redis in production), written through to the database: a page no longer waits on
# a query for its session (a sixth of a cached league page's time under load).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Login throttling (django-axes): five failures lock that username from that address; the lock runs
# 15 minutes from the failure that caused it. Attempts during the lock are refused and do not extend it,
# so nobody behind the same office NAT can keep a colleague locked out. A successful login clears the
# count. The address is the client's own (core/clientip.py): X-Forwarded-For counts only when the
# request comes from one of TRUSTED_PROXIES (the reverse proxy's addresses or networks).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "core.views.lockout"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Grouping is applied where a figure is shown (the `num` filter), never to every integer: a year or an
# id in a form value must stay "2023", not "2,023".
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package-lock.json) and are served from the project, never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads: a request larger than the largest attachment (10 MB, core/uploads.py) plus its form is refused
# before its body is read; files above 2 MB go to a temporary file instead of memory; form fields
# (everything but files) may total 2 MB.
REQUEST_MAX_BYTES = 11 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.BranchTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, plus every operation's error answers with the one error body (core.api).
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "消保考核 API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its browser are for signed-in users (token or session), like every other endpoint.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {"ErrorCodeEnum": "core.error_codes.ERROR_CODE_CHOICES"},
}

# Celery: with no REDIS_URL, tasks run eagerly in the web process (the embedded default).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (SIGKILL, out of memory) hands its message back instead of acking it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A save must never hang on a broker that is down: connect and publish time out in seconds; the
# recompute outbox (kpi.outbox) keeps what could not be queued. A message taken by a worker that died
# without a word is delivered again after the visibility timeout.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 900,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}}
# The outbox sweep runs every RECOMPUTE_SWEEP_SECONDS and queues again a request dispatched more than
# RECOMPUTE_REDISPATCH_SECONDS ago and still not done (its message died with a worker).
RECOMPUTE_SWEEP_SECONDS = env.int("RECOMPUTE_SWEEP_SECONDS", default=60)
RECOMPUTE_REDISPATCH_SECONDS = env.int("RECOMPUTE_REDISPATCH_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    # Every minute: queue the recomputes the outbox holds that the broker could not take when asked.
    "dispatch-pending-recomputes": {
        "task": "kpi.tasks.dispatch_pending_recomputes",
        "schedule": RECOMPUTE_SWEEP_SECONDS,
    },
    # On the 1st of each month, recompute every published scheme's previous month.
    "recompute-previous-month": {
        "task": "kpi.tasks.recompute_previous_month",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
    # Every night just after midnight (Asia/Shanghai): mark complaints past their decision limit as overdue.
    "mark-overdue-complaints": {
        "task": "complaints.tasks.mark_overdue_complaints",
        "schedule": crontab(minute=5, hour=0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Bootstrap's alert colours for Django's message levels (error → danger).
MESSAGE_TAGS = {40: "danger"}
