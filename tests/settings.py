"""The main test settings: the demo project, with a test database per settings module."""

from project.settings import *  # noqa: F403
from tests.settings_support import separate_test_storage

# Anyone may send any Host: the unknown-host tests must reach our 404, not Django's 400.
ALLOWED_HOSTS = ["*"]
# Models that are never exposed unless a test names them in SCOPE_MODELS (test_scopes.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.scope_collisions"]  # noqa: F405
# Client secrets and passwords hashed with a fast hasher: the suite checks behaviour, and
# bench/ measures the production hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each settings module gets its own test database and cache prefix, so the sub-suites that
# tests/test_host_setups.py runs in child processes never collide with this one.
separate_test_storage(DATABASES, CACHES, "main")  # noqa: F405

# django-axes (the login lockout, project/settings.py) is installed but off for the suite:
# Django's Client.login() calls authenticate() without a request, which AxesStandaloneBackend
# refuses with an error, and tests sign in that way (test_seed_demo.py); Axes documents
# AXES_ENABLED for switching it off in test setups. tests/test_login_lockout.py turns it back on
# (override_settings) and checks the lockout, and the password grant under it, over HTTP.
AXES_ENABLED = False
