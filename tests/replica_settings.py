"""The replica suite's settings (tests/replica/, run by tests/test_replica_router.py): the main
test settings, with a private primary as ``default``, its streaming replica as ``replica`` and
``perscom_oauth.routers.ReplicaRouter`` installed, as docs/replicas.md configures them."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tests.settings import *  # noqa: F403
from tests.settings_support import separate_test_storage

try:
    PRIMARY_URL = os.environ["PERSCOM_REPLICA_PRIMARY_URL"]
    REPLICA_URL = os.environ["PERSCOM_REPLICA_STANDBY_URL"]
except KeyError as missing:
    raise ImproperlyConfigured(
        f"{missing} is not set: tests/replica runs from tests/test_replica_router.py, which starts a "
        "private primary and replica (tests/replica_support.py) and passes their URLs."
    ) from None

# The suite uses the private pair as it is (tests/replica/conftest.py migrates the primary): no
# test database is created, on either.
DATABASES = {
    "default": dj_database_url.parse(PRIMARY_URL, conn_health_checks=True),
    "replica": dj_database_url.parse(REPLICA_URL, conn_health_checks=True),
}
DATABASE_ROUTERS = ["perscom_oauth.routers.ReplicaRouter"]
PERSCOM_OAUTH = {**PERSCOM_OAUTH, "REPLICA_DATABASE": "replica"}  # noqa: F405
separate_test_storage(DATABASES, CACHES, "replica")  # noqa: F405
