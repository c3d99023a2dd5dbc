from __future__ import annotations

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "docs.examples.tenants"  # in your project: "yourapp"
    label = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import invalidation  # noqa: F401  (connects the receivers)
