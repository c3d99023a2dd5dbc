from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerscomOAuthConfig(AppConfig):
    name = "perscom_oauth"
    verbose_name = _("OAuth 2.0")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
