"""Django settings, read from the environment (django-environ); see the README's table."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.logging import logging_config
from config.secret_files import read_secret_files

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# `make install` writes a git-ignored .env (DEBUG=true, a generated SECRET_KEY) so every manage.py
# command runs as the README prints it. Variables set in the environment win over it; ENV_FILE names
# another file, or none when empty (the test run sets that, so .env never changes what tests see).
_ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if _ENV_FILE and Path(_ENV_FILE).is_file():
    environ.Env.read_env(_ENV_FILE)
# Secrets may come from files (Docker/Kubernetes secrets): NAME_FILE names a file holding NAME.
read_secret_files(os.environ, names=("SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN", "EVENTSTORE_URL",
                                     "PII_MASTER_KEY", "PII_PREVIOUS_MASTER_KEYS"))

DEBUG = env.bool("DEBUG", default=False)
# A development key is only acceptable when DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The event store: EventStoreDB / KurrentDB in production, the embedded server otherwise.
EVENTSTORE_URL = env.str("EVENTSTORE_URL", default="esdb://127.0.0.1:2113?Tls=false")
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Subscribers split by stream, e.g. "orders=4;fulfillment=4" (1, 2, 4, 8 or 16; changing it rebuilds).
SUBSCRIBER_PARTITIONS = env.dict("SUBSCRIBER_PARTITIONS", cast={"value": int}, default={})
# Personal fields in events are encrypted per customer (eventlog/pii); their keys are wrapped by this master
# key (base64 of 32 random bytes). Without it the app still runs, but personal fields read as "[unavailable]",
# orders with personal data are refused and /healthz says so. Previous keys (comma-separated) stay readable
# during a rotation (`manage.py pii rotate-master-key`).
PII_MASTER_KEY = env.str("PII_MASTER_KEY", default="")
PII_PREVIOUS_MASTER_KEYS = env.str("PII_PREVIOUS_MASTER_KEYS", default="")
# How long a process keeps an unwrapped data key: an erased customer's data stays readable at most this long.
PII_KEY_CACHE_SECONDS = env.float("PII_KEY_CACHE_SECONDS", default=2.0)
# Lets a Prometheus scraper read /metrics without a staff login (empty: staff only).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

INSTALLED_APPS = [
    "orders.admin.apps.OrdersAdminConfig",  # django.contrib.admin with the staff back office as its site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "eventlog",
    "eventlog.pii",
    "config.devstack",
    "orders",
    "orders.notifications.apps.NotificationsConfig",  # after orders: its subscriber runs after fulfillment
    "orders.addressbook.apps.AddressBookConfig",
    "projections",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orders.web.middleware.DependencyOutageMiddleware",
    "orders.web.middleware.BadInputMiddleware",
    # Last, so it turns a login refused for lockout (on any view) into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Proxies in front of the app that append to X-Forwarded-For (0: none, REMOTE_ADDR is the client).
# One rule for the login lockout, the API throttles and the logs: config/client_ip.py.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Take a request's X-Request-ID as its correlation id only when a trusted proxy sets it (it must
# overwrite any client's value); otherwise a fresh id is made and the client's is only logged.
TRUST_REQUEST_ID_HEADER = env.bool("TRUST_REQUEST_ID_HEADER", default=False)

# Logins (pages, admin, API token endpoint) go through django-axes: repeated failures lock out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
# Comma-separated lockouts, each counted on its own; "a+b" counts a and b together.
# Default: a username is locked after N failures from anywhere, an address after N on any usernames.
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in env.list("AXES_LOCKOUT_PARAMETERS", default=["username", "ip_address"])
]
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False  # a success must not clear an address's failures on other usernames

# API tokens (django-rest-knox): only a hash is stored; each expires after TOKEN_TTL_HOURS.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("TOKEN_TTL_HOURS", default=10)),
    "AUTH_HEADER_PREFIX": "Token",  # clients keep sending `Authorization: Token <token>`
    "AUTO_REFRESH": False,
}

# Content-Security-Policy (django-csp) on every response: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],  # the admin's and Swagger UI's stylesheets embed small icons
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/orders/"
LOGOUT_REDIRECT_URL = "/"

# The REST API (orders/api/). Errors are RFC 9457 problem details; the schema is drf-spectacular's.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, remembered in Redis per token digest; revocation clears it (orders/api/authentication.py).
        "orders.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "order_create": env.str("THROTTLE_ORDER_CREATE", default="120/min"),
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ordersys API",
    "DESCRIPTION": "Event-sourced order management: orders, commands, timelines, inventory, projections.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package, so /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Mail: where the shop's emails go (notifications, password reset, email change, welcome), one URL
# via django-environ: smtp://user:password@host:587 (smtp+tls://, smtps://), consolemail://,
# filemail:// (one file per mail under EMAIL_FILE_PATH, default var/mail/: what `make run` uses).
# Tests use Django's locmem backend.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# django-environ reads a path in the URL as relative (filemail:///x gives "x"): the directory is
# a setting of its own instead.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ordersys <orders@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # a hung mail server must not hang a worker forever
# How long the links in account mails work: password reset (Django's setting) and email change.
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=env.float("PASSWORD_RESET_TIMEOUT_HOURS", default=24)).total_seconds())
EMAIL_CHANGE_TIMEOUT = int(timedelta(hours=env.float("EMAIL_CHANGE_TIMEOUT_HOURS", default=24)).total_seconds())
# Order emails link back to the shop: the address customers reach it at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Order events older than this when the notifications subscriber first reads them are recorded but not
# mailed: switching notifications on in a shop with history must not mail every customer about the past.
NOTIFICATIONS_MAX_AGE_HOURS = env.int("NOTIFICATIONS_MAX_AGE_HOURS", default=72)

# Celery: the broker defaults to the same Redis; tasks only nudge, they never carry events.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat's scheduler writes a heartbeat to Redis on every tick; `manage.py beat_health` reads it.
CELERY_BEAT_SCHEDULER = "config.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # The backstop: projections catch up even if every nudge was lost.
    "catch-up-all": {"task": "projections.catch_up_all", "schedule": 1.0, "options": {"expires": 5}},
}
# Publishing a nudge must never hold a command up when the broker is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2, "max_retries": 0}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues per role (projections/queues.py): nudges, projections, one per process manager (fulfillment,
# ...), rebuilds. A worker without -Q consumes them all; `celery -A config worker -Q projections` one.
CELERY_TASK_ROUTES = ("projections.queues.route_task",)
# Subscribers moved off their role's queue: "orders=projections_orders,sales=reports".
SUBSCRIBER_QUEUES = env.dict("SUBSCRIBER_QUEUES", default={})
# After a command: "fanout" (one message per subscriber, in parallel on their queues) or "serial" (one
# message running every subscriber in turn; the benches' baseline).
PROJECTIONS_NUDGE = env.str("PROJECTIONS_NUDGE", default="fanout")
if PROJECTIONS_NUDGE not in {"fanout", "serial"}:
    raise ImproperlyConfigured(f"PROJECTIONS_NUDGE must be fanout or serial, not {PROJECTIONS_NUDGE!r}")

# Production hardening; `manage.py check --deploy` passes when DEBUG is off.
# The header a TLS-terminating proxy sets to say the client used https (e.g. X-Forwarded-Proto).
# Only set it when such a proxy overwrites the client's value; empty: trust no header.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping$"]  # container healthchecks speak plain HTTP
    # SECURE_COOKIES=false is for plain-HTTP local use only (no TLS anywhere): browsers drop Secure
    # cookies over http, so logins would fail with a CSRF 403.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# JSON log lines in production, readable ones in development; see config/logging.py.
LOGGING = logging_config(json_logs=env.bool("LOG_JSON", default=not DEBUG),
                         level=env.str("LOG_LEVEL", default="INFO"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
