"""The demo project with the documentation's example tenants (docs/examples/tenants/)."""

from project.settings import *  # noqa: F403
from tests.settings_support import separate_test_storage

INSTALLED_APPS = [*INSTALLED_APPS, "docs.examples.tenants"]  # noqa: F405
PERSCOM_OAUTH_ORGANIZATION_MODEL = "tenants.Tenant"
PERSCOM_OAUTH = {**PERSCOM_OAUTH, "ADAPTER": "docs.examples.tenants.adapter.TenantAdapter"}  # noqa: F405
ROOT_URLCONF = "tests.tenant_example.urls"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
separate_test_storage(DATABASES, CACHES, "tenant_example")  # noqa: F405
