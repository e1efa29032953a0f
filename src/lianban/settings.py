"""Django settings for lianban. Every value from the environment goes through lianban.conf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from lianban.conf import ConfigurationError, env, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("LIANBAN_DATA_DIR")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("LIANBAN_DEBUG")
SECRET_KEY = env("LIANBAN_SECRET_KEY")
if not SECRET_KEY:
    # Development and tests only; `lianban check --deploy` flags this key as insecure.
    SECRET_KEY = "django-insecure-lianban-development-key-change-me"
ALLOWED_HOSTS = env_list("LIANBAN_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "lianban.accounts",
    "lianban.audit",
    "lianban.notifications",
    "lianban.workdays",
    "lianban.catalog",
    "lianban.documents",
    "lianban.signing",
    "lianban.applications",
    "lianban.cases",
    "lianban.portal",
    "lianban.window",
    "lianban.workbench",
    "lianban.integration",
    "lianban.sharing",
    "lianban.supervision",
    "lianban.reviews",
    "lianban.proposals",
    "lianban.backup",
    "lianban.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lianban.common.headers.security_headers",
    "lianban.errors.reject_nul_bytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lianban.urls"
CSRF_FAILURE_VIEW = "lianban.errors.csrf_failure"
WSGI_APPLICATION = "lianban.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's password sign-in, the user read with their applicant record (one query fewer).
AUTHENTICATION_BACKENDS = ["lianban.accounts.backends.ModelBackend"]
LOGIN_URL = "/accounts/login/"

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
            "builtins": ["lianban.common.rowurls"],
        },
    },
]

_database_url = env("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "lianban.sqlite3"),
            "OPTIONS": {
                # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write
                # lock at BEGIN so that two writers queue instead of failing half-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Kept open between requests: opening a connection costs more than most reads,
            # and closing the last one checkpoints the write-ahead log.
            "CONN_MAX_AGE": 60,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The one language the platform speaks: without this list the locale middleware would follow
# a browser that prefers English and show Django's own form messages in English.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = env("LIANBAN_TIME_ZONE")
USE_I18N = True
USE_TZ = True

# The API's per-client rate limit counts in this cache: shared (Redis) across web processes
# when configured, otherwise in each process's memory.
_cache_url = env("LIANBAN_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# With a shared cache every request reads its session from the cache, not the database
# (changes are written to both). Not with a per-process cache: another process could still
# hold a session that has ended.
if _cache_url:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "lianban.common.storage.LianbanFileStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# A template naming a file collectstatic has not seen falls back to the plain name.
WHITENOISE_MANIFEST_STRICT = False

SECURE = env_bool("LIANBAN_SECURE")
# A site served over HTTPS is a production site: it never starts on the development secret
# key or signing passphrase, whose values anyone can read in the source.
_missing = [
    n for n in ("LIANBAN_SECRET_KEY", "LIANBAN_SIGNING_PASSPHRASE") if SECURE and not env(n)
]
if _missing:
    raise ConfigurationError(
        f"{' and '.join(_missing)} must be set (or given in a file named by <NAME>_FILE) "
        "when LIANBAN_SECURE is true; the development values are public."
    )
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Notices sealed by the sealing worker after the change commits, instead of in the request
# (lianban/applications/notices.py): sealing is a tenth of a second or more of CPU each.
LIANBAN_SEAL_IN_WORKER = env_bool("LIANBAN_SEAL_IN_WORKER")

# 好差评: working days to follow up a bad review (lianban/reviews).
LIANBAN_REVIEW_FOLLOWUP_DAYS = int(env("LIANBAN_REVIEW_FOLLOWUP_DAYS"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "lianban": {"handlers": ["console"], "level": env("LIANBAN_LOG_LEVEL")},
        # Server errors must leave a trace in production too, where DEBUG is off.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# 一次登录: applicants may sign in with the province's unified identity (OpenID Connect, see
# lianban/accounts/oidc.py). Off, and its pages 404, unless an issuer is configured.
LIANBAN_OIDC: dict[str, Any] | None = None
if env("LIANBAN_OIDC_ISSUER"):
    if not env("LIANBAN_OIDC_CLIENT_ID"):
        raise ConfigurationError("LIANBAN_OIDC_CLIENT_ID is required with LIANBAN_OIDC_ISSUER")
    LIANBAN_OIDC = {
        "ISSUER": env("LIANBAN_OIDC_ISSUER"),
        "CLIENT_ID": env("LIANBAN_OIDC_CLIENT_ID"),
        "CLIENT_SECRET": env("LIANBAN_OIDC_CLIENT_SECRET"),
        "SCOPE": env("LIANBAN_OIDC_SCOPE"),
        "CLAIMS": {
            "id_number": env("LIANBAN_OIDC_CLAIM_ID_NUMBER"),
            "name": env("LIANBAN_OIDC_CLAIM_NAME"),
            "phone": env("LIANBAN_OIDC_CLAIM_PHONE"),
            "credit_code": env("LIANBAN_OIDC_CLAIM_CREDIT_CODE"),
            "org_name": env("LIANBAN_OIDC_CLAIM_ORG_NAME"),
            "legal_representative": env("LIANBAN_OIDC_CLAIM_LEGAL_REPRESENTATIVE"),
        },
    }
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "lianban.accounts.oidc.OIDCBackend"]
    _template_options: Any = TEMPLATES[0]["OPTIONS"]
    _template_options["context_processors"].append("lianban.accounts.oidc.context")
