"""A project as ``django-admin startproject`` makes it, plus the README's perscom-oauth lines.

Proves that installing into an existing project takes only the block between the markers.
"""

import os
from pathlib import Path

import dj_database_url

from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS
from tests.settings_support import separate_test_storage

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "django-insecure-host-install-test-key-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = True
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
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

ROOT_URLCONF = "tests.host_install.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The block is the README's, verbatim (a test compares the two): neither reformatted nor wrapped.
# --- perscom-oauth ---
INSTALLED_APPS += ["rest_framework", "oauth2_provider", "perscom_oauth"]
OAUTH2_PROVIDER_APPLICATION_MODEL = "perscom_oauth.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "perscom_oauth.Grant"
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER_DEFAULTS}
PERSCOM_OAUTH = {"PLANS_WITH_OAUTH": ["enterprise"], "SCOPE_MODELS": ["auth.User"]}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["perscom_oauth.contrib.rest_framework.OAuth2Authentication"],
    "EXCEPTION_HANDLER": "perscom_oauth.contrib.rest_framework.exception_handler",
}
# Where /oauth/authorize sends a visitor who is not signed in: your sign-in page (urls.py).
LOGIN_URL = "/accounts/login/"
# --- end perscom-oauth ---

# Test-only: any Host (organizations are told apart by host), a fast hasher, and a test
# database and cache prefix of its own so it never collides with the other suites.
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
separate_test_storage(DATABASES, CACHES, "host")
