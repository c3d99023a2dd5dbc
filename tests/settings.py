"""The main test settings: the demo project, with a test database per settings module."""

import os

from project.settings import *  # noqa: F403

# Anyone may send any Host: the unknown-host tests must reach our 404, not Django's 400.
ALLOWED_HOSTS = ["*"]
# Client secrets and passwords hashed with a fast hasher: the suite checks behaviour, and
# bench/ measures the production hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each settings module gets its own test database and cache prefix, so the sub-suites that
# tests/test_host_setups.py runs in child processes never collide with this one.
DATABASES["default"]["TEST"] = {"NAME": "test_perscom_main"}  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"perscom-test-main-{os.getpid()}"  # noqa: F405
