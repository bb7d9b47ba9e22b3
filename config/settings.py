"""Settings for dangjian: one module, everything that varies comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("DANGJIAN_ENV", "development")
PRODUCTION = ENV == "production"


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _local_secret(filename: str) -> str:
    """A secret generated once into var/ so a local install needs no set-up."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("DANGJIAN_ENV=production 时必须设置环境变量 SECRET_KEY")
    SECRET_KEY = _local_secret("secret_key")

# Encrypts 公民身份号码 and phone numbers at rest (a Fernet key, 32 url-safe base64 bytes).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
if not FIELD_ENCRYPTION_KEY:
    if PRODUCTION:
        raise RuntimeError("DANGJIAN_ENV=production 时必须设置环境变量 FIELD_ENCRYPTION_KEY")
    _key_path = VAR_DIR / "field_encryption_key"
    if not _key_path.exists():
        import base64

        _key_path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        _key_path.chmod(0o600)
    FIELD_ENCRYPTION_KEY = _key_path.read_text().strip()

DEBUG = _env_bool("DEBUG", default=False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    # Before django.contrib.auth: its ``changepassword`` command replaces Django's (the password
    # change also revokes the user's API tokens and is audited).
    "dangjian.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the Swagger UI from static files, not a CDN
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "dangjian.core",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.transfers",
    "dangjian.meetings",
    "dangjian.findings",
    "dangjian.dues",
    "dangjian.points",
    "dangjian.recruitment",
    "dangjian.grid",
    "dangjian.community",
    "dangjian.service_requests",
    "dangjian.demo",
]

MIDDLEWARE = [
    # Outermost, so it sees every answer under /api/ (see dangjian/core/api_errors.py).
    "dangjian.core.api_errors.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception runs first: a database lock wait is a 503, never a 500.
    "dangjian.core.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dangjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.accounts.context_processors.workspace",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "dangjian.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run during a write; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue instead of failing with "database is locked" on lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=5000; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DANGJIAN_TEST_SQLITE") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dangjian.accounts.backends.UsernameOrMobileBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dangjian.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 0.5))  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "dangjian.accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Wrong current passwords on the password-change form count as failed logins; axes keeps the
# POST of each failure, so the form's password fields are masked like the login's.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
]

# Longest life of an API token made on the page (days; blank = this). Only the CLI can issue a
# longer one, or with --never-expires one that does not expire.
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", 90))

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# One language: the UI is Chinese whatever the browser asks for (Accept-Language is ignored,
# so Django's own strings — form errors, "3 小时" — never come out in English).
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "dangjian" / "locale"]
# ISO first in the input formats: a date input's value must be 2010-03-23 (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "dangjian" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Uploaded files -------------------------------------------------------------------------
# Every upload is private: nothing mounts MEDIA_URL. Each file is served by its row's gated
# view through dangjian.core.files.serve_private_file (docs/architecture.md, "Files").
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # never served; a stray ``.url`` in a template is a dead link, not a leak
# The API takes evidence photos as base64 in JSON; a 10 MB file (uploads.MAX_BYTES) is ~13.4 MB
# encoded, so a body may be up to 14 MB (Django's 2.5 MB default refused ordinary phone photos).
DATA_UPLOAD_MAX_MEMORY_SIZE = 14 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# How the gated views hand a file over: "" streams it from Python; "nginx" answers with
# X-Accel-Redirect to SENDFILE_NGINX_PREFIX + the path under MEDIA_ROOT (an ``internal``
# location aliased to MEDIA_ROOT); "apache" answers with X-Sendfile and the absolute path.
SENDFILE_MODE = os.environ.get("SENDFILE_MODE", "").strip().lower()
if SENDFILE_MODE not in ("", "nginx", "apache"):
    raise ImproperlyConfigured("SENDFILE_MODE must be empty, 'nginx' or 'apache'")
