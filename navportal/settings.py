"""Settings, all read from the environment.

With no variable set the portal runs for development: DEBUG on, an embedded SQLite database under var/,
e-mail printed to the console. In production set at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and
DATABASE_URL. A malformed value stops start-up with ImproperlyConfigured naming the variable.
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's host names when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "post_office",  # the mail outbox (navportal/mail.py, docs/mail.md)
    "health_check",  # /health/ for the load balancer, /health/outbox/ for monitoring (navportal/health.py)
    "navportal",
    "applications",
    "review",
    "portal",  # the home page and the demo data: what needs both apps
    "bases",  # the bases after designation: their management, filings, reports and assessment (SPEC §12)
]

MIDDLEWARE = [
    # First, before anything that might log: every line of the request carries its id (navportal/request_id.py).
    "navportal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that answers for a person (static files above are the same for all): no copy kept of it.
    "navportal.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "navportal.second_factor.OTPMiddleware",  # django-otp's, with the device checked in the user's query
    "navportal.security.SessionPolicyMiddleware",
    # Officials and administrators pass the second factor before anything else (navportal/second_factor.py).
    "navportal.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "navportal.audit.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "navportal.security.SecurityHeadersMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "navportal.urls"
WSGI_APPLICATION = "navportal.wsgi.application"

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
                "navportal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
VAR_DIR = Path(os.environ.get("NAVPORTAL_VAR_DIR", BASE_DIR / "var"))

# --- Keys (navportal.keys, docs/cryptography.md) ---------------------------------------------------
# Outside the database: the keys themselves (NAVPORTAL_KEYS, from a secret) or a file of them. Development makes
# var/keys on first use; production refuses to start without keys.
NAVPORTAL_KEYS = os.environ.get("NAVPORTAL_KEYS", "")
NAVPORTAL_KEY_FILE = os.environ.get("NAVPORTAL_KEY_FILE", "") or (str(VAR_DIR / "keys") if DEBUG else "")
NAVPORTAL_KEY_FILE_CREATE = DEBUG
if not DEBUG and not (NAVPORTAL_KEYS or NAVPORTAL_KEY_FILE):
    raise ImproperlyConfigured("NAVPORTAL_KEY_FILE (or NAVPORTAL_KEYS) must give the portal's keys when DEBUG is off "
                               "(manage.py generate_key prints one; docs/cryptography.md)")
_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_db)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL this portal understands: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue instead of one
    # failing with "database is locked" half-way through a state change.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", "")}
elif DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…) or SQLite (sqlite:///…)")
# A PostgreSQL-compatible server (KingbaseES, openGauss) is reached through its vendor's Django backend, named here
# by its module; DATABASE_URL still gives the server, the database and the account in postgres:// form. Whether the
# server can do what the portal needs is checked at start-up (navportal.dbfeatures, docs/deployment.md).
_engine = os.environ.get("DATABASE_ENGINE", "")
if _engine:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_ENGINE names the backend of a PostgreSQL-compatible server: DATABASE_URL "
                                   "must then be a postgres:// URL")
    DATABASES["default"]["ENGINE"] = _engine
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Seconds a worker keeps its database connection between requests (0: a new connection per request, as in
# development). Production sets it (docs/deployment.md); the health check replaces a connection that died.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The signed-in user's query is a prepared statement on PostgreSQL (navportal.compiled); 0 behind a pooler that
# moves statements between sessions (PgBouncer in transaction mode).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------------
# Fragments of the public pages and of the filter forms. Their keys carry the version of what they show, read
# from the database, so each server may keep its own cache in memory (nothing to invalidate across servers);
# a shared cache only saves memory and warm-up (docs/deployment.md).
# The cache: each process's own memory by default (development, one server); CACHE_URL=redis://host:6379/1 makes it
# Redis (Django's RedisCache, with one client per pool: navportal.cache), shared by every worker and server, so
# that what one process caches under a version the others see, and a bumped version is seen by all. Its keys start
# with CACHE_KEY_PREFIX.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "navportal")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
if CACHE_URL:
    if not CACHE_URL.startswith(REDIS_SCHEMES):
        raise ImproperlyConfigured("CACHE_URL must be a Redis URL (redis://host:6379/1, rediss://…, unix://…); "
                                   f"got {CACHE_URL!r}")
    CACHES = {"default": {"BACKEND": "navportal.cache.RedisCache", "LOCATION": CACHE_URL,
                          "TIMEOUT": 600, "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "navportal",
                          "TIMEOUT": 600, "OPTIONS": {"MAX_ENTRIES": 5000}}}

# The counters of the public forms' rate limits (navportal/throttle.py, django-ratelimit) must be shared by every
# server process, or each of N workers would let N times the limit through: Redis in production
# (RATELIMIT_CACHE_URL=redis://host:6379/0, Django's own RedisCache). Without it the counters live in each
# process's memory — right for development and a single process, documented as such in SECURITY.md.
# The shared cache's Redis serves, unless RATELIMIT_CACHE_URL names another.
RATELIMIT_CACHE_URL = os.environ.get("RATELIMIT_CACHE_URL", "") or CACHE_URL
if RATELIMIT_CACHE_URL:
    if not RATELIMIT_CACHE_URL.startswith(REDIS_SCHEMES):
        raise ImproperlyConfigured("RATELIMIT_CACHE_URL must be a Redis URL (redis://host:6379/0, rediss://…, "
                                   f"unix://…); got {RATELIMIT_CACHE_URL!r}")
    CACHES["ratelimit"] = {"BACKEND": "navportal.cache.RedisCache",
                           "LOCATION": RATELIMIT_CACHE_URL, "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:ratelimit"}
else:
    CACHES["ratelimit"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                           "LOCATION": "navportal-ratelimit", "OPTIONS": {"MAX_ENTRIES": 100000}}
RATELIMIT_USE_CACHE = "ratelimit"
# A cache that does not answer refuses the public forms (429) rather than lifting every limit.
RATELIMIT_FAIL_OPEN = False

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "navportal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# PBKDF2-HMAC-SM3 (navportal.hashers, GB/T 39786): older PBKDF2-SHA256 hashes still check and are rewritten with
# SM3 at the next sign-in.
PASSWORD_HASHERS = ["navportal.hashers.PBKDF2SM3PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "navportal.security.CharacterClassValidator"},
    {"NAME": "navportal.security.PasswordHistoryValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "navportal.auth.ScopedModelBackend",  # Django's ModelBackend, reading the user's scope with the user
    # Sign-in through a government identity platform: answers only the platform's callback, and only when
    # OIDC_CLIENT_ID is set (below); the session then belongs to ScopedModelBackend like any other.
    "portal.platform.PlatformBackend",
]
# 30 minutes idle (the session and its cookie are renewed once a minute of activity) and 12 hours absolute, both
# by SessionPolicyMiddleware; not every request writes the session.
SESSION_COOKIE_AGE = 30 * 60
# With the shared cache, a session is read from Redis and written through to the database (cached_db): one query
# less on every signed-in request. Never with the per-process default, where a signed-out session would live on in
# the other workers' memory.
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The health checks answer plain HTTP too: a balancer probing each server directly (not through the TLS front)
# would otherwise get a redirect to the public https:// address instead of this server's state. They carry no
# cookie and nothing secret (navportal/health.py; docs/deployment.md).
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# A government intranet host name is not for the browsers' public HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# How many reverse proxies in front of the portal may be trusted to append to X-Forwarded-For (0: none).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)


def env_proxy_ssl_header(name):
    """Django's SECURE_PROXY_SSL_HEADER from `HTTP_X_FORWARDED_PROTO,https` (the header as Django's request.META
    names it, a comma, the value that means HTTPS), or None when unset.

    Behind a balancer that ends TLS every request reaches gunicorn as plain HTTP: without this, SSL redirects
    loop, and a browser's https:// Origin never matches, so every POST fails the CSRF check. Set it only where
    the balancer always sets or overwrites that header and nothing else reaches the servers: whoever can send
    it to a server directly can claim HTTPS (docs/deployment.md)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    header, comma, wanted = (part.strip() for part in value.partition(","))
    if not (comma and re.fullmatch(r"HTTP_[A-Z0-9_]+", header) and re.fullmatch(r"[^,\s]+", wanted)):
        raise ImproperlyConfigured(f"{name} must be a request.META header name, a comma and the value that means "
                                   f"HTTPS, e.g. HTTP_X_FORWARDED_PROTO,https; got {value!r}")
    return header, wanted


SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")

# django-axes: five failures per user name and address lock that pair out for 30 minutes; twenty failures of one
# user name from all addresses together (a password tried against it from many addresses: spraying, stuffing) lock
# the user name itself. axes counts each parameter set and takes the highest count against one limit, so the limit
# is a function that answers 5 where the pair reached it and 20 otherwise (navportal.security.axes_failure_limit).
LOCKOUT_FAILURES_PER_ADDRESS = 5
LOCKOUT_FAILURES_PER_USERNAME = 20
AXES_FAILURE_LIMIT = "navportal.security.axes_failure_limit"
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "navportal.security.client_ip"
AXES_LOCKOUT_CALLABLE = "navportal.security.axes_lockout_response"
# What axes stores and counts as the "user name": the account's user name whichever identifier was typed (user name
# or e-mail address: both count against the one account), or the blind index of an unknown address — never an
# address in plain (navportal.identifiers.axes_username).
AXES_USERNAME_CALLABLE = "navportal.identifiers.axes_username"
AXES_VERBOSE = False

# django-otp: the second factor (TOTP, RFC 6238) of officials and administrators. The issuer names the portal
# in the authenticator app; wrong codes are throttled by django-otp (1, 2, 4, 8 … seconds, kept on the device).
OTP_TOTP_ISSUER = "navportal"

