"""The demo as docs/deployment.md tells operators to run it: DEBUG off, HTTPS only behind a
TLS-terminating proxy, secrets from the environment, PostgreSQL and Redis.

``.ci/deploy_check.sh`` (and tests/test_deploy_check.py) run ``manage.py check --deploy
--fail-level WARNING`` on this module: every warning is fixed here, or silenced below by its id
with the reason, documented in docs/checks.md. A new warning fails CI.

Environment: ``DJANGO_SECRET_KEY`` (required), ``DJANGO_ALLOWED_HOSTS`` (every organization's
host, comma-separated), ``DATABASE_URL`` (with ``DATABASE_POOLER=transaction`` if it is PgBouncer in
transaction mode), ``REDIS_URL``, ``OIDC_KEY_ENCRYPTION_KEYS`` (Fernet keys,
comma-separated, newest first: they encrypt each organization's signing keys), optionally
``OIDC_RSA_PRIVATE_KEY`` (PEM text: the global key of installs from before per-organization
keys). Without either, OpenID Connect is off rather than signed with a key derived or generated
here.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from project.settings import *  # noqa: F403
from project.settings import OAUTH2_PROVIDER, PERSCOM_OAUTH

DEBUG = False

# Never a default secret: sessions, password-reset links and signed values depend on it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 50 characters.")
# Organizations are told apart by host: list each organization's domain (".example.org").
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", ".example.org").split(",")

# HTTPS only. nginx terminates TLS and says so in X-Forwarded-Proto (docs/deployment.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000  # a year; start lower on a domain not yet served over HTTPS only
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # organizations live on subdomains
# Not preloaded: once on the browsers' list a domain cannot leave it quickly; the domain's owner
# decides (security.W021 silenced below).
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [
    f"https://*{host}" if host.startswith(".") else f"https://{host}" for host in ALLOWED_HOSTS
]

# One Redis shared by every process: the token cache, its invalidation marks, the throttle and
# the sign-in lockout's counters (perscom_oauth.W003, axes.W001); timeouts: perscom_oauth.W005.
CACHES = {
    "default": {
        "BACKEND": "perscom_oauth.cache.backend.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }
}

# Signing keys come from a secret store, never from the demo's KEK derived from SECRET_KEY.
_oidc_key = os.environ.get("OIDC_RSA_PRIVATE_KEY", "")
_key_encryption_keys = [key for key in os.environ.get("OIDC_KEY_ENCRYPTION_KEYS", "").split(",") if key]
PERSCOM_OAUTH = {**PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": _key_encryption_keys}
OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER,
    "OIDC_ENABLED": bool(_oidc_key or _key_encryption_keys),
    "OIDC_RSA_PRIVATE_KEY": _oidc_key,
    # Redirect URIs over https only (RFC 9700 §2.1, oauth2_provider.W008). Native apps use a
    # claimed https URL or their own scheme, listed here ("com.example.app"); keeping "http" for
    # their loopback callbacks (RFC 8252 §7.3) means silencing W008 (docs/checks.md).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

# Deliberate, each explained in docs/checks.md ("Base-library checks"):
SILENCED_SYSTEM_CHECKS = [
    # Implicit and password grants work only for an application registered with that grant
    # (Application.authorization_grant_type); the base library's switch would refuse them for
    # every application. A deployment without such applications sets the two gates True.
    "oauth2_provider.W001",
    "oauth2_provider.W002",
    # The demo's Swagger UI page (project/urls.py SwaggerView) is an HTML page, not an API view:
    # drf-spectacular's schema generation skips it with this warning.
    "drf_spectacular.W002",
    # HSTS preloading (see SECURE_HSTS_PRELOAD above).
    "security.W021",
]
