"""Vanilla django-oauth-toolkit's side of bench/e2e.py: bench.vanilla.settings plus the open baseline."""

from bench.vanilla.settings import *  # noqa: F403

ROOT_URLCONF = "bench.vanilla.e2e_urls"
# Persistent connections, as the demo's settings have (conn_max_age=60): not a reconnect per request.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
