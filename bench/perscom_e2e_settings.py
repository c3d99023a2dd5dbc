"""perscom-oauth's side of bench/e2e.py: the demo (bench.perscom_settings: DEBUG off, any host,
Django's default PBKDF2 hasher) plus the open baseline view. DATABASE_URL / REDIS_URL as set."""

from bench.perscom_settings import *  # noqa: F403

ROOT_URLCONF = "bench.perscom_urls"
# One worker: the in-process cache of the SQLite run is the only cache, nothing to share.
SILENCED_SYSTEM_CHECKS = ["axes.W001"]
