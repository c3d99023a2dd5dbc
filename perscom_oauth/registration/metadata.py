"""What a client may say about itself when it registers (RFC 7591 §2) or updates its
registration (RFC 7592 §2.2), and the rules on top of the model's.

``parse`` reads the JSON body (bounded in size; a body Python cannot parse, or one too deeply
nested, is ``invalid_client_metadata``, never a 500). ``application_fields`` turns the metadata
into the application's fields: the base library's mapping (grant types, client type; through
``compat``), then ours, each refusal an RFC 7591 §3.2.2 error:

- only grants with a user in the loop: ``authorization_code`` (with ``refresh_token``) and the
  device grant; ``client_credentials`` only where an administrator vouched for the client (an
  initial access token); never ``implicit`` or ``password`` (RFC 9700 §2.1.2, §2.4);
- redirect URIs: at most ``MAX_REDIRECT_URIS``, no whitespace inside one (the model stores them
  space-separated: one URI must not become two), no userinfo (``https://good@evil/``), plain
  ``http`` only to a loopback host (RFC 8252 §7.3, §8.3; RFC 6749 §3.1.2.1); the model then
  checks them as the admin does (scheme, no fragment: ``Application.clean()``), and its
  refusal is ``invalid_redirect_uri``;
- text without NUL or lone surrogates (PostgreSQL stores neither: a 500 otherwise);
- ``scope``: a string, capped by the organization's policy (``policy.capped_scopes``);
- ``id_token_signed_response_alg`` (OpenID Connect Dynamic Client Registration 1.0 §2): one of
  the algorithms this server signs ID tokens with (``id_token_algorithm``, shared with Client ID
  Metadata Documents).

Metadata the server does not understand is ignored (RFC 7591 §2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import compat
from ..models import Application
from ..signing.keys import supported_algorithms
from .policy import Registration, capped_scopes

if TYPE_CHECKING:
    from ..models import RegistrationPolicy

#: Bytes a registration or update body may have: a client's metadata is a few hundred.
MAX_BODY_BYTES = 32 * 1024
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
MAX_SCOPE_LENGTH = 2000

#: OpenID Connect Dynamic Client Registration 1.0 §2: the JWS ``alg`` of the client's ID tokens.
ID_TOKEN_ALG = "id_token_signed_response_alg"

INVALID_CLIENT_METADATA = "invalid_client_metadata"
INVALID_REDIRECT_URI = "invalid_redirect_uri"

#: RFC 7591 §2 metadata we read, and the JSON type each must have.
STRINGS = (
    "client_name",
    "token_endpoint_auth_method",
    "scope",
    "client_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
)
LISTS = ("redirect_uris", "grant_types", "response_types")
#: The metadata kept on the application beside the base library's fields (shown on the consent
#: screen: who asks).
LINKS = ("client_uri", "logo_uri", "policy_uri", "tos_uri")

#: Hosts a plain-http redirect URI may name: the loopback interface (RFC 8252 §7.3; "localhost",
#: §8.3, is not recommended but is what many native and CLI clients register).
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

REFUSED_GRANTS = {
    Application.GRANT_IMPLICIT: "RFC 9700 §2.1.2",
    Application.GRANT_PASSWORD: "RFC 9700 §2.4",
}


@dataclass(frozen=True)
class MetadataError(Exception):
    """An RFC 7591 §3.2.2 error: ``invalid_client_metadata`` or ``invalid_redirect_uri``."""

    error: str
    description: str


def refused(description: str, error: str = INVALID_CLIENT_METADATA) -> MetadataError:
    return MetadataError(error, description)


def too_large() -> MetadataError:
    return refused(_("The client metadata is larger than %(limit)d bytes.") % {"limit": MAX_BODY_BYTES})


def parse(body: bytes) -> dict[str, Any]:
    """The request's JSON object (RFC 7591 §3.1), or ``MetadataError``."""
    if len(body) > MAX_BODY_BYTES:
        raise too_large()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8; nesting past the stack
        raise refused(_("The request body must be a JSON object.")) from None
    if not isinstance(data, dict):
        raise refused(_("The request body must be a JSON object."))
    for name in STRINGS:
        if name in data and not (isinstance(data[name], str) and storable(data[name])):
            raise refused(_("%(name)s must be a string.") % {"name": name})
    for name in LISTS:
        value = data.get(name, [])
        if not (isinstance(value, list) and all(isinstance(item, str) and storable(item) for item in value)):
            raise refused(_("%(name)s must be an array of strings.") % {"name": name})
    return data


