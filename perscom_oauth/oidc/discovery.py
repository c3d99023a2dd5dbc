"""Per-organization discovery: RFC 8414 metadata, OpenID Connect Discovery 1.0, the JWKS.

Each organization is its own issuer, its dashboard URL (the host of the request), so each
document is served on that host, behind the tenant and plan gate. What they advertise comes
from ``defaults.OAUTH2_PROVIDER_DEFAULTS``: exactly what the endpoints accept.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from oauth2_provider import views as base
from oauth2_provider.compat import login_not_required
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.metadata import ServerMetadataViewMixin

from ..models import RegistrationPolicy
from ..registration.policy import MetadataDocuments, Registration, policy_of
from ..routers import stale_reads_allowed
from ..signing import keys as signing_keys
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization
from .claims import claim_scopes

#: OIDC Core §6: request objects are refused with request_not_supported /
#: request_uri_not_supported, not ignored; an omitted request_uri_parameter_supported would mean
#: *true* (Discovery 1.0 §3, also in RFC 8414's registry).
NOT_SUPPORTED = {
    "request_parameter_supported": False,
    "request_uri_parameter_supported": False,
    "claims_parameter_supported": False,
}


#: The device flow's grant type (RFC 8628 §3.4).
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


def device_endpoint(request: HttpRequest) -> dict[str, str]:
    """RFC 8628 §4: where a device asks for its codes, on this organization's host; only when
    the token endpoint takes the device code (a host's own ``OAUTH2_GRANT_TYPES_SUPPORTED``
    may leave it out)."""
    if DEVICE_CODE not in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED:
        return {}
    return {
        "device_authorization_endpoint": request.build_absolute_uri(
            reverse("oauth2_provider:device-authorization")
        )
    }


def token_management_endpoints(view: ServerMetadataViewMixin, request: HttpRequest) -> dict[str, Any]:
    """RFC 7009 revocation and RFC 7662 introspection, with how a client authenticates at each
    (RFC 8414 §2: ``revocation_endpoint_auth_methods_supported``,
    ``introspection_endpoint_auth_methods_supported``), for both documents from this one place.

    OpenID Connect Discovery 1.0 §3 lists neither, but its registry is RFC 8414's (§7.1), and an
    OIDC-configured client (openid-client's ``tokenRevocation``/``tokenIntrospection``) reads
    only ``openid-configuration``. The URLs and methods are built as the base library builds
    them for RFC 8414 (its ``_get_endpoint_url``, ``OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED``):
    the same client authentication as the token endpoint (docs/endpoints.md).
    """
    methods = oauth2_settings.OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED
    data: dict[str, Any] = {}
    for field, view_name in (("revocation", "revoke-token"), ("introspection", "introspect")):
        url = view._get_endpoint_url(request, view_name)
        if url:
            data[f"{field}_endpoint"] = url
            data[f"{field}_endpoint_auth_methods_supported"] = methods
    return data


#: A value for ``amend`` that removes the field.
OMIT = object()


def jwks_uri(request: HttpRequest) -> dict[str, str]:
    """RFC 8414 §2 ``jwks_uri`` whenever ID tokens are signed: the base library names it only
    with its global key, and per-organization keys need none (``signing``)."""
    if not (oauth2_settings.OIDC_ENABLED and signing_keys.supported_algorithms()):
        return {}
    return {"jwks_uri": request.build_absolute_uri(reverse("oauth2_provider:jwks-info"))}


def registration_metadata(request: HttpRequest) -> dict[str, Any]:
    """What the host's organization's registration policy lets a client do (one query):
    ``registration_endpoint`` (RFC 8414 §2, RFC 7591 §3) only where it accepts Dynamic Client
    Registration (and the base library's ``DCR_ENABLED`` is on), else absent;
    ``client_id_metadata_document_supported`` (draft-ietf-oauth-client-id-metadata-document)
    true only where it accepts metadata documents.

    An advertisement, not a decision: the registration endpoint and the authorization endpoint
    read the policy on the primary. So this read may be stale (the read replica's, with
    ``routers.ReplicaRouter``): a policy changed a moment ago is advertised as it was."""
    organization = gated_organization(request)  # the tenant gate's, decided on the primary
    with stale_reads_allowed(RegistrationPolicy):
        policy = policy_of(organization)
    registers = oauth2_settings.DCR_ENABLED and policy.dynamic_registration != Registration.OFF
    return {
        "registration_endpoint": (
            request.build_absolute_uri(reverse("oauth2_provider:dcr-register")) if registers else OMIT
        ),
        "client_id_metadata_document_supported": policy.metadata_documents != MetadataDocuments.OFF,
    }


def amend(response: HttpResponse, **changes: Any) -> HttpResponse:
    """Change fields of the base library's JSON document (``OMIT`` removes one), keeping its
    headers."""
    merged = {**json.loads(response.content), **changes}
    data = {key: value for key, value in merged.items() if value is not OMIT}
    amended = JsonResponse(data, status=response.status_code)
    for header in ("Access-Control-Allow-Origin", "Cache-Control"):
        if header in response:
            amended[header] = response[header]
    return amended


@method_decorator(login_not_required, name="dispatch")
class ServerMetadataView(TenantGateMixin, base.OAuthServerMetadataView):
    """RFC 8414 §3, at ``/.well-known/oauth-authorization-server`` of the organization's host."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return amend(
            super().get(request, *args, **kwargs),
            **NOT_SUPPORTED,
            **device_endpoint(request),
            **token_management_endpoints(self, request),
            **registration_metadata(request),
            **jwks_uri(request),
        )


@method_decorator(login_not_required, name="dispatch")
class OpenIDConfigurationView(TenantGateMixin, base.ConnectDiscoveryInfoView):
    """OpenID Connect Discovery 1.0 §4, at ``/.well-known/openid-configuration``."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        # RS256 (and ES256 with per-organization keys), never HS256: PERSCOM's HS256-only ID
        # tokens are what this project set out to fix.
        return amend(
            response,
            id_token_signing_alg_values_supported=signing_keys.supported_algorithms(),
            # The AuthorizationView answers each (OIDC Core §3.1.2.1, §3.1.2.6).
            prompt_values_supported=["none", "login", "consent", "select_account"],
            # oauthlib's two; form_post (OAuth 2.0 Form Post Response Mode) is not built.
            response_modes_supported=["query", "fragment"],
            # Discovery 1.0 §3 defaults an omitted list to code + implicit: state the real one.
            grant_types_supported=oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED,
            # Every claim CLAIMS can release (the base library lists only `sub`).
            claims_supported=sorted(claim_scopes()),
            **NOT_SUPPORTED,
            **device_endpoint(request),
            **token_management_endpoints(self, request),
            **registration_metadata(request),
        )


@method_decorator(login_not_required, name="dispatch")
class JwksView(TenantGateMixin, base.JwksInfoView):
    """The public keys that verify the organization's ID tokens (RFC 7517), referenced by both
    documents: its own keys (``signing.keys.published_entries``), with the base library's
    headers (CORS, ``Cache-Control`` for ``OIDC_JWKS_MAX_AGE_SECONDS``)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        keys = signing_keys.published_entries(gated_organization(request))
        return amend(super().get(request, *args, **kwargs), keys=keys)
