"""Settings for the Interleukin Therapy Tracker.

Everything that differs between a laptop and a clinic server comes from the environment (or a
`.env` file beside manage.py). Defaults run on SQLite for development; production sets
DATABASE_URL to PostgreSQL. See README.md for the list.
"""

import datetime
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The default key is only good for development and tests; `manage.py check --deploy` refuses it.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "simple_history",
    "therapies",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, whose static files keep their long cache: no page or API answer is
    # kept in a browser's or proxy's cache (they carry patients' data).
    "tracker.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL in the path or query answers 400 (in the visitor's language) before anything
    # queries the database with it.
    "tracker.middleware.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tracker.middleware.PreferredLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "tracker.middleware.TwoFactorPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.audit.RefusedAccessLogMiddleware",
    # A write refused by a read-only or full disk: 503 with a message, not a server error.
    "tracker.unwritable.UnwritableDatabaseMiddleware",
    # Last, as django-axes asks: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Form widgets may use the project's templates (templates/tracker/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
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
                "tracker.context_processors.clinician_nav",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL through DATABASE_URL (postgres://user@host:port/name).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two writers must never see "database is locked": WAL lets readers run beside one
    # writer, IMMEDIATE takes the write lock when the transaction starts (so a transaction
    # never has to upgrade a read lock mid-way, which is what raises "locked" without
    # waiting), and the busy timeout makes the second writer wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # The journal mode (WAL) is kept in the file: set once (tracker/unwritable.py), not
        # on every connection, where it fails on a read-only disk and takes reads down too.
        "init_command": "PRAGMA synchronous=NORMAL;",
    }
    # The test suite's database: config/settings_test.py.
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The cache holds drawn charts (write rate limits count in the database). With several app
# server processes it must be shared by all of them: by default a table in the database (created by
# `migrate`); CACHE_URL may name another, e.g. redis://cache.example.org:6379/0.
CACHES = {
    "default": env.cache("CACHE_URL")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "tracker.cache.DatabaseCache", "LOCATION": "tracker_cache"}
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tracker.User"

# Argon2 for new passwords (OWASP's first choice); older hashes still verify and are upgraded
# at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Login lockout (django-axes): after 5 failed attempts for one username from one address,
# that pair waits 15 minutes. The API's tokens are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
# The sign-in page is a two-step form (password, then the authenticator's code) whose fields
# carry the step's prefix: the username is read from the credentials, or from the form.
AXES_USERNAME_CALLABLE = "tracker.security.axes_username"
# The database handler, which lets a sign-in through while the database refuses writes.
AXES_HANDLER = "tracker.security.AxesHandler"

# Two-factor authentication (django-two-factor-auth: an authenticator app's time-based codes,
# with single-use backup codes). Clinicians and administrators may turn it on for their
# account; with TWO_FACTOR_REQUIRED=true they must, before they see any page with patients' data.
# Patients sign in with their password only.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=False)
TWO_FACTOR_LOGIN_TIMEOUT = 600  # seconds between the password and the code
OTP_TOTP_ISSUER = "Interleukin Therapy Tracker"
# The administration never shows an authenticator's secret key or QR code once it exists.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracker:home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: English and French; times are stored in UTC and shown in the clinic's zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
# Day-first, unambiguous dates in both languages (tracker/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["tracker.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Patients' photos (tracker/photos.py): private, outside the web root, never served by URL of
# the storage. Local files under PHOTOS_DIR (default var/photos/, git-ignored; directories 0700,
# files 0600) unless PHOTOS_S3_BUCKET names an S3-compatible bucket (django-storages): private
# ACL, credentials from the environment (see README, "Photos").
PHOTOS_DIR = env.path("PHOTOS_DIR", default=BASE_DIR / "var" / "photos")
PHOTOS_S3_BUCKET = env.str("PHOTOS_S3_BUCKET", default="")
if PHOTOS_S3_BUCKET:
    PHOTOS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PHOTOS_S3_BUCKET,
            "location": env.str("PHOTOS_S3_PREFIX", default="photos"),
            "endpoint_url": env.str("PHOTOS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("PHOTOS_S3_REGION", default="") or None,
            "access_key": env.str("PHOTOS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("PHOTOS_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "no-store, private"},
        },
    }
else:
    PHOTOS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(PHOTOS_DIR),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "photos": PHOTOS_STORAGE,
}
# Production serves hashed, compressed files after `collectstatic` (whitenoise). `runserver`
# with DEBUG serves them from the app directories; the test suite switches to plain storage
# (config/settings_test.py).
WHITENOISE_MANIFEST_STRICT = False

