"""The demo project with its own tenant model and plans, through PERSCOM_OAUTH's adapter."""

from project.settings import *  # noqa: F403
from tests.settings_support import separate_test_storage

INSTALLED_APPS = [*INSTALLED_APPS, "tests.custom_tenant"]  # noqa: F405
PERSCOM_OAUTH_ORGANIZATION_MODEL = "custom_tenant.Tenant"
# Tiers replace plans: PLANS_WITH_OAUTH is never read by this adapter.
PERSCOM_OAUTH = {**PERSCOM_OAUTH, "ADAPTER": "tests.custom_tenant.adapter.TenantAdapter"}  # noqa: F405
ROOT_URLCONF = "tests.custom_tenant.urls"

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
separate_test_storage(DATABASES, CACHES, "tenant")  # noqa: F405
