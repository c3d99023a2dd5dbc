from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerscomOAuthConfig(AppConfig):
    name = "perscom_oauth"
    verbose_name = _("OAuth 2.0")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .cache.invalidation import connect
        from .tokens import credentials  # noqa: F401  (a password change revokes)

        connect()  # what makes cached token state stale (cache.entries)

        if find_spec("drf_spectacular") is not None:
            # drf-spectacular registers an extension when its class is defined; importing
            # here, once, needs no query and works whichever URLconf serves the schema.
            from .contrib.rest_framework import openapi  # noqa: F401
