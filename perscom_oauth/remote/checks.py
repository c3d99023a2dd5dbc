"""System checks of ``PERSCOM_OAUTH_REMOTE``: a wrong value is a message at start-up, not an
exception on every request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import every_config

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        configs = every_config()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="See docs/remote-resource-servers.md for every key, its type and its default.",
                id="perscom_oauth_remote.E001",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for config in configs:
        url = urlsplit(config.introspection_endpoint)
        if url.scheme != "https" and url.hostname not in LOOPBACK:
            messages.append(
                checks.Warning(
                    f"Introspection at {config.introspection_endpoint} sends the service's client secret "
                    "and every access token in clear text.",
                    hint="Use the organization's https:// address.",
                    id="perscom_oauth_remote.W001",
                )
            )
    return messages
