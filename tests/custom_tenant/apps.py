from django.apps import AppConfig


class CustomTenantConfig(AppConfig):
    name = "tests.custom_tenant"
    label = "custom_tenant"
    default_auto_field = "django.db.models.BigAutoField"