# Mail: a server through EMAIL_URL (smtp+tls://user:password@host:587). Without one, e-mails are
# written to files in var/mail/, readable by the app's user only (tracker/mail.py): never to the
# console, since they carry one-time sign-in links and patients' names. `check --deploy`
# refuses both the file and the console backends.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    EMAIL_CONFIG = env.email_url_config(EMAIL_URL)
else:
    EMAIL_CONFIG = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(BASE_DIR / "var" / "mail"),
    }
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_CONFIG["EMAIL_BACKEND"] = "tracker.mail.PrivateFileBackend"
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")

# Where the app is reached from outside, for links in e-mails (invitations, reminders).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# What a patient is told to call. The care team's own number wins when it has one.
CLINIC_PHONE = env.str("CLINIC_PHONE", default="+33 1 00 00 00 00")
# Given to patients when their care team is closed and has no out-of-hours number of its own.
CLINIC_OUT_OF_HOURS_PHONE = env.str("CLINIC_OUT_OF_HOURS_PHONE", default=CLINIC_PHONE)
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="15")

# How soon the care team should look at a flag, in minutes, by level (the triage queue shows
# the time waited against it; None: no target). Product choice of the clinic: urgent within
# half an hour, review the same working day.
TRIAGE_RESPONSE_MINUTES = {
    "urgent": env.int("TRIAGE_URGENT_MINUTES", default=30),
    "review": env.int("TRIAGE_REVIEW_MINUTES", default=480),
    "info": None,
}
# An urgent flag still open this long after its target goes to the care team's physicians
# too (the on-call contacts are told at the target itself; manage.py escalate_flags).
ESCALATION_PHYSICIANS_AFTER_MINUTES = env.int("ESCALATION_PHYSICIANS_AFTER_MINUTES", default=30)
# A pager or chat webhook that does not answer within this many seconds is tried again next run.
ESCALATION_WEBHOOK_TIMEOUT_SECONDS = 5

# Laboratory reference limits used when a course has none of its own. They are
# laboratory-specific: set them to the local laboratory's reference ranges.
CREATININE_ULN_MG_DL = env.float("CREATININE_ULN_MG_DL", default=1.2)
PLATELETS_LLN_10E9_PER_L = env.float("PLATELETS_LLN_10E9_PER_L", default=150.0)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request gets 401 with "WWW-Authenticate: Token".
        "tracker.api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: form encodings cannot carry the nested answers and adverse events, and a
    # request whose nested part is silently dropped would save a half report.
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.JSONParser"],
    # A body too large answers 413 in JSON, not Django's HTML page.
    "EXCEPTION_HANDLER": "tracker.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    # Writes are limited per user and kind (WRITE_RATE_LIMITS below): 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["tracker.throttling.WriteRateThrottle"],
}
# How many writes of each kind one user may make, through the API and the pages together
# (tracker/throttling.py). 30 symptom reports an hour is far more than anyone reports by
# hand; past it a patient is told to call their care team.
WRITE_RATE_LIMITS = {
    "report": env.str("RATE_LIMIT_REPORTS", default="30/hour"),
    "visit": env.str("RATE_LIMIT_VISITS", default="60/hour"),
    "flag": env.str("RATE_LIMIT_FLAGS", default="600/hour"),
    "course": env.str("RATE_LIMIT_COURSES", default="60/hour"),
    "write": env.str("RATE_LIMIT_OTHER_WRITES", default="300/hour"),
}
# API tokens (django-rest-knox): stored as SHA-512 digests, valid API_TOKEN_TTL_DAYS days,
# revoked when the password changes or the account is deactivated (tracker/api/tokens.py).
# Sent as "Authorization: Token <key>" (PRODUCT.md §7).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Interleukin Therapy Tracker API",
    "DESCRIPTION": "Courses, symptom reports, visits and flags for patients on interleukin "
    "therapies. Same scoping as the web pages: out-of-scope objects answer 404.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name "outcome": an adverse event's and a resolved flag's.
    "ENUM_NAME_OVERRIDES": {
        "AdverseEventOutcomeEnum": "tracker.models.AdverseEventOutcome",
        "FlagOutcomeEnum": "tracker.models.FlagOutcome",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.api.schema.add_error_responses",
    ],
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Content-Security-Policy (django-csp): every asset is the app's own, no inline script or style,
# no eval. The chart images relax style-src for their own response only (tracker/charts.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Production hardening, switched on by the environment (see README "Production").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# Sessions are rows in the database; while it refuses writes, a signed cookie (tracker/sessions.py).
SESSION_ENGINE = "tracker.sessions"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
