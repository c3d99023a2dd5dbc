"""Settings of the perscom-oauth demo: an existing "dashboard" with perscom-oauth installed.

SQLite and an in-process cache by default; ``DATABASE_URL`` and ``REDIS_URL`` switch to the
production setup (PostgreSQL + Redis).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS
from project.oidc_key import demo_key_encryption_key

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
# Organizations are told apart by host; ".localhost" covers localhost and its subdomains.
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", ".localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "perscom_oauth",
    "project.demo",
    "axes",  # sign-in lockout, see "Login brute-force protection" below
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database outage answers 503 with Retry-After instead of a 500 (docs/deployment.md).
    "perscom_oauth.http.outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout into its page (see below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
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
WSGI_APPLICATION = "project.wsgi.application"

# Persistent connections only where the number of threads is bounded: threaded runserver opens
# one connection per request thread, and with CONN_MAX_AGE > 0 keeps each one open after its
# thread ends, until PostgreSQL's max_connections is exhausted. Under gunicorn (sync workers:
# one thread each) DJANGO_CONN_MAX_AGE=60 saves a connection set-up per request
# (docs/deployment.md). Health checks drop a connection that died while idle.
# DATABASE_POOLER=transaction says DATABASE_URL is a pooler in transaction mode (PgBouncer's
# pool_mode = transaction), where each transaction may run on another server connection: no
# server-side cursors, as Django documents for it (docs/deployment.md, "Connection pooling").
database_pooler = os.environ.get("DATABASE_POOLER", "")
if database_pooler not in ("", "transaction"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER={database_pooler!r} is not known: set it to 'transaction' behind PgBouncer "
        "in transaction mode, or leave it unset."
    )
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
        disable_server_side_cursors=database_pooler == "transaction",
    )
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # Django's Redis cache, reusing its client (perscom_oauth/cache/backend.py).
            "BACKEND": "perscom_oauth.cache.backend.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A Redis that stops answering must fail fast, for the fallback to the database to
            # apply (perscom_oauth.W005, docs/deployment.md); in seconds.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Login brute-force protection (django-axes) ---
# /accounts/login/ and /admin/login/ (and the password grant at /oauth/token, which calls
# authenticate() too) refuse a username from a client address after AXES_FAILURE_LIMIT failed
# attempts, and an address after SIGN_IN_FAILURES_PER_ADDRESS failed attempts at any usernames,
# for AXES_COOLOFF_TIME. AxesStandaloneBackend must come first: it refuses a locked-out
# sign-in, even with the right password, before ModelBackend checks it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Username and address together: a guesser locks only their own address out of that account, so
# they can neither lock a user out from elsewhere nor, from one address, get past the limit.
# (Spreading guesses over many addresses is the IP throttles' business, not this lock's.)
# The address is REMOTE_ADDR, as for perscom_oauth's throttle and audit log: behind a reverse
# proxy, set REMOTE_ADDR from the proxy's header in a middleware, or every client shares one.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 10
# Spraying a few guesses at each of many usernames from one address never reaches that limit:
# failures are also counted per address, across usernames, and never forgotten on a success
# (project/lockout.py). High enough for the users behind one office or NAT address who mistype,
# low enough that a spray tries a few dozen passwords per cool-off instead of any number.
SIGN_IN_FAILURES_PER_ADDRESS = 50
AXES_COOLOFF_TIME = timedelta(minutes=15)  # a failure while locked out starts the wait again
AXES_RESET_ON_SUCCESS = True  # a successful sign-in forgets that username's failures (not the address's)
# Counters in Django's cache rather than the database handler's tables: the same store as
# perscom_oauth's token-endpoint throttle (Redis in production, shared by every process),
# atomic counters that expire by themselves after the cool-off, and no database write per guess
# (the database handler also appends each failure's request data to its row). The in-process
# cache of the default set-up counts per process: right for `runserver`, which is one process;
# any multi-process deployment sets REDIS_URL. Unlock early with
# `manage.py axes_reset_ip_username <ip> <username>`, an address with `axes_reset_ip <ip>`.
# Axes' cache handler, subclassed (project/lockout.py) for the per-address counter and for
# outages: a cache that does not answer turns the lockout off, with a logged warning, instead of
# answering 500 to every sign-in. The password is still checked in the database (access fails
# closed); only the counting fails open, as perscom_oauth's throttle does (SECURITY.md).
AXES_HANDLER = "project.lockout.SignInLockoutHandler"
# The database handler's tables stay empty with the cache handler: no admin pages for them.
AXES_ENABLE_ADMIN = False
if not os.environ.get("REDIS_URL") and DEBUG:
    # axes.W001 warns that the in-process cache is not shared between processes (see above);
    # only the debug server is exempt, a non-debug deployment without Redis still gets it.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# A human-readable page with 429 Too Many Requests (AXES_HTTP_RESPONSE_CODE's default), on both
# sign-in pages. The token endpoint answers a locked-out password grant with its usual
# invalid_grant instead: axes flags the request DOT builds for authenticate(), not ours.
# (perscom_oauth's own throttle also limits failed password grants there, with 429 slow_down.)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# --- end of login brute-force protection ---

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "perscom_oauth.contrib.rest_framework.OAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["perscom_oauth.contrib.rest_framework.ScopePermissions"],
    "EXCEPTION_HANDLER": "perscom_oauth.contrib.rest_framework.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OpenAPI schema at /api/schema, Swagger UI at /api/docs, its assets served from this server
# (the sidecar package). Swagger UI signs in as the seed's public client "demo-swagger",
# with PKCE (RFC 7636; RFC 9700 §2.1.1 requires it of public clients).
SPECTACULAR_SETTINGS = {
    "TITLE": "PERSCOM demo API",
    "DESCRIPTION": (
        "The demo organization's API. Authorize with OAuth 2.0 to try it. Its protected-resource "
        "metadata (RFC 9728), naming the authorization server and the scopes, is at "
        "[/.well-known/oauth-protected-resource/api](/.well-known/oauth-protected-resource/api); "
        "every 401 points there (`resource_metadata`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True},
    "SWAGGER_UI_OAUTH2_CONFIG": {
        "clientId": "demo-swagger",
        "appName": "Swagger UI",
        "usePkceWithAuthorizationCodeGrant": True,
    },
}

# --- perscom-oauth: the README's "Install into an existing project" lines, for the demo ---
# The default organization model, named explicitly because the demo's own models point at it.
PERSCOM_OAUTH_ORGANIZATION_MODEL = "perscom_oauth.Organization"
OAUTH2_PROVIDER_APPLICATION_MODEL = "perscom_oauth.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "perscom_oauth.Grant"
OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER_DEFAULTS,
    "OIDC_ENABLED": True,
    # Optional: a global key (docs/openid-connect.md) signs until each organization's own key
    # has been published long enough, and stays published while its tokens live.
    "OIDC_RSA_PRIVATE_KEY": os.environ.get("OIDC_RSA_PRIVATE_KEY", ""),
}
PERSCOM_OAUTH = {
    "PLANS_WITH_OAUTH": ["enterprise"],
    "SCOPE_MODELS": ["auth.User", "demo"],
    # Each organization signs ID tokens with its own keys, stored encrypted with this key.
    # Demo only (derived from SECRET_KEY): production reads it from the environment.
    "SIGNING_KEY_ENCRYPTION_KEYS": [demo_key_encryption_key(SECRET_KEY)],
}
# --- end of perscom-oauth ---

# RFC 9728 (docs/resource-metadata.md): the demo's API under /api is a resource of its own. Its
# metadata is at /.well-known/oauth-protected-resource/api, and its 401s point there.
PERSCOM_OAUTH["RESOURCE_PATHS"] = ["/api"]
OAUTH2_PROVIDER["OAUTH2_PROTECTED_RESOURCE_NAME"] = "PERSCOM demo API"
OAUTH2_PROVIDER["OAUTH2_PROTECTED_RESOURCE_DOCUMENTATION"] = "/api/docs"
