"""Settings of the perscom-oauth demo: an existing "dashboard" with perscom-oauth installed.

SQLite and an in-process cache by default; ``DATABASE_URL`` and ``REDIS_URL`` switch to the
production setup (PostgreSQL + Redis).
"""

import os
from pathlib import Path

import dj_database_url

from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS
from project.oidc_key import demo_signing_key

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60)
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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
    "DESCRIPTION": "The demo organization's API. Authorize with OAuth 2.0 to try it.",
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
OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER_DEFAULTS,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": demo_signing_key(BASE_DIR),
}
PERSCOM_OAUTH = {"PLANS_WITH_OAUTH": ["enterprise"], "SCOPE_MODELS": ["auth.User", "demo"]}
# --- end of perscom-oauth ---
