"""Vanilla django-oauth-toolkit, as its docs set it up: the baseline of bench/run.py."""

import os

import dj_database_url

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "bench.vanilla.urls"
DATABASES = {"default": dj_database_url.config(default="sqlite:///:memory:")}
DATABASES["default"]["TEST"] = (
    {"NAME": "bench_vanilla"} if "sqlite" not in DATABASES["default"]["ENGINE"] else {}
)
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
OAUTH2_PROVIDER = {"SCOPES": {"view:user": "Can view user"}, "ACCESS_TOKEN_EXPIRE_SECONDS": 3600}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oauth2_provider.contrib.rest_framework.OAuth2Authentication"],
}
