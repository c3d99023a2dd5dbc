"""Every private part of django-oauth-toolkit we rely on, in one place, pinned.

None of these is the base library's public API: a release may rename one or change what it
takes without notice. So each is listed here with the signature we were written for, and
``tests/test_compat.py`` fails when the installed version differs from ``BASE_VERSION`` (the
pin of ``requirements.txt``) or when a signature differs from ``SIGNATURES``. On an upgrade:
re-read the base library's code of each method listed, adapt the caller named below, then
update the table.

**Overridden** (the base library calls them; our overrides in ``server.validator`` keep the
signature; there is no public hook for any of them):

- ``_extract_basic_auth``: the Authorization header read by our one parser (``http.headers``);
- ``_check_secret``: our salted SHA-256 (``hashing``), else the base library's
  (``check_secret`` below);
- ``_save_bearer_token``: a rotation in four statements, else the base library's
  (``save_bearer_token`` below). The base library's docstring names it as the method to
  override.
- ``_load_application``: a client ID metadata document URL is the host organization's row for
  it (``registration.documents``); the base library resolves such URLs for all organizations.
- ``_get_key_for_token``: the keys that verify an ID token of ours (an ``id_token_hint``) are
  every published key of its organization (``server.id_tokens.key_for_token``), not only the
  one that signs now; ``oidc.claims.hint_names_user`` calls the override. The base library's
  RP-Initiated Logout view (``views.oidc``) calls it too.

**Called**, only through the functions below (so this module is the complete list):

- ``_authenticate_basic_auth``, ``_authenticate_request_body``: one client authentication
  method per request (``validators.OAuth2Validator.authenticate_client``, RFC 6749 §2.3);
- ``_check_and_set_request_resource``, ``_create_access_token``, ``_create_refresh_token``: a
  rotation's new pair, made by the base library's own code (``server.validator._save_bearer_token``);
- ``_save_id_token``: the IDToken row of a signed ID token (``server.id_tokens.finalize``, our
  ``finalize_id_token``, which signs with the organization's key and names it in ``kid``);
- ``_get_client_by_audience``: the application an ID token names as its audience
  (``server.id_tokens.key_for_token``).

**Client ID Metadata Documents** (``oauth2_provider.cimd``, ``CIMD_SIGNATURES``), called by
``registration.documents`` so that each organization keeps its own row per URL while the URL
checks, the document's reading, the failure backoff and the in-flight cap stay the base
library's: ``_validate_client_id_url``, ``_build_application_kwargs``, ``_backoff_cache_key``,
``_fetch_slot`` and ``SafeMetadataFetcher._read_document``.

Each function calls the base library's implementation, not an override further down the
class hierarchy: they stand for ``super()`` calls and for the base library's own behaviour.

**Dynamic Client Registration** (``oauth2_provider.views.dynamic_client_registration``, RFC
7591/7592; ``registration.dynamic`` subclasses its views), pinned in ``DCR_SIGNATURES``
(``tests/test_dynamic_registration.py``):

- ``DynamicClientRegistrationManagementView._authenticate_registration_request``: overridden
  (the organization of the host is checked after the base library's checks);
- ``_build_application_kwargs``: RFC 7591 metadata to application fields (grant types, client
  type), called by ``build_application_kwargs``;
- ``_issue_registration_token``: a registration access token stored as its checksum only
  (``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE``), called by ``issue_registration_token``;
- ``_application_to_response``: the RFC 7591 §3.2.1 response body, called by
  ``registration_response``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oauth2_provider import cimd, oauth2_validators

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from oauth2_provider.oauth2_validators import OAuth2Validator

    from .typing import AccessToken, AnyUser, Application, OAuthlibRequest, OAuthlibToken, RefreshToken

#: The django-oauth-toolkit release this module was written for (``requirements.txt`` pins it).
BASE_VERSION = "3.4.1"

Base = oauth2_validators.OAuth2Validator

#: Each private method of the base validator we override or call, and its signature in
#: ``BASE_VERSION`` (``str(inspect.signature(...))``).
SIGNATURES = {
    "_extract_basic_auth": "(self, request)",
    "_check_secret": "(self, provided_secret, stored_secret)",
    "_save_bearer_token": "(self, token, request, *args, **kwargs)",
    "_authenticate_basic_auth": "(self, request)",
    "_authenticate_request_body": "(self, request)",
    "_check_and_set_request_resource": "(self, request)",
    "_create_access_token": "(self, expires, request, token, source_refresh_token=None)",
    "_create_refresh_token": "(self, request, refresh_token_code, access_token, previous_refresh_token)",
    "_get_key_for_token": "(self, token)",
    "_save_id_token": "(self, jti, request, expires, *args, **kwargs)",
    "_get_client_by_audience": "(self, audience)",
    "_load_application": "(self, client_id, request)",
}

#: The private parts of ``oauth2_provider.cimd`` we call, and their signatures in ``BASE_VERSION``.
CIMD_SIGNATURES = {
    "_validate_client_id_url": "(client_id)",
    "_build_application_kwargs": "(metadata)",
    "_backoff_cache_key": "(client_id)",
    "_fetch_slot": "()",
    "SafeMetadataFetcher._read_document": "(self, response)",
}


def check_secret(validator: OAuth2Validator, provided_secret: str, stored_secret: str) -> bool:
    """A secret against a Django hasher's hash, or against a secret stored in clear."""
    return bool(Base._check_secret(validator, provided_secret, stored_secret))


def save_bearer_token(validator: OAuth2Validator, token: OAuthlibToken, request: OAuthlibRequest) -> None:
    """The base library's save of a new token (and refresh token), without its transaction."""
    Base._save_bearer_token(validator, token, request)