SENDFILE_NGINX_PREFIX = os.environ.get("SENDFILE_NGINX_PREFIX", "/_private/")
# Generated files with personal data (a failed import's annotated workbook) live outside
# MEDIA_ROOT, 0600, and are deleted by the daily job after IMPORT_ERROR_FILE_TTL_HOURS.
PRIVATE_FILES_DIR = VAR_DIR / "private"
IMPORT_ERROR_FILE_TTL_HOURS = int(os.environ.get("IMPORT_ERROR_FILE_TTL_HOURS", 72))

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-eval'"],  # Alpine.js evaluates its attributes
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Deployment: TLS proxy, client address, API docs (docs/operations.md) ------------------
# Origins (scheme://host[:port]) allowed to POST besides the request's own host, e.g. when the
# proxy rewrites Host: "https://dj.example.gov.cn".
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# How many reverse proxies we own in front of the app (nginx = 1; a load balancer + nginx = 2).
# 0 reads REMOTE_ADDR only; N reads the N-th X-Forwarded-For entry from the right, so a
# client-sent entry is never trusted (dangjian.core.clientip).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
# Login lockout records the same address as rate limits and the audit log.
AXES_CLIENT_IP_CALLABLE = "dangjian.core.clientip.client_ip"
# The header our proxy sets to tell that the client spoke HTTPS. Behind a trusted proxy it
# defaults to X-Forwarded-Proto (the proxy must set it, overwriting any the client sent);
# "" turns it off.
_proxy_ssl_header = os.environ.get(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if TRUSTED_PROXY_COUNT else ""
).strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# Redirect plain HTTP to HTTPS in Django (off by default: the proxy's port 80 redirects, and a
# health check on loopback stays plain).
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=False)
# HSTS is only sent on HTTPS responses; production defaults to one year.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", default=False)
# The OpenAPI document and its Swagger page: public while developing, logged-in users only in
# production (anonymous visitors get a 404).
API_DOCS_PUBLIC = _env_bool("API_DOCS_PUBLIC", default=not PRODUCTION)

# --- Background jobs ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DANGJIAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Jobs that `dangjian daily_jobs` enqueues once a day: (label, task taking today's ISO date).
DAILY_JOBS = [
    ("换届提醒", "dangjian.orgs.tasks.org_term_reminders_task"),
    ("组织关系介绍信过期处理", "dangjian.transfers.tasks.transfers_expire_task"),
    ("组织生活提醒", "dangjian.meetings.tasks.meeting_reminders_task"),
    ("党费：开立本月台账、连续六个月未交提醒", "dangjian.dues.tasks.dues_daily_task"),
    (
        "群众诉求超时退回、评价超时、到期预警、逾期升级",
        "dangjian.service_requests.tasks.requests_sweep_task",
    ),
    ("星级评定公示期满生效", "dangjian.points.tasks.points_daily_task"),
    (
        "发展党员超期、可办提醒与三年未发展党员的村",
        "dangjian.recruitment.tasks.recruitment_alerts_task",
    ),
    ("村情民意到期、逾期提醒", "dangjian.community.tasks.opinion_reminders_task"),
    ("删除过期的导入错误说明文件", "dangjian.core.tasks.import_error_files_purge_task"),
]

# --- Notifications --------------------------------------------------------------------------
# In-app delivery always happens; these extra channels (SMS, WeCom …) are dotted paths to
# callables taking a Notification. Empty by default.
NOTIFICATION_CHANNELS: list[str] = [
    c for c in os.environ.get("NOTIFICATION_CHANNELS", "").split(",") if c
]