def storable(text: str) -> bool:
    """Text a database can store: no NUL, no lone surrogate (JSON's ``\\ud800``)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def application_fields(data: dict[str, Any], policy: RegistrationPolicy) -> dict[str, Any]:
    """The application's fields for ``data`` under ``policy``, or ``MetadataError``."""
    fields, error = compat.build_application_kwargs(data)
    if error is not None:
        raise refused(json.loads(error.content).get("error_description", ""))
    assert fields is not None
    grant = fields["authorization_grant_type"]
    if grant in REFUSED_GRANTS:
        raise refused(
            _("This server does not register clients of the %(grant)s grant (%(rule)s).")
            % {"grant": data.get("grant_types"), "rule": REFUSED_GRANTS[grant]}
        )
    if (
        grant == Application.GRANT_CLIENT_CREDENTIALS
        and policy.dynamic_registration != Registration.INITIAL_TOKEN
    ):
        raise refused(
            _(
                "A client_credentials client acts without a user: it registers only with an "
                "initial access token."
            )
        )
    response_types = set(data.get("response_types", []))
    allowed_responses = {"code"} if grant == Application.GRANT_AUTHORIZATION_CODE else set()
    if not response_types <= allowed_responses:
        # RFC 7591 §2.1: grant_types and response_types must agree.
        raise refused(_("response_types does not match grant_types."))
    uris = data.get("redirect_uris", [])
    if len(uris) > MAX_REDIRECT_URIS:
        raise refused(
            _("At most %(count)d redirect URIs.") % {"count": MAX_REDIRECT_URIS}, INVALID_REDIRECT_URI
        )
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            raise refused(problem, INVALID_REDIRECT_URI)
    scope = data.get("scope")
    if scope is not None and len(scope) > MAX_SCOPE_LENGTH:
        raise refused(_("The scope is too long."))
    fields["allowed_scopes"] = capped_scopes(policy, scope)
    for name in LINKS:
        fields[name] = data.get(name, "")
    fields["algorithm"] = id_token_algorithm(data)
    return fields


def id_token_algorithm(metadata: dict[str, Any]) -> str:
    """The application's ``algorithm`` for the client metadata ``id_token_signed_response_alg``
    (OpenID Connect Dynamic Client Registration 1.0 §2), or ``MetadataError``: only an algorithm
    this server signs ID tokens with (``signing.keys.supported_algorithms``, discovery's
    ``id_token_signing_alg_values_supported``), so never ``none``, HS256 (the client secret is
    stored hashed: it cannot be an HMAC key) or ES256 without per-organization keys.

    Omitted: "", the server's default, which ``Application.save()`` makes RS256 (§2's default)
    when it signs ID tokens, and leaves empty (no ``openid``) when it signs none."""
    if ID_TOKEN_ALG not in metadata:
        return ""
    value = metadata[ID_TOKEN_ALG]
    supported = supported_algorithms()
    if not (isinstance(value, str) and value in supported):
        raise refused(unsupported_algorithm(supported))
    return value


def unsupported_algorithm(supported: list[str]) -> str:
    if not supported:
        return _("%(name)s: this server signs no ID tokens (OpenID Connect is not set up).") % {
            "name": ID_TOKEN_ALG
        }
    return _("%(name)s must be one of: %(supported)s (the algorithms this server signs ID tokens with).") % {
        "name": ID_TOKEN_ALG,
        "supported": ", ".join(supported),
    }


def algorithm_in_effect(algorithm: str) -> str:
    """The ``id_token_signed_response_alg`` an application's stored ``algorithm`` means: empty
    (made before OpenID Connect signed anything) is §2's default, RS256, as ``Application.from_db``
    reads it once the server signs ID tokens."""
    return algorithm or Application.RS256_ALGORITHM


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` may not be a self-registered client's redirect URI (beyond the model's
    rules), or None."""
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return _("A redirect URI is longer than %(limit)d characters.") % {"limit": MAX_REDIRECT_URI_LENGTH}
    if not uri or any(character.isspace() for character in uri):
        return _("A redirect URI may not be empty or contain whitespace.")
    try:
        parts = urlsplit(uri)
        hostname, _port = parts.hostname, parts.port
    except ValueError:  # an invalid IPv6 literal, a port out of range
        return _("A redirect URI is malformed.")
    if "@" in parts.netloc:
        return _("A redirect URI may not carry user information (user@host).")
    if parts.scheme.lower() == "http" and hostname not in LOOPBACK_HOSTS:
        # RFC 6749 §3.1.2.1 (TLS for the redirect endpoint); RFC 8252 §7.3 (http for loopback).
        return _("A redirect URI over plain http must name the loopback interface (127.0.0.1, [::1]).")
    return None


def validation_error(error: ValidationError) -> MetadataError:
    """The model's refusal (``Application.full_clean()``) as an RFC 7591 §3.2.2 error: a redirect
    URI's is ``invalid_redirect_uri``, any other ``invalid_client_metadata``."""
    problems = getattr(error, "message_dict", {"": error.messages})
    description = "; ".join(
        f"{field}: {' '.join(messages)}" if field else " ".join(messages)
        for field, messages in problems.items()
    )
    code = INVALID_REDIRECT_URI if "redirect_uris" in problems else INVALID_CLIENT_METADATA
    return refused(description[:1000], code)
