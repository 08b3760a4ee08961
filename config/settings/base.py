"""Settings shared by every mode, read from the environment (12-factor).

With nothing set, the project runs on SQLite in the project folder and Celery runs tasks
in-process, so a fresh machine needs no server. Set DATABASE_URL and REDIS_URL (or
CELERY_BROKER_URL) to run on PostgreSQL with a real worker and beat.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "orgs",
    "ledger",
    "scoring",
    "payouts",
    "judging",
    "bids",
    "portal",
    "synth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseNulMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the page that says so
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.roles",
                "scoring.context_processors.failed_run",
                "portal.context_processors.menu",
            ],
        },
    },
]

# --- Database connections -------------------------------------------------------------------
# On PostgreSQL every process (runserver, each gunicorn worker, each Celery worker) takes its
# connections from one bounded pool (psycopg_pool, Django 5.2's OPTIONS["pool"]): at most
# DB_POOL_MAX_SIZE open at once however many threads serve requests, a request waiting up to
# DB_POOL_TIMEOUT seconds for one, idle ones closed after DB_POOL_MAX_IDLE seconds down to
# DB_POOL_MIN_SIZE. A persistent connection per thread (CONN_MAX_AGE) is what leaked under the
# threaded runserver, so CONN_MAX_AGE stays 0 (the pool keeps the connections). DB_POOL_MAX_SIZE=0
# turns the pool off: each request then opens and closes its own connection (behind PgBouncer).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL: the role the application connects as (the user of DATABASE_URL) owns nothing;
# `migrate` runs as the owner role and grants this role its privileges (ledger.append_only).
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")  # default: "<database name>_app"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while a command writes; the timeout waits out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
            "max_idle": env.float("DB_POOL_MAX_IDLE", default=300.0),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any check
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "orgs:login"
LOGIN_REDIRECT_URL = "portal:dashboard"

# --- Mail (password reset links, the admins' failed-run notices) ------------------------------
# SMTP by default; the demo (config.settings.local) prints mails on the console instead.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="rendanheyi@localhost")
LOGOUT_REDIRECT_URL = "orgs:login"

# --- Login throttling (django-axes) ---------------------------------------------------------
# Every password check (the login page, the Django admin's login) counts failures per account
# *and* client address together: after LOGIN_FAILURE_LIMIT failures that account cannot log in
# from that address for LOGIN_COOLOFF_MINUTES, and each further try restarts the wait. Another
# address (the real user) is not locked out by an attacker's tries. Behind the TLS proxy, the
# client address is read from X-Forwarded-For as the TRUSTED_PROXIES hops nearest us saw it
# (config/proxy.py): never from what the client wrote itself.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_ip"
AXES_LOCKOUT_CALLABLE = "config.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True  # a right password before the limit forgets the earlier slips
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept (the session table has them)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# one date format per language (config/formats/<language>/formats.py)
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# the largest file an upload (a CSV import) may be, enforced while it streams in (config/uploads.py)
UPLOAD_MAX_MB = env.int("UPLOAD_MAX_MB", default=25)
FILE_UPLOAD_HANDLERS = [
    "config.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MEDIA_URL = "media/"

# --- Content-Security-Policy (django-csp 4) ------------------------------------------------
# Scripts, styles, fonts and images come from our own static files only: no inline <script>,
# style="" or on*= handler runs, nor anything from another origin. Page behaviour lives in
# static/js, looks in static/css (the vendored libraries included, all served locally). `data:`
# images are Bootstrap's inline SVG icons in its CSS.
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
    },
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # token first, so a bad token answers 401 with a WWW-Authenticate header
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",  # refuses bodies nested more than JSON_MAX_DEPTH levels
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "config.filters.StrictFilterBackend",  # django-filter, refusing booleans it cannot read
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",  # documents every error status it answers
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rendanheyi organization manager API",
    "DESCRIPTION": "Microenterprises, EMCs, partners and the user-paid value-sharing ledger.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # choice sets that share a field name get explicit component names
    "ENUM_NAME_OVERRIDES": {
        "LedgerAccountKindEnum": "ledger.models.Account.Kind",
        "LedgerTransactionKindEnum": "ledger.models.Transaction.Kind",
        "ValueEventKindEnum": "ledger.models.ValueEvent.Kind",
        "UserSignalKindEnum": "ledger.models.UserSignal.Kind",
        "PurposeIndicatorKindEnum": "ledger.models.PurposeIndicator.Kind",
        "ImportBatchKindEnum": "ledger.models.ImportBatch.Kind",
        "ImportBatchStatusEnum": "ledger.models.ImportBatch.Status",
        "ContractStatusEnum": "ledger.models.Contract.Status",
        "EMCKindEnum": "orgs.models.EMC.Kind",
        "EMCStatusEnum": "orgs.models.EMC.Status",
        "MEStatusEnum": "orgs.models.Microenterprise.Status",
        "NightlyRunKindEnum": "scoring.models.NightlyRun.Kind",
        "NightlyRunStatusEnum": "scoring.models.NightlyRun.Status",
        "JudgingRuleMetricEnum": "judging.models.Rule.Metric",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# With no broker configured, tasks run in-process (eager): a fresh machine needs no server.
_broker = env("CELERY_BROKER_URL", default=env("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not _broker
CELERY_BROKER_URL = _broker or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=_broker or "cache+memory://")
CELERY_RESULT_EXPIRES = 3600 * 24
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "celerybeat-schedule")
)

# the scoring tasks' queue (workers consume "celery" unless started with -Q)
CELERY_TASK_ROUTES = {
    "scoring.*": {"queue": env("SCORING_QUEUE", default="celery")},
    "judging.*": {"queue": env("SCORING_QUEUE", default="celery")},
}

NIGHTLY_AT = env("NIGHTLY_AT", default="02:30")
_nightly_hour, _nightly_minute = (int(part) for part in NIGHTLY_AT.split(":"))
CELERY_BEAT_SCHEDULE = {
    "nightly-pipeline": {
        "task": "scoring.nightly_pipeline",
        "schedule": crontab(hour=_nightly_hour, minute=_nightly_minute),
        "options": {"expires": 6 * 3600},
    },
    "import-sweep": {  # imports whose task died (every minute) or never started (stale)
        "task": "ledger.import_sweep",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
}

# --- Cache (import progress, health) -------------------------------------------------------
# With Redis, the web processes and the workers share it (a worker's import progress is read by
# the page that polls it); without, each process has its own memory (tasks run in-process).
_redis = env("REDIS_URL", default="")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _redis,
        "KEY_PREFIX": "rh",
    }
    if _redis
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# CSV imports with more rows than this run as a background task with a progress bar; smaller
# ones are validated and posted within the request.
LEDGER_IMPORT_INLINE_ROWS = env.int("LEDGER_IMPORT_INLINE_ROWS", default=5000)
# a background import not finished this long after its task was queued is failed (the sweep
# runs every 15 minutes): long enough for a queue busy with the nightly pipeline
LEDGER_IMPORT_STALE_HOURS = env.int("LEDGER_IMPORT_STALE_HOURS", default=6)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Domain settings (every business number is data; these are only operational knobs) ----
# How far in the past and future a value event's occurred-at may lie.
LEDGER_BACKDATE_DAYS = env.int("LEDGER_BACKDATE_DAYS", default=400)
LEDGER_FUTURE_MINUTES = env.int("LEDGER_FUTURE_MINUTES", default=10)

# --- Nightly scoring (scoring/definitions.py documents each) --------------------------------
SCORING_CURRENCY = env("SCORING_CURRENCY", default="CNY")  # value shares are read in this currency
SCORING_PERIOD_DAYS = env.int("SCORING_PERIOD_DAYS", default=90)  # "per period": trailing days
SCORING_YEAR_DAYS = env.int("SCORING_YEAR_DAYS", default=365)  # metric 4, value-added windows
SCORING_ACTIVE_DAYS = env.int("SCORING_ACTIVE_DAYS", default=365)  # an active user paid within
SCORING_SIGNAL_DAYS = env.int("SCORING_SIGNAL_DAYS", default=365)  # a signal counts this long
SCORING_LIFELONG_SIGNALS = env.int("SCORING_LIFELONG_SIGNALS", default=4)  # of the four, for life-long
SCORING_OWNED_PRODUCTS = env.int("SCORING_OWNED_PRODUCTS", default=5)  # "owns multiple products"
SCORING_CHUNK_EMCS = env.int("SCORING_CHUNK_EMCS", default=100)  # EMCs per fanned-out task
SCORING_CUTOFF_LAG_SECONDS = env.int("SCORING_CUTOFF_LAG_SECONDS", default=300)
SCORING_BACKFILL_MAX_DAYS = env.int("SCORING_BACKFILL_MAX_DAYS", default=400)
# payouts: finance approvals a report needs before it can be locked (approvers never the submitter)
PAYOUTS_APPROVALS_REQUIRED = env.int("PAYOUTS_APPROVALS_REQUIRED", default=1)

# --- Judging (partner scorecards, proposals, the ME matrix; judging/scorecards.py) -----------
# the rolling windows of a partner scorecard, in days; the headline (table, sorting, rules) is one of them
JUDGING_WINDOWS = env.list("JUDGING_WINDOWS", cast=int, default=[30, 90, 365])
JUDGING_HEADLINE_WINDOW = env.int("JUDGING_HEADLINE_WINDOW", default=90)
JUDGING_SPARKLINE_DAYS = env.int("JUDGING_SPARKLINE_DAYS", default=90)  # days of history a sparkline draws
# the ME matrix's quadrant bands: % of target attained on each axis that counts as "high"
JUDGING_MATRIX_X_BAND = env.int("JUDGING_MATRIX_X_BAND", default=100)
JUDGING_MATRIX_Y_BAND = env.int("JUDGING_MATRIX_Y_BAND", default=100)
JUDGING_MATRIX_PATH_PERIODS = env.int("JUDGING_MATRIX_PATH_PERIODS", default=4)  # past periods drawn

# --- Amounts (ledger.money) --------------------------------------------------------------------
# The largest amount one value event (payment or refund) may carry, in major units of its
# currency; per currency where a unit is worth little. Larger amounts are refused with a field
# error on every entry point. The web form asks for a confirmation above LEDGER_LARGE_AMOUNT.
LEDGER_EVENT_MAX = env("LEDGER_EVENT_MAX", default="100000000")
LEDGER_EVENT_MAX_BY_CURRENCY = {
    "JPY": "10000000000",
    "KRW": "100000000000",
    **env.dict("LEDGER_EVENT_MAX_BY_CURRENCY", default={}),
}
LEDGER_LARGE_AMOUNT = env("LEDGER_LARGE_AMOUNT", default="1000000")
LEDGER_LARGE_AMOUNT_BY_CURRENCY = {
    "JPY": "100000000",
    "KRW": "1000000000",
    **env.dict("LEDGER_LARGE_AMOUNT_BY_CURRENCY", default={}),
}
