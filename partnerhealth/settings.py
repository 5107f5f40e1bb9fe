"""Django settings for Partner Health.

Every deployment-specific value comes from the environment through the strict
helpers in ``partnerhealth.env``. The defaults run the whole app on one machine
with no servers: SQLite, kombu's filesystem broker and e-mail on the console
(``scripts/run`` writes e-mail to var/mail/ instead).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from partnerhealth.env import (
    env_bool,
    env_currency,
    env_float,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# The embedded defaults (SQLite, the filesystem broker, e-mail files) live here, so that
# `python manage.py migrate` works on a fresh clone without scripts/run creating it first.
with contextlib.suppress(OSError):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "assessments",
    "integrations",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit trail (docs/AUDIT.md) records the signed-in user as the author of each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Nothing a signed-in user receives is stored by a browser or proxy cache (Cache-Control: no-store).
    "partnerhealth.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "partnerhealth.urls"
WSGI_APPLICATION = "partnerhealth.wsgi.application"

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

DATABASES = {"default": parse_database_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'partnerhealth.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail (Django 6.1 MAILERS): the default writes each message to the console.
MAILERS = {
    "default": parse_email_url(env_str("EMAIL_URL", "console://"), timeout=env_int("EMAIL_TIMEOUT", 10, minimum=1))
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Partner Health <partnerhealth@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. The default broker is kombu's filesystem transport under var/, so a
# single machine needs no Redis; production points CELERY_BROKER_URL at Redis.
# The database, not the broker, is the source of truth: every task looks in it
# for what is due, so a lost message delays work but never loses it
# (docs/ALERTS.md).
# (A host name, though the transport ignores it, keeps kombu from warning that none was given.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
_BROKER_DIR = VAR_DIR / "broker"
# Redis re-delivers a message nobody acknowledged within the visibility
# timeout. With acks_late that is every running task, so it must outlast the
# hard time limit below or a slow task would run twice at once.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
    # A hanging Redis must not hang a web request: give up connecting or
    # reading after 2 s (the task publish policy below bounds the retry).
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
if REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT.")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
        # kombu keeps its exchange tables here; its default is ./control in the current folder.
        "control_folder": str(_BROKER_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(REDIS_BROKER_TRANSPORT_OPTIONS)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task has run, not when it is received, and put the
# message back if the worker process dies mid-task: a crash loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When the broker connection drops, running acks_late tasks will be
# re-delivered anyway; cancel them rather than let two copies race.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Publishing gives up after ~2 s so a request never hangs on a dead broker;
# the periodic scans pick up whatever was not enqueued.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule itself is code: partnerhealth/celery.py (docs/ALERTS.md says why).

# The audit trail is a record, not an undo button: a revert would bypass the rules that keep
# submitted check-ups and used rubric versions unchanged (docs/AUDIT.md).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Health bands: the lowest overall health (0-100) that still earns each band.
HEALTH_BAND_HEALTHY = env_int("HEALTH_BAND_HEALTHY", 75, minimum=0)
HEALTH_BAND_WATCH = env_int("HEALTH_BAND_WATCH", 60, minimum=0)
HEALTH_BAND_AT_RISK = env_int("HEALTH_BAND_AT_RISK", 40, minimum=0)
if not HEALTH_BAND_HEALTHY > HEALTH_BAND_WATCH > HEALTH_BAND_AT_RISK:
    raise ImproperlyConfigured("HEALTH_BAND_HEALTHY > HEALTH_BAND_WATCH > HEALTH_BAND_AT_RISK must hold.")

# The share (0-1) of a rubric's weight, and of a whole check-up's, that must be answered rather than
# "not applicable / don't know" for it to be scored (docs/SCORING.md, "Not applicable answers").
MIN_RUBRIC_COVERAGE = env_float("MIN_RUBRIC_COVERAGE", 0.6, minimum=0.01, maximum=1.0)

# The one currency of every amount (revenue, engagement values): an ISO 4217 code. Amounts are stored
# as plain numbers in it; a portfolio in several currencies is out of scope (README, "Currency").
CURRENCY = env_currency("CURRENCY", "EUR")

# "Riskiest book" on the dashboard ranks only account managers who own at least this many active
# partners: with one or two, the largest always carries most of the book (docs/DASHBOARD.md).
RISKIEST_BOOK_MIN_PARTNERS = env_int("RISKIEST_BOOK_MIN_PARTNERS", 3, minimum=1)
# A partner whose latest check-up is more than this many quarters old is shown as stale (docs/DASHBOARD.md).
STALE_AFTER_QUARTERS = env_int("STALE_AFTER_QUARTERS", 2, minimum=0)

# How old (seconds) the dashboard's cached figures may be while a newer version is rebuilt in the
# background; 0 makes every view exact (a write is followed by a rebuild in the next request).
ROLLUP_MAX_STALENESS_SECONDS = env_int("ROLLUP_MAX_STALENESS_SECONDS", 30, minimum=0)
# How old (seconds) the raters' leniencies may be while newer ones are rebuilt in the background
# (docs/CALIBRATION.md, "Caching"); 0 rebuilds them in the request after every write.
CALIBRATION_MAX_STALENESS_SECONDS = env_int("CALIBRATION_MAX_STALENESS_SECONDS", 3600, minimum=0)

# Days after a quarter ends before its check-up is overdue.
CHECKUP_GRACE_DAYS = env_int("CHECKUP_GRACE_DAYS", 14, minimum=0)
# Days before the due date that the "due soon" reminder goes out.
CHECKUP_REMINDER_DAYS = env_int("CHECKUP_REMINDER_DAYS", 7, minimum=1)
# Days overdue before an unfinished check-up is escalated to leadership (000).
CHECKUP_ESCALATION_DAYS = env_int("CHECKUP_ESCALATION_DAYS", 14, minimum=1)

# Evidence cross-checks (docs/EVIDENCE.md): when an answer is doubted against what is on record.
CROSSCHECK_HIGH_RATING = env_int("CROSSCHECK_HIGH_RATING", 4, minimum=1)
CROSSCHECK_SILENCE_DAYS = env_int("CROSSCHECK_SILENCE_DAYS", 120, minimum=1)
CROSSCHECK_IN_PERSON_QUARTERS = env_int("CROSSCHECK_IN_PERSON_QUARTERS", 2, minimum=1)
CROSSCHECK_QUARTER_INTERACTIONS = env_int("CROSSCHECK_QUARTER_INTERACTIONS", 1, minimum=1)
CROSSCHECK_RAINBOW_PROPOSALS = env_int("CROSSCHECK_RAINBOW_PROPOSALS", 4, minimum=1)
CROSSCHECK_RAINBOW_QUARTERS = env_int("CROSSCHECK_RAINBOW_QUARTERS", 8, minimum=1)
CROSSCHECK_PAYMENT_LATE_DAYS = env_int("CROSSCHECK_PAYMENT_LATE_DAYS", 15, minimum=0)
if CROSSCHECK_HIGH_RATING > 5:
    raise ImproperlyConfigured("CROSSCHECK_HIGH_RATING must be a rating from 1 to 5.")

# E-mail outbox: how often a failed send is retried (exponential back-off from
# OUTBOX_RETRY_SECONDS, capped at 4 hours) before the row is marked failed.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10, minimum=1)
OUTBOX_RETRY_SECONDS = env_int("OUTBOX_RETRY_SECONDS", 60, minimum=1)

# Outgoing webhooks and Slack / Teams messages (integrations/, docs/API.md). A failed POST is
# retried with back-off from WEBHOOK_RETRY_SECONDS (capped at an hour) up to WEBHOOK_MAX_ATTEMPTS;
# WEBHOOK_MAX_FAILURES failed attempts in a row disable the endpoint and e-mail its owner.
WEBHOOK_MAX_FAILURES = env_int("WEBHOOK_MAX_FAILURES", 10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 15, minimum=1)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30, minimum=1)
# Seconds to connect and to wait for each read of the answer; a slow receiver costs at most this.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1)
# Deliveries to different endpoints go out in parallel, on at most this many threads per run.
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 8, minimum=1)
# Hosts (names or addresses) a webhook may reach although they resolve to a loopback, private or
# link-local address (an on-premises receiver). Everything else private is refused (SSRF guard).
WEBHOOK_ALLOWED_HOSTS = [host.lower().strip("[]") for host in env_list("WEBHOOK_ALLOWED_HOSTS", [])]
# The partner's side (docs/PARTNER_VIEW.md). The mirror survey and its e-mails name only the partner
# and our firm: FIRM_NAME is how a partner's contact knows us.
FIRM_NAME = env_str("FIRM_NAME", "Our firm")
# Days a survey invitation's link works (a resend of an expired one opens it again for as long).
SURVEY_TOKEN_DAYS = env_int("SURVEY_TOKEN_DAYS", 21, minimum=1)
# Reminders to a contact who has not answered: at most SURVEY_MAX_REMINDERS (0-2), each at least
# SURVEY_REMINDER_DAYS (5 or more) after the previous e-mail.
SURVEY_MAX_REMINDERS = env_int("SURVEY_MAX_REMINDERS", 2, minimum=0)
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 5, minimum=5)
if SURVEY_MAX_REMINDERS > 2:
    raise ImproperlyConfigured("SURVEY_MAX_REMINDERS must be 0, 1 or 2: a contact is reminded at most twice.")
# The public survey pages answer at most SURVEY_RATE_LIMIT requests per client address in each
# SURVEY_RATE_WINDOW_SECONDS (counted in Django's cache).
SURVEY_RATE_LIMIT = env_int("SURVEY_RATE_LIMIT", 60, minimum=1)
SURVEY_RATE_WINDOW_SECONDS = env_int("SURVEY_RATE_WINDOW_SECONDS", 600, minimum=1)
# --- REST API (docs/API.md) ---------------------------------------------------------
# Requests per token (a signed-in session: per user), e.g. "600/minute"; DRF's N/second|minute|hour|day.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/minute")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(f"API_THROTTLE_RATE must read like 600/minute, not {API_THROTTLE_RATE!r}.")
# Items per page of a list, and the most a client may ask for with ?page_size=.
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)
API_PAGE_SIZE_MAX = env_int("API_PAGE_SIZE_MAX", 200, minimum=1)
if API_PAGE_SIZE > API_PAGE_SIZE_MAX:
    raise ImproperlyConfigured("API_PAGE_SIZE cannot exceed API_PAGE_SIZE_MAX.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_THROTTLE_RATE},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Health API",
    "DESCRIPTION": "Partners, their quarterly health, cases, check-ups and the CRM's engagements. See docs/API.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "assessments.models.cases.CaseState",
        "ResolutionEnum": "assessments.models.cases.Resolution",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Security -----------------------------------------------------------------
# Production defaults are strict; DEBUG (scripts/run) relaxes what needs HTTPS.
from django.utils.csp import CSP  # noqa: E402

INSTALLED_APPS += ["accounts", "axes"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE += [
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.AccessDeniedLogMiddleware",
    # Axes must come last: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")

SECURE_CSP = {
    "default-src": [CSP.SELF],
    # Scripts only from our own origin or with the per-response nonce; no inline handlers.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Chart.js and Bootstrap set element styles from script; markup may carry style attributes.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Refuse oversized POSTs early (a check-up is a few kilobytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576, minimum=10_240)

# Sessions: ended after SESSION_IDLE_TIMEOUT idle seconds or SESSION_ABSOLUTE_LIFETIME
# seconds since login, whichever comes first (accounts.middleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 60 * 60, minimum=300)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME

# The client's address: REMOTE_ADDR, or behind this many reverse proxies (each appending
# to X-Forwarded-For) the address the outermost one saw (accounts.network). 0: no proxy.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Login throttling (django-axes): lock one username from one address, so an
# attacker guessing from one place never locks the real user out from another;
# and lock an address that fails on many usernames (password spraying), with a
# higher limit for offices behind one address (accounts.throttling).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "accounts.throttling.LoginThrottle"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# "Forgotten your password?": requests per hour for one e-mail address and from one client
# address; beyond them a request gets the same answer and no e-mail (accounts.services).
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10, minimum=1)
# Days an invitation's set-password link works.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

LOGGING["loggers"] = {
    "partnerhealth.security": {"level": "INFO", "propagate": True},
    # Axes logs every reset at INFO; our own security log already records the events.
    "axes": {"level": "WARNING", "propagate": True},
    # WeasyPrint logs each step of every PDF at INFO; its warnings (a refused fetch, bad CSS) still show.
    "weasyprint": {"level": "WARNING", "propagate": True},
}
