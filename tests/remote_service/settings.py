"""The separate service: no perscom_oauth app, no django-oauth-toolkit, a SQLite database of its
own. Where its authorization server is, and its own port, come from the test that starts it."""

from __future__ import annotations

import os

AUTHORIZATION_SERVER = os.environ["REMOTE_SERVICE_AUTHORIZATION_SERVER"]  # http://localhost:<port>
SELF = os.environ["REMOTE_SERVICE_URL"]  # http://127.0.0.1:<port>
CLOSED_PORT = os.environ["REMOTE_SERVICE_CLOSED_PORT"]  # nothing listens there

SECRET_KEY = "remote-service-for-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    # Optional: checks PERSCOM_OAUTH_REMOTE at start-up. It has no models.
    "perscom_oauth.remote",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.remote_service.urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["REMOTE_SERVICE_DATABASE"]}
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["perscom_oauth.remote.authentication.IntrospectionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["perscom_oauth.remote.permissions.ScopePermissions"],
    "EXCEPTION_HANDLER": "perscom_oauth.remote.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

CLIENT = {"CLIENT_ID": "reports-service", "CLIENT_SECRET": os.environ["REMOTE_SERVICE_CLIENT_SECRET"]}
PERSCOM_OAUTH_REMOTE = {
    # Short, so that the test can wait it out: the bound on honouring a revocation.
    "CACHE_SECONDS": 2,
    "INACTIVE_CACHE_SECONDS": 2,
    "TIMEOUT_SECONDS": 2,
    "HOSTS": {
        # The organization at the live authorization server.
        "127.0.0.1": {
            "AUTHORIZATION_SERVER": AUTHORIZATION_SERVER,
            **CLIENT,
            "RESOURCE": f"{SELF}/",
            "RESOURCE_METADATA_URL": f"{SELF}/.well-known/oauth-protected-resource",
        },
        # An authorization server that does not answer.
        "down.test": {"AUTHORIZATION_SERVER": f"http://127.0.0.1:{CLOSED_PORT}", **CLIENT},
        # The right server, the wrong client secret: it refuses to introspect for us.
        "wrong-secret.test": {
            "AUTHORIZATION_SERVER": AUTHORIZATION_SERVER,
            "CLIENT_ID": "reports-service",
            "CLIENT_SECRET": "not-the-secret",
        },
    },
}