# --- Residents' intake: SMS codes, rate limits, blocklist ------------------------------------
# A callable ``sender(*, phone, body)``; the default logs the message (logger "dangjian.sms")
# and keeps it in ``dangjian.core.sms.outbox``. Production points this at a real SMS gateway.
SMS_SENDER = os.environ.get("SMS_SENDER", "dangjian.core.sms.log_sender")
SMS_CODE_LENGTH = 6
SMS_CODE_TTL_SECONDS = int(os.environ.get("SMS_CODE_TTL_SECONDS", 600))  # a code lives 10 min
SMS_CODE_MAX_TRIES = 5  # wrong entries before the code is void and a new one is needed
SMS_CODE_RESEND_SECONDS = 60  # cool-down before the same phone gets another code
# Fixed-window limits (count, seconds), counted in the database (dangjian.core.ratelimit).
# A village office or a 4G carrier puts many residents behind one address: the per-IP limits
# are looser than the per-phone ones.
INTAKE_LIMITS: dict[str, tuple[int, int]] = {
    "code_per_phone": (5, 3600),  # SMS codes to one phone per hour
    "code_per_ip": (30, 3600),  # SMS codes requested from one address per hour
    "submit_per_phone": (5, 86400),  # requests from one phone per day
    "submit_per_ip": (60, 86400),  # requests from one address per day
    "track_per_ip": (60, 600),  # tracking-code and private-link look-ups per 10 minutes
    "rate_per_ip": (20, 3600),  # rating attempts per hour
    "open311_submit_per_key": (300, 3600),  # Open311 submissions per api_key per hour
    # Text messages about a request's progress (受理、领单、晒单 …) to one phone per day; past
    # it a notice is recorded as not sent (a resident with several requests, or a loop gone
    # wrong, never floods a phone).
    "notice_per_phone": (10, 86400),
}
# The site's address as residents reach it, for the private link in their text messages
# (no request to read a host from when a grid worker's claim sends the notice).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
if not PUBLIC_BASE_URL:
    if PRODUCTION:
        raise RuntimeError("DANGJIAN_ENV=production 时必须设置环境变量 PUBLIC_BASE_URL")
    PUBLIC_BASE_URL = "http://127.0.0.1:8000"
# Who keeps the blocklist: ``gate(viewer) -> bool`` (core cannot import the access root).
BLOCKLIST_GATE = "dangjian.service_requests.access.may_manage_blocklist"

# --- Domain knobs ---------------------------------------------------------------------------
# A subtree move that would rewrite more copied-path rows than this runs in the background.
ORG_MOVE_SYNC_LIMIT = int(os.environ.get("ORG_MOVE_SYNC_LIMIT", 20000))
# Duplicate-ID checks that hit a person outside the actor's scope, per actor per window
# (count, seconds): reaching it stops the actor's ID checks, flags them to the county's
# organization admins, and refuses an import that would reach it (dangjian.members.id_clash).
ID_CLASH_LIMIT: tuple[int, int] = (
    int(os.environ.get("ID_CLASH_LIMIT", 20)),
    int(os.environ.get("ID_CLASH_WINDOW_SECONDS", 86400)),
)

# Full-ID lookups inside one's own scope by someone who may not reveal what they could confirm
# (a member search by a full number; a duplicate check of a number that fits a member they see),
# per actor per window (count, seconds): past it such lookups are refused before the number is
# looked up, and the actor is flagged to the organization admins (dangjian.members.id_lookup).
ID_LOOKUP_LIMIT: tuple[int, int] = (
    int(os.environ.get("ID_LOOKUP_LIMIT", 10)),
    int(os.environ.get("ID_LOOKUP_WINDOW_SECONDS", 86400)),
)

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
# Every handler carries PersonalDataFilter: ID numbers and phones are masked in every line
# (a member search by ID number puts it in the request line). Django's own loggers are routed
# here too, so its default handlers (which would not carry the filter) are replaced; a gunicorn
# logger that propagates to the root is covered by the root's handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "personal_data": {"()": "dangjian.core.logfilter.PersonalDataFilter"},
    },
    "formatters": {
        "json": {
            "()": "dangjian.core.logfilter.MaskedJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give these their own unfiltered handlers: drop those and let the
        # records reach the root's filtered handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# Lockout is per account name: a township office shares one NAT address, and locking the
# address would lock out everyone there after one person's typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
