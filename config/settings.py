"""The one settings module, driven by environment variables.

With no variable set it runs for a newcomer: DEBUG on, SQLite, Celery tasks run
inline. `DEBUG=0` switches production hardening on and then requires SECRET_KEY
and ALLOWED_HOSTS.
"""

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import orjson
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    # Development only: a random key kept in an untracked file, so sessions
    # survive restarts and no key is ever committed.
    key_file = BASE_DIR / ".dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where the site is served, for addresses printed outside a request (create_editor's login link).
SITE_URL = os.environ.get("SITE_URL", "").strip() or "http://127.0.0.1:8000"

INSTALLED_APPS = [
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    # Third party
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # Local
    "history",
    "provisions",
    "actors",
    "exchange",
    "dashboard",
    "editors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user as the author of every history row.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its answer.
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

# --- Proxies --------------------------------------------------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For. One setting for
# everything that trusts them: HTTPS detection (X-Forwarded-Proto is believed only behind a
# proxy), the API throttle's client address (REST_FRAMEWORK NUM_PROXIES) and the login
# throttle's (django-axes, through config.proxies.client_ip). 0 (the default): no proxy,
# forwarded headers are ignored and REMOTE_ADDR is the client, so nobody can fake either.
if os.environ.get("API_NUM_PROXIES") and not os.environ.get("TRUSTED_PROXY_COUNT"):
    raise ImproperlyConfigured(
        "API_NUM_PROXIES is now TRUSTED_PROXY_COUNT (it also decides whether X-Forwarded-Proto is trusted): rename it."
    )
_proxies = os.environ.get("TRUSTED_PROXY_COUNT", "0").strip()
if not (_proxies.isascii() and _proxies.isdigit()):
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be a whole number, 0 or more: {_proxies!r}")
TRUSTED_PROXY_COUNT = int(_proxies)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Login throttling (django-axes) -------------------------------------------
# LOGIN_FAILURE_LIMIT wrong passwords for one account from one address lock that pair out for
# LOGIN_LOCKOUT_MINUTES (the right password included); a success resets the count. Per account
# and address, so nobody can lock an editor out from elsewhere. `manage.py axes_reset` unlocks.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner in every command's output; lockouts are still logged
AXES_CLIENT_IP_CALLABLE = "config.proxies.client_ip"
AXES_COOLOFF_MESSAGE = (
    f"Too many failed logins: this account is locked for {AXES_COOLOFF_TIME.seconds // 60} minutes "
    "from your address. Try again later, or ask an administrator to unlock it."
)

# --- Content Security Policy (django-csp) --------------------------------------
# Scripts only from our own static files: no inline script, no eval, nothing remote. Styles
# allow inline ones: the dashboard's bars and map swatches set widths and colours in style
# attributes, the Swagger UI page has one <style> block (no code runs from a style).
# Images: ours, plus the data: icons of the admin's and Swagger UI's stylesheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Celery and background jobs (issue 5) -----------------------------------
# No broker configured means the embedded default: tasks run inline.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# A broker that is down must cost a request a second or two, not a hang: short
# connect timeout, few publish retries. The page then says "could not be queued".
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "2"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# The periodic schedule lives here and only here.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE: dict = {
    "daily-snapshot": {"task": "exchange.tasks.make_daily_snapshot", "schedule": crontab(hour=3, minute=15)},
    "requeue-stalled-webhook-deliveries": {"task": "exchange.tasks.requeue_stalled_deliveries", "schedule": 300.0},
    "fail-stalled-jobs": {"task": "exchange.tasks.fail_stalled_jobs", "schedule": 300.0},
}

# Concurrent writes (history/locking.py): a write that loses a deadlock or a serialization
# failure runs again, up to this many times, after a random pause of up to PAUSE * 2**attempt
# seconds; then the API answers 503 with Retry-After.
WRITE_RETRY_ATTEMPTS = 5
WRITE_RETRY_PAUSE_SECONDS = 0.02
WRITE_RETRY_AFTER_SECONDS = 1

