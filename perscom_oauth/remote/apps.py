"""Optional: name ``perscom_oauth.remote`` in the service's ``INSTALLED_APPS`` so that
``PERSCOM_OAUTH_REMOTE`` is checked at start-up (``manage.py check``). It has no models."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class RemoteConfig(AppConfig):
    name = "perscom_oauth.remote"
    label = "perscom_oauth_remote"
    verbose_name = "perscom-oauth (remote resource server)"
    default = True

    def ready(self) -> None:
        from .checks import check_settings

        checks.register(check_settings)
