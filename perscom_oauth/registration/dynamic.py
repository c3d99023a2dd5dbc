"""Dynamic Client Registration (RFC 7591) and its management (RFC 7592), per organization.

The base library's views (``oauth2_provider.views.dynamic_client_registration``) behind
``TenantGateMixin``, at ``/oauth/register`` and ``/oauth/register/<client_id>`` of the
organization's host. What we change, and why (the rest is the base library's):

- whether the endpoint exists: the host's organization's ``RegistrationPolicy`` (off: 404
  ``invalid_request``, as an unknown host), under the base library's installation-wide
  ``DCR_ENABLED`` (on in ``defaults.OAUTH2_PROVIDER_DEFAULTS``);
- who may register (``post``): anyone under the "open" policy; under "initial_token", the holder
  of an initial access token of *this* organization (RFC 7591 §3: ``Authorization: Bearer``;
  missing, unknown, another organization's, expired or used up: 401 ``invalid_token`` with its
  RFC 6750 §3 challenge), one use spent in the registration's transaction
  (``initial_tokens.spend``); every request throttled per source and organization
  (``tenancy.registration_throttle``), 429 past the limit;
- what a client may be (``metadata``): the organization set, ``registration_source`` "dcr", its
  scopes capped by the policy (RFC 7591 §3.2.1 returns them as ``scope``), its ID-token
  algorithm one this server signs with (``id_token_signed_response_alg``, returned as in
  effect), the model's rules (``Application.full_clean()``); errors RFC 7591 §3.2.2;
- management (``_authenticate_registration_request``, the base library's, then ours): only on
  the client's own organization's host (elsewhere 401 ``invalid_token``, as an unknown token);
  an update always rotates the registration access token (RFC 7592 §3: the old one is revoked
  through ``tokens.revocation``); deletion revokes every token of the client
  (``revoke_application``) before deleting it.

Every response is ``Cache-Control: no-store`` (it carries credentials: RFC 7591 §3.2.1, RFC 6749
§5.1). Registrations, updates, deletions and refusals are audited. The registration access
token is stored as its checksum only (the base library's ``set_token_value`` under
``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE``) and is never an API credential (``tokens.check``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.views import dynamic_client_registration as base
from oauth2_provider.www_authenticate import build_bearer_challenge

from .. import compat
from ..applications import issue_secret
from ..audit import Actor, Event, record
from ..http.headers import bearer_token
from ..http.responses import NO_STORE, oauth_error
from ..models import Application
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization
from ..tenancy.registration_throttle import reserve_registration
from ..tenancy.throttle import throttled_response
from ..tokens.revocation import revoke, revoke_application
from . import initial_tokens
from .metadata import (
    ID_TOKEN_ALG,
    MAX_BODY_BYTES,
    MetadataError,
    algorithm_in_effect,
    application_fields,
    parse,
    too_large,
    validation_error,
)
from .policy import Registration, policy_of

if TYPE_CHECKING:
    from ..models import RegistrationPolicy
    from ..typing import Organization

CLIENT_ENDPOINT = method_decorator([csrf_exempt, login_not_required], name="dispatch")


def no_store(response: HttpResponse) -> HttpResponse:
    for header, value in NO_STORE.items():
        response[header] = value
    return response


def invalid_token(request: HttpRequest, description: str, presented: bool = True) -> HttpResponse:
    """RFC 6750 §3.1: 401 with a ``Bearer`` challenge; no error code in it when the request
    presented no token at all."""
    response = oauth_error(401, "invalid_token", description)
    error = {"error": "invalid_token", "error_description": description} if presented else None
    response["WWW-Authenticate"] = build_bearer_challenge(
        request, oauth2_error=error, resource_metadata_url=None
    )
    return response


def registration_off() -> HttpResponse:
    return oauth_error(
        404, "invalid_request", _("This organization does not accept dynamic client registration.")
    )


def registration_enabled(policy: RegistrationPolicy) -> bool:
    return policy.dynamic_registration != Registration.OFF


def describe(application: Application, token: str, request: HttpRequest) -> dict[str, Any]:
    """RFC 7591 §3.2.1 / RFC 7592 §3: the base library's fields, with what we add (``scope``,
    ``client_id_issued_at``, the links, ``id_token_signed_response_alg``)."""
    body = compat.registration_response(application, token, request)
    body["scope"] = application.allowed_scopes
    body["client_id_issued_at"] = int(application.created.timestamp())
    for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri"):
        if getattr(application, name):
            body[name] = getattr(application, name)
    if application.algorithm:
        # The algorithm in effect (RS256 when the client asked for none: Application.save()).
        # Empty only where the server signs no ID tokens: then there is no algorithm to state.
        body[ID_TOKEN_ALG] = application.algorithm
    return body


def refuse(
    request: HttpRequest, organization: Organization, problem: MetadataError, **details: Any
) -> HttpResponse:
    """An RFC 7591 §3.2.2 error (400), audited as ``registration_refused``."""
    audit_refusal(request, organization, problem.error, problem.description, **details)
    return oauth_error(400, problem.error, problem.description)


def audit_refusal(
    request: HttpRequest, organization: Organization, error: str, description: str, **details: Any
) -> None:
    record(
        Event.REGISTRATION_REFUSED,
        organization=organization,
        actor_type=Actor.CLIENT,
        request=request,
        error=error,
        description=description[:500],
        **details,
    )


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON metadata, or ``MetadataError`` (too large, unreadable, not JSON)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:  # refused before reading it
        raise too_large()
    try:
        body = request.body
    except RawPostDataException:  # read as a form already: a multipart body is no JSON
        body = b""
    except (SuspiciousOperation, OSError):  # RequestDataTooBig, UnreadablePostError
        raise too_large() from None
    return parse(body)


@CLIENT_ENDPOINT
class RegistrationView(TenantGateMixin, base.DynamicClientRegistrationView):
    """RFC 7591 §3: ``POST /oauth/register`` with the client's metadata as JSON."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = gated_organization(request)
        policy = policy_of(organization)
        if not registration_enabled(policy):
            return registration_off()
        if not reserve_registration(request, organization.pk):
            return throttled_response()
        initial = None
        if policy.dynamic_registration == Registration.INITIAL_TOKEN:
            value = bearer_token(request.headers)
            initial = initial_tokens.find(organization, value or "")
            if initial is None:
                description = (
                    _("An initial access token of this organization is required to register a client.")
                    if value is None
                    else _("The initial access token is invalid, expired or used up.")
                )
                audit_refusal(request, organization, "invalid_token", description)
                return invalid_token(request, description, presented=value is not None)
        try:
            fields = application_fields(read_body(request), policy)
        except MetadataError as problem:
            return refuse(request, organization, problem)
        application = get_application_model()(
            organization=organization,
            registration_source=Application.RegistrationSource.DCR,
            user=None,
            skip_authorization=False,
            **fields,
        )
        secret = (
            issue_secret(application) if application.client_type == Application.CLIENT_CONFIDENTIAL else None
        )
        try:
            application.full_clean()
        except ValidationError as error:
            return refuse(request, organization, validation_error(error))
        with transaction.atomic():
            if initial is not None and not initial_tokens.spend(initial):
                # Its last use went to a concurrent registration since find().
                description = _("The initial access token is invalid, expired or used up.")
                audit_refusal(request, organization, "invalid_token", description)
                return invalid_token(request, description)
            application.save()
            token = compat.issue_registration_token(application, None)
            record(
                Event.CLIENT_REGISTERED,
                organization=organization,
                actor_type=Actor.CLIENT,
                application=application,
                request=request,
                policy=policy.dynamic_registration,
                initial_token=getattr(initial, "label", None),
                scope=application.allowed_scopes,
            )
        body = describe(application, token, request)
        if secret is not None:
            body["client_secret"] = secret
            body["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: it does not expire
        return no_store(JsonResponse(body, status=201))


def refuse_algorithm_change(requested: str, application: Application) -> None:
    """``MetadataError`` when an update asks for another ``id_token_signed_response_alg``.

    Fixed after registration, like the grant and the client type, and for the same reason: the
    admin shows ``algorithm`` read-only once an application exists, and a self-registered client
    may not do what its organization's administrators cannot. RFC 7592 §2.2 lets the server
    refuse a value with RFC 7591 §3.2.2's error. An update is a full replacement (§2.2), so an
    omitted value asks for §2's default, RS256: an ES256 client states ES256 again."""
    if algorithm_in_effect(requested) != algorithm_in_effect(application.algorithm):
        raise MetadataError(
            "invalid_client_metadata",
            _("%(name)s cannot change after registration (it is %(algorithm)s).")
            % {"name": ID_TOKEN_ALG, "algorithm": algorithm_in_effect(application.algorithm)},
        )


@CLIENT_ENDPOINT
class RegistrationManagementView(TenantGateMixin, base.DynamicClientRegistrationManagementView):
    """RFC 7592 §2: ``GET``, ``PUT`` and ``DELETE /oauth/register/<client_id>`` with the client's
    registration access token as ``Authorization: Bearer``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        return no_store(response)

    def _authenticate_registration_request(
        self, request: HttpRequest, client_id: str
    ) -> base._AuthenticatedRegistration | HttpResponse:
        organization = gated_organization(request)
        if not registration_enabled(policy_of(organization)):
            return registration_off()
        auth = super()._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        if auth.application.organization_id != organization.pk:
            # Another organization's client: as unknown here as its token (RFC 6750 §3.1).
            return invalid_token(request, _("Token does not match client_id"))
        return auth

    def get(self, request: HttpRequest, client_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        return JsonResponse(describe(auth.application, auth.presented_token, request))

    def put(self, request: HttpRequest, client_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        application = auth.application
        organization = gated_organization(request)
        policy = policy_of(organization)
        try:
            data = read_body(request)
            if data.get("client_id", client_id) != client_id:
                # RFC 7592 §2.2: the request's client_id is the one being updated.
                raise MetadataError(
                    "invalid_client_metadata", _("client_id does not match the registration.")
                )
            fields = application_fields(data, policy)
            fixed = ("authorization_grant_type", "client_type")
            if any(fields[name] != getattr(application, name) for name in fixed):
                # As in the admin: the grant and the client type are fixed after creation.
                raise MetadataError(
                    "invalid_client_metadata",
                    _("grant_types and token_endpoint_auth_method cannot change after registration."),
                )
            refuse_algorithm_change(fields.pop("algorithm"), application)
        except MetadataError as problem:
            return refuse(request, organization, problem, client_id=client_id)
        for name, value in fields.items():
            setattr(application, name, value)
        try:
            application.full_clean()
        except ValidationError as error:
            return refuse(request, organization, validation_error(error), client_id=client_id)
        with transaction.atomic():
            application.save()
            token = compat.issue_registration_token(application, None)
            # RFC 7592 §3: a new registration access token replaces the one presented.
            revoke(
                organization=organization,
                access_tokens=get_access_token_model().objects.filter(pk=auth.registration_token.pk),
                actor_type=Actor.CLIENT,
                application=application,
                request=request,
                reason="registration access token rotated",
            )
            record(
                Event.CLIENT_UPDATED,
                organization=organization,
                actor_type=Actor.CLIENT,
                application=application,
                request=request,
                scope=application.allowed_scopes,
            )
        return JsonResponse(describe(application, token, request))

    def delete(self, request: HttpRequest, client_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        application = auth.application
        with transaction.atomic():
            record(
                Event.CLIENT_DELETED,
                organization=application.organization_id,
                actor_type=Actor.CLIENT,
                application=application,
                request=request,
            )
            revoke_application(application, actor_type=Actor.CLIENT, request=request, reason="client deleted")
            application.delete()
        return HttpResponse(status=204)
