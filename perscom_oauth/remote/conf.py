"""The service's settings: one dict, ``PERSCOM_OAUTH_REMOTE``, read on every request (nothing is
cached, so ``override_settings`` works) and validated as it is read.

One service may serve several organizations: ``HOSTS`` maps the host a request arrived at to
the keys that differ for it (the organization's authorization server, the service's client
there, its resource identifier); the top level holds the rest. Without ``HOSTS`` every request
uses the top level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.request import split_domain_port

from .audience import is_absolute_uri

SETTING = "PERSCOM_OAUTH_REMOTE"

#: Every key with its default. docs/remote-resource-servers.md documents each one.
DEFAULTS: dict[str, object] = {
    # The organization's host, where it answers OAuth ("https://alpha.example.com").
    "AUTHORIZATION_SERVER": None,
    # Its RFC 7662 endpoint; default: AUTHORIZATION_SERVER + "/oauth/introspect".
    "INTROSPECTION_ENDPOINT": None,
    # The service's own confidential client of that organization (RFC 7662 §2.1, HTTP Basic).
    "CLIENT_ID": None,
    "CLIENT_SECRET": None,
    # This service's resource identifier (RFC 8707): a token bound to other resources is refused.
    # None: the request's own URL, as the in-process check does.
    "RESOURCE": None,
    # Refuse tokens bound to no resource at all (by default they are valid everywhere).
    "REQUIRE_AUDIENCE": False,
    # The service's RFC 9728 document, named in every challenge; None leaves it out.
    "RESOURCE_METADATA_URL": None,
    # How long an active answer is reused: the bound on honouring a revocation.
    "CACHE_SECONDS": 30,
    # How long an inactive answer is reused (a flood of bad tokens asks once per token).
    "INACTIVE_CACHE_SECONDS": 5,
    # How long to wait for the authorization server before answering 503.
    "TIMEOUT_SECONDS": 5,
    # The Django cache that keeps the answers.
    "CACHE_ALIAS": "default",
    # Per host (lower case, no port): the keys above that differ for it.
    "HOSTS": {},
}

#: What a host entry may set: what differs from one organization to the next.
PER_HOST = (
    "AUTHORIZATION_SERVER",
    "INTROSPECTION_ENDPOINT",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "RESOURCE",
    "REQUIRE_AUDIENCE",
    "RESOURCE_METADATA_URL",
)

MAX_CACHE_SECONDS = 3600
MAX_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ServerConfig:
    """What a request's host asks of: validated, with defaults filled in."""

    authorization_server: str
    introspection_endpoint: str
    client_id: str
    client_secret: str
    resource: str | None
    require_audience: bool
    resource_metadata_url: str | None
    cache_seconds: int
    inactive_cache_seconds: int
    timeout_seconds: float
    cache_alias: str


def raw() -> dict[str, Any]:
    value = getattr(settings, SETTING, None)
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            f"{SETTING} must be a dict naming at least AUTHORIZATION_SERVER, CLIENT_ID and CLIENT_SECRET "
            "(docs/remote-resource-servers.md)."
        )
    unknown = sorted(set(value) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"{SETTING} has unknown keys {unknown}; the keys are {sorted(DEFAULTS)}.")
    return {**DEFAULTS, **value}


def hosts() -> dict[str, Mapping[str, Any]]:
    found = raw()["HOSTS"]
    if not isinstance(found, Mapping) or not all(
        isinstance(host, str) and isinstance(entry, Mapping) for host, entry in found.items()
    ):
        raise ImproperlyConfigured(f'{SETTING}["HOSTS"] must map host names to dicts of {list(PER_HOST)}.')
    for host, entry in found.items():
        wrong = sorted(set(entry) - set(PER_HOST))
        if wrong:
            raise ImproperlyConfigured(
                f'{SETTING}["HOSTS"]["{host}"] sets {wrong}, which apply to every host: set them at the '
                f"top level. A host may set {list(PER_HOST)}."
            )
    return {host.lower(): entry for host, entry in found.items()}


def config_for_host(host: str | None) -> ServerConfig | None:
    """The configuration for requests to ``host`` (a name without port), or None when ``HOSTS``
    is set and does not name it. Raises ``ImproperlyConfigured`` for a wrong value."""
    values = raw()
    per_host = hosts()
    if per_host:
        entry = per_host.get((host or "").lower())
        if entry is None:
            return None
        values = {**values, **entry}
    return _validated(values, f'{SETTING}["HOSTS"]["{host}"]' if per_host else SETTING)


def config_for_request(request: HttpRequest) -> ServerConfig | None:
    host, _port = split_domain_port(request.get_host())
    return config_for_host(host)


def every_config() -> list[ServerConfig]:
    """Each host's configuration (the top level's without ``HOSTS``): what system checks read."""
    per_host = hosts()
    return [c for c in (config_for_host(host) for host in (per_host or [None])) if c is not None]


def _validated(values: Mapping[str, Any], where: str) -> ServerConfig:
    server = _url(values, "AUTHORIZATION_SERVER", where, required=True)
    assert server is not None  # required
    endpoint = _url(values, "INTROSPECTION_ENDPOINT", where) or f"{server.rstrip('/')}/oauth/introspect"
    for key in ("CLIENT_ID", "CLIENT_SECRET"):
        if not isinstance(values[key], str) or not values[key]:
            raise ImproperlyConfigured(
                f"{where} needs {key}: the credentials of the service's own confidential client of the "
                "organization, which introspection requires (RFC 7662 §2.1)."
            )
    if not isinstance(values["REQUIRE_AUDIENCE"], bool):
        raise ImproperlyConfigured(f'{where}["REQUIRE_AUDIENCE"] must be True or False.')
    alias = values["CACHE_ALIAS"]
    if not isinstance(alias, str) or alias not in settings.CACHES:
        raise ImproperlyConfigured(
            f'{SETTING}["CACHE_ALIAS"] must name one of CACHES: {sorted(settings.CACHES)}.'
        )
    return ServerConfig(
        authorization_server=server,
        introspection_endpoint=endpoint,
        client_id=values["CLIENT_ID"],
        client_secret=values["CLIENT_SECRET"],
        resource=_url(values, "RESOURCE", where),
        require_audience=values["REQUIRE_AUDIENCE"],
        resource_metadata_url=_url(values, "RESOURCE_METADATA_URL", where),
        cache_seconds=_number(values, "CACHE_SECONDS", int, MAX_CACHE_SECONDS, minimum=0),
        inactive_cache_seconds=_number(values, "INACTIVE_CACHE_SECONDS", int, MAX_CACHE_SECONDS, minimum=0),
        timeout_seconds=float(
            _number(values, "TIMEOUT_SECONDS", (int, float), MAX_TIMEOUT_SECONDS, minimum=0.1)
        ),
        cache_alias=alias,
    )


def _url(values: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = values[key]
    if value is None and not required:
        return None
    if (
        not isinstance(value, str)
        or not is_absolute_uri(value)
        or not value.startswith(("https://", "http://"))
    ):
        raise ImproperlyConfigured(
            f'{where}["{key}"] must be an absolute http(s) URL without user or fragment, not {value!r}.'
        )
    return value


def _number(values: Mapping[str, Any], key: str, kind: Any, maximum: float, minimum: float) -> Any:
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, kind) or not minimum <= value <= maximum:
        raise ImproperlyConfigured(
            f'{SETTING}["{key}"] must be a number from {minimum} to {maximum}, not {value!r}.'
        )
    return value
