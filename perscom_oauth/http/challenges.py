"""The ``WWW-Authenticate: Bearer`` challenge of every protected response (RFC 6750 §3), with
the address of the RFC 9728 metadata of the resource the request was for (RFC 9728 §5.1): a
client that meets a 401 learns there which authorization server to ask and for what.

And ``basic_challenge``, the challenge of the endpoints where clients authenticate (token,
revocation, introspection, device authorization): RFC 6749 §5.2, RFC 7617 §2."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.www_authenticate import build_bearer_challenge

from ..conf import oauth_settings


@dataclass(frozen=True)
class Refusal:
    """Why a bearer token is refused, as an RFC 6750 §3.1 error (in process: ``tokens.check``;
    on another server: ``remote.check``)."""

    description: str
    error: str = "invalid_token"

    def as_oauth2_error(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def resource_path(path: str) -> str:
    """The separate resource (``RESOURCE_PATHS``) a request path belongs to, without its
    slashes (``"api"``), or ``""``: the host's root resource. The longest match wins."""
    path = path.strip("/")
    found = ""
    for prefix in oauth_settings.RESOURCE_PATHS:
        prefix = prefix.strip("/")
        if prefix and (path == prefix or path.startswith(f"{prefix}/")) and len(prefix) > len(found):
            found = prefix
    return found


def resource_metadata_url(request: HttpRequest) -> str | None:
    """The RFC 9728 §3.1 metadata address of the request's resource, on the request's host;
    None where ``perscom_oauth.urls`` is not mounted at the root (nothing to point at)."""
    path = resource_path(request.path)
    try:
        if path:
            url = reverse("oauth2_provider:oauth-resource-metadata-path", kwargs={"resource_path": path})
        else:
            url = reverse("oauth2_provider:oauth-resource-metadata")
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(url)


def bearer_challenge(
    request: HttpRequest,
    error: dict[str, str] | None = None,
    realm: str = "api",
    metadata_url: str | None = None,
) -> str:
    """RFC 6750 §3: a bare challenge without ``error`` (a request without credentials,
    §3.1), else the error's code, description and scope, with ``resource_metadata``:
    ``metadata_url`` (a separate service names its own document, ``remote``), else this
    host's (``resource_metadata_url``). The base library's builder escapes the quoted values
    (an organization's name appears in a plan refusal)."""
    metadata = metadata_url or resource_metadata_url(request)
    challenge: str = build_bearer_challenge(
        request, oauth2_error=error or None, realm=realm, resource_metadata_url=metadata
    )
    return challenge


def quoted(value: str) -> str:
    """An RFC 9110 §5.6.4 quoted-string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def basic_challenge(realm: str) -> str:
    """RFC 7617 §2: HTTP Basic, the one HTTP authentication scheme a client authenticates with
    here (``client_secret_basic``, RFC 6749 §2.3.1); ``realm`` names the protection space (the
    issuer: each organization's clients are its own)."""
    return f'Basic realm={quoted(realm)}, charset="UTF-8"'


class ClientChallengeMixin:
    """For the endpoints where clients authenticate: every 401 challenges with HTTP Basic.

    RFC 6749 §5.2: a client that authenticated with the ``Authorization`` header and failed
    gets 401 and a ``WWW-Authenticate`` of the scheme it used, which here can only be Basic;
    one that sent its credentials in the body (or none) is told the scheme it may use, since a
    401 MUST carry a challenge (RFC 9110 §15.5.2). oauthlib challenges every 401 with
    ``Bearer``, a scheme no client uses here; the introspection endpoint's own 401 had none."""

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 401:
            issuer = oauth2_settings.oauth2_authorization_server_issuer(request)
            response["WWW-Authenticate"] = basic_challenge(issuer)
        return response