def authenticate_basic_auth(validator: OAuth2Validator, request: OAuthlibRequest) -> bool:
    """Authenticate the client by HTTP Basic (RFC 6749 §2.3.1); loads ``request.client``."""
    return bool(Base._authenticate_basic_auth(validator, request))


def authenticate_request_body(validator: OAuth2Validator, request: OAuthlibRequest) -> bool:
    """Authenticate the client by the body's ``client_id`` and ``client_secret``; loads
    ``request.client``. A public client of the device grant needs no secret."""
    return bool(Base._authenticate_request_body(validator, request))


def check_and_set_request_resource(validator: OAuth2Validator, request: OAuthlibRequest) -> None:
    """RFC 8707: the token request's ``resource`` checked, or inherited from the grant."""
    Base._check_and_set_request_resource(validator, request)


def create_access_token(
    validator: OAuth2Validator,
    expires: datetime,
    request: OAuthlibRequest,
    token: OAuthlibToken,
    source_refresh_token: RefreshToken | None = None,
) -> AccessToken:
    """An access token; ``source_refresh_token`` is the refresh token a rotation used."""
    created: AccessToken = Base._create_access_token(
        validator, expires, request, token, source_refresh_token=source_refresh_token
    )
    return created


def create_refresh_token(
    validator: OAuth2Validator,
    request: OAuthlibRequest,
    value: str,
    access_token: AccessToken,
    previous: RefreshToken | None,
) -> RefreshToken:
    """A refresh token for ``access_token``, in ``previous``'s rotation family if given."""
    created: RefreshToken = Base._create_refresh_token(validator, request, value, access_token, previous)
    return created


def save_id_token(validator: OAuth2Validator, jti: str, request: OAuthlibRequest, expires: datetime) -> Any:
    """The base library's IDToken row for a signed ID token (user, scope, expiry, jti)."""
    return Base._save_id_token(validator, jti, request, expires)


def client_by_audience(validator: OAuth2Validator, audience: str | list[str]) -> Application | None:
    """The application an ID token's ``aud`` names (a string or a list), or None."""
    application: Application | None = Base._get_client_by_audience(validator, audience)
    return application


def validate_client_id_url(client_id: str) -> Any:
    """The metadata-document URL parsed, or ``cimd.CIMDError`` (https, a host and a path; no
    userinfo, fragment or dot segments: draft-ietf-oauth-client-id-metadata-document §3)."""
    return cimd._validate_client_id_url(client_id)


def application_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The base library's reading of a document as public-client fields (or ``CIMDError``)."""
    fields: dict[str, Any] = cimd._build_application_kwargs(document)
    return fields


def backoff_key(client_id: str) -> str:
    """The cache key of a URL's failure backoff (shared with the base library's resolver)."""
    return str(cimd._backoff_cache_key(client_id))


def fetch_slot() -> AbstractContextManager[bool]:
    """One of the in-flight fetch slots (``CIMD_MAX_CONCURRENT_FETCHES``), without waiting."""
    slot: AbstractContextManager[bool] = cimd._fetch_slot()
    return slot


def read_document(fetcher: cimd.SafeMetadataFetcher, response: Any) -> tuple[dict[str, Any], int]:
    """A fetched response read as the base library reads one: status, media type, size limit,
    JSON object; with its cache lifetime."""
    document: tuple[dict[str, Any], int] = cimd.SafeMetadataFetcher._read_document(fetcher, response)
    return document


#: The private parts of the base library's Dynamic Client Registration we override or call, by
#: their qualified name in ``oauth2_provider.views.dynamic_client_registration``, and their
#: signature in ``BASE_VERSION``.
DCR_SIGNATURES = {
    "DynamicClientRegistrationManagementView._authenticate_registration_request": (
        "(self, request: django.http.request.HttpRequest, client_id: str) -> "
        "oauth2_provider.views.dynamic_client_registration._AuthenticatedRegistration"
        " | django.http.response.HttpResponse"
    ),
    "_build_application_kwargs": "(data)",
    "_issue_registration_token": (
        "(application: oauth2_provider.models.AbstractApplication, "
        "user: django.contrib.auth.base_user.AbstractBaseUser | None) -> str"
    ),
    "_application_to_response": (
        "(application: oauth2_provider.models.AbstractApplication, registration_access_token: str, "
        "request: django.http.request.HttpRequest) -> dict[str, typing.Any]"
    ),
}


def build_application_kwargs(data: dict[str, Any]) -> tuple[dict[str, Any] | None, HttpResponse | None]:
    """RFC 7591 §2 metadata as application fields (``redirect_uris``, ``name``,
    ``authorization_grant_type``, ``client_type``), or the base library's error response."""
    from oauth2_provider.views import dynamic_client_registration as dcr  # loads every view: late

    kwargs, error = dcr._build_application_kwargs(data)
    return kwargs, error


def issue_registration_token(application: Application, user: AnyUser | None) -> str:
    """A new RFC 7592 §3 registration access token for ``application``; its raw value."""
    from oauth2_provider.views import dynamic_client_registration as dcr

    value: str = dcr._issue_registration_token(application, user)
    return value


def registration_response(application: Application, token: str, request: HttpRequest) -> dict[str, Any]:
    """The base library's RFC 7591 §3.2.1 body for ``application`` (its ``registration_client_uri``
    reverses ``oauth2_provider:dcr-register-management``)."""
    from oauth2_provider.views import dynamic_client_registration as dcr

    body: dict[str, Any] = dcr._application_to_response(application, token, request)
    return body