# Imports, webhooks and snapshots (exchange app).
IMPORT_TASK_TIME_LIMIT = 600  # seconds; also the lease after which a crashed import may be taken over
IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# Embedded mode (no broker) posts inside the editor's request: wait briefly, once per receiver.
WEBHOOK_EAGER_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_EAGER_TIMEOUT_SECONDS", "2"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "6"))  # per delivery
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))  # 30 s, 1 min, 2 min…
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "1800"))
# Deliveries in a row given up (each after WEBHOOK_MAX_ATTEMPTS) before the subscription is paused.
WEBHOOK_PAUSE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_PAUSE_AFTER_FAILURES", "3"))
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG)  # production consumers get https only
# Webhooks never go to the server's own network (private, loopback, link-local, multicast,
# reserved, unspecified addresses), checked at registration and after DNS at every delivery.
# Default off, DEBUG included; on only for a receiver on this machine (tests, local development).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
SNAPSHOT_TASK_TIME_LIMIT = 1800
# Retention, applied each time a snapshot is made: the newest SNAPSHOT_KEEP ready snapshots
# are kept, and any made within the last SNAPSHOT_KEEP_DAYS days (0: no such exception).
SNAPSHOT_KEEP = int(os.environ.get("SNAPSHOT_KEEP") or os.environ.get("SNAPSHOT_KEEP_DAILY") or "30")
SNAPSHOT_KEEP_DAYS = int(os.environ.get("SNAPSHOT_KEEP_DAYS", "0"))
# Snapshots are signed (HMAC-SHA256 of the manifest) and a restore refuses another key's.
# By default a key derived from SECRET_KEY; set it explicitly to restore on another server.
SNAPSHOT_SIGNING_KEY = (
    os.environ.get("SNAPSHOT_SIGNING_KEY")
    or hashlib.sha256(f"accord-tracker:snapshot-signing:{SECRET_KEY}".encode()).hexdigest()
)

# --- Dashboard (issue 4) ----------------------------------------------------
# Error pages 404.html, 400.html and 500.html live in templates/; the dashboard's
# own assets in static/dashboard/ (served by whitenoise, nothing remote).

# --- REST framework (issue 3) -----------------------------------------------
# Anonymous clients are throttled ("120/min", "5/s", "1000/hour"; empty or "off" disables it).
API_ANON_RATE: str | None = os.environ.get("API_ANON_RATE", "120/min").strip()
if API_ANON_RATE.lower() in {"", "off", "none"}:
    API_ANON_RATE = None
else:
    _count, _, _period = API_ANON_RATE.partition("/")
    if not (
        _count.isascii()
        and _count.isdigit()
        and int(_count) > 0
        and _period in {"s", "sec", "min", "m", "hour", "h", "day", "d"}
    ):
        raise ImproperlyConfigured(f"API_ANON_RATE must look like 120/min (per s, min, hour or day): {API_ANON_RATE!r}")
API_MAX_PAGE_SIZE = 500
# Largest JSON request body, and deepest nesting of arrays and objects in one (api/parsers.py).
API_JSON_MAX_BYTES = 1024 * 1024
API_JSON_MAX_DEPTH = 20
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first, so an anonymous write is told 401 (with WWW-Authenticate), not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonymousThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # see "Proxies" above
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "api.filtering.StrictQueryParameters",
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filtering.TextSearchFilter",
        "api.filtering.StrictOrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "api.renderers.FlatCSVRenderer",
    ],
    # Field errors on list items are keyed by index (an int): render them as "0", as json does.
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_NON_STR_KEYS,),
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    # JSON bodies bounded in size and depth (API_JSON_MAX_BYTES, API_JSON_MAX_DEPTH below): a 400 that says so.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.StrictFormatNegotiation",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord Tracker API",
    "DESCRIPTION": "Point-by-point record of a live peace negotiation.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page is served from local static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TopicEnum": "provisions.choices.Topic",
        "VersionStatusEnum": "provisions.choices.VersionStatus",
        "TextBasisEnum": "provisions.choices.TextBasis",
        "ProvisionStatusEnum": "provisions.choices.ProvisionStatus",
        "LineageRelationEnum": "provisions.choices.LineageRelation",
        "DispositionEnum": "provisions.choices.Disposition",
        "TerritoryKindEnum": "provisions.choices.TerritoryKind",
        "SourceKindEnum": "provisions.choices.SourceKind",
        "PointTextBasisEnum": "provisions.choices.PointTextBasis",
        "DatePrecisionEnum": "history.dating.DatePrecision",
        "AttributionEnum": "actors.choices.Attribution",
        "ActorKindEnum": "actors.choices.ActorKind",
        "StanceEnum": "actors.choices.Stance",
        "EventKindEnum": "actors.choices.EventKind",
        "ChangeActionEnum": "history.models.ChangeAction",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_error_responses",
        "api.schema.mark_always_present_fields",
    ],
}

# --- Production hardening (DEBUG=0) -----------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The container healthcheck speaks plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