# --- Sign-in through a government identity platform (统一身份认证, OpenID Connect) --------------------------
# Off unless OIDC_CLIENT_ID is set: then no button is shown and the platform's routes answer 404. When it is set,
# the issuer, the four endpoints and the client secret must be set too (docs: README.md, SECURITY.md).
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
if OIDC_RP_CLIENT_ID:
    _oidc = {name: os.environ.get(f"OIDC_{name}", "") for name in (
        "CLIENT_SECRET", "ISSUER", "AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "USERINFO_ENDPOINT", "JWKS_ENDPOINT")}
    _missing = [f"OIDC_{name}" for name, value in _oidc.items() if not value]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_CLIENT_ID is set, so {', '.join(_missing)} must be set too")
    OIDC_RP_CLIENT_SECRET = _oidc["CLIENT_SECRET"]
    OIDC_OP_ISSUER = _oidc["ISSUER"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc["AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = _oidc["TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = _oidc["USERINFO_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = _oidc["JWKS_ENDPOINT"]
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile email")
OIDC_USE_PKCE = True                       # the code is useless to whoever intercepts the redirect
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)   # seconds for each call to the platform
OIDC_AUTHENTICATION_CALLBACK_URL = "platform_callback"
OIDC_CREATE_USER = False                    # accounts are made by the registration form, never by a sign-in
# The claims' names on the platform: the organisation's credit code (a 法人 sign-in), the person's name and e-mail,
# and the organisation's name (to prefill the registration of an organisation not yet registered).
OIDC_CLAIM_CREDIT_CODE = os.environ.get("OIDC_CLAIM_CREDIT_CODE", "credit_code")
OIDC_CLAIM_NAME = os.environ.get("OIDC_CLAIM_NAME", "name")
OIDC_CLAIM_EMAIL = os.environ.get("OIDC_CLAIM_EMAIL", "email")
OIDC_CLAIM_ORGANISATION = os.environ.get("OIDC_CLAIM_ORGANISATION", "org_name")
# Officials may sign in through the platform only when this is on: matched to an existing official account whose
# OIDC_OFFICIAL_FIELD (email or username) equals the claim OIDC_OFFICIAL_CLAIM; no official is ever created.
OIDC_OFFICIALS = env_bool("OIDC_OFFICIALS", False)
OIDC_OFFICIAL_CLAIM = os.environ.get("OIDC_OFFICIAL_CLAIM", "email")
OIDC_OFFICIAL_FIELD = os.environ.get("OIDC_OFFICIAL_FIELD", "email")
if OIDC_OFFICIAL_FIELD not in ("email", "username"):
    raise ImproperlyConfigured(f"OIDC_OFFICIAL_FIELD must be email or username; got {OIDC_OFFICIAL_FIELD!r}")
# The `acr` or `amr` values by which the platform asserts a certificate-level login (e.g. a CA certificate or
# UKey): an official signed in so passes the second factor; any other platform sign-in still types the TOTP code.
OIDC_CERTIFICATE_ACR = env_list("OIDC_CERTIFICATE_ACR", [])

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Uploads are private: the folder is outside anything served, and files leave only through the
    # permission-checked download view. MEDIA_URL is deliberately not routed.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": os.environ.get("UPLOAD_ROOT", str(VAR_DIR / "uploads")),
                            "base_url": "/no-public-url/",
                            "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# 个人信息保护法 Art. 19: personal information kept no longer than its purpose needs. The rules page
# (navportal.privacy_rules) states these periods; manage.py apply_retention applies them daily.
# An objector's identity and files: this many days after the call's final list is confirmed.
PRIVACY_OBJECTION_DAYS = env_int("PRIVACY_OBJECTION_DAYS", 180)
# The people of an application never designated (contacts, roster, declarant): this many years after the call closed.
PRIVACY_ROSTER_YEARS = env_int("PRIVACY_ROSTER_YEARS", 3)
# Sign-in and audit logs: at least six months (网络安全法 Art. 21); manage.py purge_audit refuses anything younger.
PRIVACY_LOG_DAYS = 180

UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 10) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# --- E-mail ---------------------------------------------------------------------------------------
# Every mail is a row of the outbox (django-post-office), written in the transaction of the change it reports;
# `manage.py mail_worker` sends the rows through MAIL_DELIVERY_BACKEND (SMTP when EMAIL_HOST is set, the
# console otherwise), with retries. docs/mail.md.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "navportal@localhost")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")) or any(c in SITE_URL for c in " \r\n?#"):
    raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s):// address; got {SITE_URL!r}")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    MAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    MAIL_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = "navportal.mail.OutboxBackend"
POST_OFFICE = {
    "BACKENDS": {"default": MAIL_DELIVERY_BACKEND},
    "DEFAULT_PRIORITY": "medium",       # queued, never sent inside the request ("now" would)
    "MAX_RETRIES": env_int("MAIL_MAX_RETRIES", 6),
    # The first retry after RETRY_INTERVAL; navportal.mail doubles it after each further failure.
    "RETRY_INTERVAL": datetime.timedelta(seconds=env_int("MAIL_RETRY_SECONDS", 60)),
    "MESSAGE_ID_ENABLED": True,         # the Message-ID is fixed when the mail is queued, the same on every try
    "MESSAGE_ID_FQDN": SITE_URL.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0],
    "LOG_LEVEL": 2,                     # a log row for every try, sent or failed
    "THREADS_PER_PROCESS": 1,
    "BATCH_SIZE": 100,
    # First queued, first sent (within a priority): without the id post_office leaves the order to the database,
    # and PostgreSQL's is not the queue's — mails about one matter would leave in any order.
    "SENDING_ORDER": ["-priority", "id"],
}
MAIL_WORKER_SLEEP = env_int("MAIL_WORKER_SLEEP", 5)
# /health/outbox/ fails when a mail has been due this long without being sent: the worker is down (navportal/health.py).
HEALTH_OUTBOX_MAX_AGE_MINUTES = env_int("HEALTH_OUTBOX_MAX_AGE_MINUTES", 30)
if HEALTH_OUTBOX_MAX_AGE_MINUTES < 1:
    raise ImproperlyConfigured(f"HEALTH_OUTBOX_MAX_AGE_MINUTES must be at least 1; got {HEALTH_OUTBOX_MAX_AGE_MINUTES}")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# LOG_FORMAT=json writes one JSON object per line for a log collector, with the request's id (navportal.request_id)
# on each (production, docs/deployment.md); the default, text, is for reading in a terminal. Either way every line is
# redacted (navportal.privacy): no phone or ID number, e-mail address, password, code or token.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "") or "text"
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json; got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"text": {"()": "navportal.privacy.RedactingFormatter",
                            "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
                   "json": {"()": "navportal.privacy.JsonFormatter"}},
    "filters": {"request_id": {"()": "navportal.request_id.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports each layout step at INFO and, at WARNING, every screen-only rule of print.css it skips.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"},
                # post_office reports each round at INFO (mail_worker prints what it did); a handler of ours
                # keeps it from installing its own, unredacted one.
                "post_office": {"handlers": ["console"], "level": "WARNING", "propagate": False},
                # Django's own handlers go: its console handler (DEBUG only) would write django.* lines a second
                # time, unredacted and never as JSON, and runserver's request lines would carry whole query strings.
                "django": {"level": "INFO"},
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
