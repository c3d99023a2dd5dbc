"""Test helpers for the device authorization grant (RFC 8628), through the public HTTP surface."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.test import Client

from perscom_oauth.models import Application, Organization
from perscom_oauth.tenancy.throttle import digest
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def device_app(organization: Any, client_id: str = "alpha-tv", **fields: Any) -> Application:
    """A public device-flow client of ``organization`` (a TV app keeps no secret)."""
    application: Application = ApplicationFactory(
        organization=organization,
        client_id=client_id,
        name=fields.pop("name", "Alpha TV"),
        client_type=fields.pop("client_type", Application.CLIENT_PUBLIC),
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        redirect_uris="",
        **fields,
    )
    return application


def start(oauth: OAuthClient, client_id: str, scope: str = "view:user", **extra: Any) -> Any:
    """The device authorization request (§3.1), answered as it is."""
    return form_post(
        oauth.client(), "/oauth/device_authorization", {"client_id": client_id, "scope": scope}, **extra
    )


def form_post(client: Client, path: str, data: dict[str, Any], **extra: Any) -> Any:
    """As a device sends it: application/x-www-form-urlencoded (RFC 8628 §3.1)."""
    body = urlencode({key: value for key, value in data.items() if value is not None}, doseq=True)
    return client.post(path, body, content_type="application/x-www-form-urlencoded", **extra)


def codes(oauth: OAuthClient, client_id: str, scope: str = "view:user") -> dict[str, Any]:
    response = start(oauth, client_id, scope)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def poll(oauth: OAuthClient, client_id: str, device_code: str, *, wait: bool = True, **extra: Any) -> Any:
    """One poll (§3.4); ``wait`` clears the poll gate's mark first, as waiting ``interval`` would."""
    if wait:
        forget_poll(oauth, device_code)
    data = {"grant_type": GRANT, "device_code": device_code, "client_id": client_id}
    return form_post(oauth.client(), "/oauth/token", data, **extra)


def forget_poll(oauth: OAuthClient, device_code: str) -> None:
    organization = Organization.objects.get(domains__hostname=oauth.host.split(":")[0])
    cache.delete(f"perscom_oauth:poll:{organization.pk}:{digest(device_code)}")


def browser(oauth: OAuthClient, user: Any) -> Client:
    client = oauth.client()
    client.force_login(user)
    return client


def enter(client: Client, user_code: str) -> Any:
    return client.post("/oauth/device", {"user_code": user_code})


def decide(client: Client, user_code: str, action: str = "approve", scopes: list[str] | None = None) -> Any:
    data: dict[str, Any] = {"user_code": user_code, "action": action}
    if scopes is not None:
        data["approved_scopes"] = scopes
    return client.post("/oauth/device/confirm", data)


def approve(oauth: OAuthClient, user: Any, user_code: str, scopes: list[str]) -> Any:
    client = browser(oauth, user)
    shown = enter(client, user_code)
    assert shown.status_code == 200, shown.content
    return decide(client, user_code, "approve", scopes)
