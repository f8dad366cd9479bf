"""Settings, all read from the environment (every variable is listed in README.md).

`QI_ENV` chooses the profile: ``local`` (the default, for `make run` and tests) or
``production`` (requires SECRET_KEY and ALLOWED_HOSTS, turns on secure cookies and HSTS).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("QI_VAR_DIR", BASE_DIR / "var"))


def env_str(name, default=None):
    """A string from NAME, or from the file named by NAME_FILE (for container secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


QI_ENV = os.environ.get("QI_ENV", "local")
if QI_ENV not in ("local", "production"):
    raise ImproperlyConfigured(f"QI_ENV must be 'local' or 'production', not {QI_ENV!r}")
PRODUCTION = QI_ENV == "production"

DEBUG = env_bool("DEBUG", False)


def _secret_key():
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when QI_ENV=production")
    # Local runs: generate once and keep it, so sessions survive a restart.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when QI_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "bootstrap",
    "ninja",
    "qiservice.core",
    "qiservice.accounts",
    "qiservice.enterprises",
    "qiservice.institutions",
    "qiservice.specialists",
    "qiservice.demands",
    "qiservice.evaluations",
    "qiservice.deadlines",
    "qiservice.notifications",
    "qiservice.documents",
    "qiservice.exports",
    "qiservice.imports",
    "qiservice.reports",
    "qiservice.assessments",
    "qiservice.public",
    "qiservice.complaints",
    "qiservice.portal",
    "qiservice.api",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qiservice.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qiservice.accounts.middleware.SessionActivityMiddleware",
    "qiservice.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qiservice.accounts.middleware.AccountSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qiservice.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "qiservice.urls"
WSGI_APPLICATION = "qiservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qiservice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qiservice.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ by default (WAL, immediate transactions so writers queue
# instead of failing with "database is locked"); PostgreSQL through DATABASE_URL.
# Connections are kept for DB_CONN_MAX_AGE seconds (checked before reuse, so a restarted
# database costs no failed request): a new PostgreSQL connection starts a server process and
# authenticates, a new SQLite one re-reads the schema — each a few ms, more than a list page's
# queries take. Not under DEBUG: the development server runs each request on a new thread,
# which would only leave connections behind.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'qiservice.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password rules (等保 2.0 / ASVS; qiservice/accounts/passwords.py): length, character
# classes, not the username, not common, not one of the last PASSWORD_HISTORY passwords.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "qiservice.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "qiservice.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "qiservice.accounts.passwords.UsernameSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "qiservice.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY}},
]
# Days after which a password must be changed before anything else (0: never expires).
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0)
# Lockout (qiservice/accounts/lockout.py): after LOGIN_LOCKOUT_ATTEMPTS failures within
# LOGIN_LOCKOUT_MINUTES, the account name and the address are each locked for that long (or
# until an agency admin unlocks them). Counted in the database, so all app processes agree.
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# TOTP second factor (qiservice/accounts/totp.py). When required, agency admins without it
# must enrol before anything else. Secrets are encrypted with TOTP_ENCRYPTION_KEY (default:
# derived from SECRET_KEY; set it separately if SECRET_KEY may be rotated).
TOTP_REQUIRED_FOR_ADMINS = env_bool("TOTP_REQUIRED_FOR_ADMINS", False)
TOTP_ENCRYPTION_KEY = env_str("TOTP_ENCRYPTION_KEY", "")
TOTP_ISSUER = env_str("TOTP_ISSUER", "厦门质量基础设施协同服务平台")
# The inactivity timeout: a session ends SESSION_COOKIE_AGE seconds after the last request,
# give or take SESSION_ACTIVITY_SECONDS: the stored expiry is pushed on at most that often
# (accounts/middleware.py, SessionActivityMiddleware), not written on every request.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_ACTIVITY_SECONDS = 60

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")  # never served directly

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (qiservice/core/middleware.py): this origin's
# script and style files only (no inline script, no eval), images also as data: URIs
# (Bootstrap's icons), no plugins, no framing, forms posted back to this origin.
SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": ["'none'"],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": ["'none'"],
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

FILTERS_EMPTY_CHOICE_LABEL = _("全部")

# The demand workflow.
LEDGER_EDIT_HOURS = env_int("LEDGER_EDIT_HOURS", 48)  # after this a ledger entry is corrected, not edited
EVALUATION_LINK_DAYS = env_int("EVALUATION_LINK_DAYS", 30)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Excel imports (qiservice/imports): an upload larger than IMPORT_MAX_MB is refused before it is
# opened; a workbook whose members unpack to more than IMPORT_MAX_UNPACKED_MB, or with more
# data rows than IMPORT_MAX_ROWS, is refused. Files up to IMPORT_INLINE_KB are checked in the
# request itself; bigger ones on the queue.
IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 20)
IMPORT_MAX_UNPACKED_MB = env_int("IMPORT_MAX_UNPACKED_MB", 400)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100000)
IMPORT_INLINE_KB = env_int("IMPORT_INLINE_KB", 256)

# The cache: per process by default; Redis (CACHE_URL=redis://127.0.0.1:6379/1) when several
# app processes must share it (rate limits, the calendar, matching figures).
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The background queue (huey): an embedded SQLite queue by default, so `make run` needs no
# extra server; Redis in production (QUEUE_URL=redis://127.0.0.1:6379/0). QUEUE_IMMEDIATE runs
# tasks in the calling process (tests).
QUEUE_URL = env_str("QUEUE_URL", "")
HUEY = {
    "name": "qiservice",
    "immediate": env_bool("QUEUE_IMMEDIATE", False),
    "consumer": {"workers": env_int("QUEUE_WORKERS", 2), "worker_type": "thread"},
}
if QUEUE_URL.startswith("redis://"):
    HUEY.update({"huey_class": "huey.RedisHuey", "url": QUEUE_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "queue.sqlite3")})

SMS_BACKEND = env_str("SMS_BACKEND", "qiservice.notifications.sms.LoggingSmsBackend")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@qi.example.gov.cn")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# Excel exports: from this many rows on, the file is written by the queue (a job with a
# progress page); the files of finished jobs are deleted after EXPORT_FILE_DAYS.
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 10000)
EXPORT_FILE_DAYS = env_int("EXPORT_FILE_DAYS", 7)

# Pages of lists in the UI and the API.
PAGE_SIZE = env_int("PAGE_SIZE", 25)

# The public pages' service hotline (qiservice/public "how to get help").
SERVICE_HOTLINE = env_str("SERVICE_HOTLINE", "12345")
# Rate limits (count, seconds) per scope, counted in the cache (core/ratelimit.py):
# registration per address, login per address and per username, complaints per user.
RATE_LIMITS = {
    "register": (5, 3600),
    "login_address": (30, 300),
    "login_username": (10, 300),
    "complaint": (5, 3600),
}
# Working days for each complaint-handling step (qiservice/complaints/choices.py).
COMPLAINT_TIME_LIMITS = {"received": 2, "acknowledged": 10, "investigated": 3, "answered": 5}

SITE_TITLE = _("厦门市质量基础设施协同服务平台")
