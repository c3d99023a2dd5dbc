"""The OAuth endpoints at PERSCOM's paths: django-oauth-toolkit's views behind tenant gates.

Every view starts with ``tenancy.gates.TenantGateMixin``: an unknown host is a 404 on every endpoint,
and an organization whose plan lacks OAuth 2.0 gets nothing issued.
"""

from __future__ import annotations

import calendar
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlparse, urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as base
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauth2_provider.utils import set_oauthlib_user_to_device_request_user
from oauthlib.oauth2.rfc6749 import errors

from ..adapter import get_adapter
from ..audit import Actor, Event, record
from ..decorators import challenge, refuse_bearer
from ..http.challenges import ClientChallengeMixin, Refusal
from ..http.parameters import malformed_resource, repeated_message
from ..http.posted import PostedRequestMixin, is_decision, is_protocol_request, protocol_parameters
from ..http.responses import NO_STORE, oauth_error
from ..oidc.claims import (
    UNSUPPORTED_PARAMETERS,
    InvalidMaxAge,
    invalid_max_age_message,
    max_age_of,
    sign_in_too_old,
)
from ..pages.errors import PageRefusalMixin, authorization_error, error_page
from ..pages.forms import ConsentForm
from ..scopes.effective import consent_groups, consent_remembered, grantable_scopes
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization, organization_for_request
from ..tenancy.throttle import ClientAuthThrottleMixin
from ..tokens import device
from ..tokens.check import check_access_token, check_bearer_request

if TYPE_CHECKING:
    from ..typing import Application, OAuthlibRequest, Organization

# View.as_view() takes csrf_exempt / login_required from the first dispatch() in the MRO, the
# gate's: each view restates the base library's choice. Client endpoints authenticate the
# client, not a browser session, so CSRF does not apply to them.
PUBLIC = method_decorator(login_not_required, name="dispatch")
CLIENT_ENDPOINT = method_decorator([csrf_exempt, login_not_required], name="dispatch")
# OIDC Core §3.1.2.1: relying parties may POST an authorization request, without a CSRF token
# of ours; the consent decision posted back is CSRF-checked on its own (http.posted).
AUTHORIZATION_ENDPOINT = method_decorator([csrf_exempt, login_not_required], name="dispatch")


def with_issuer(uri: str, issuer: str) -> str:
    """RFC 9207 §2: ``iss`` on an authorization response, in the fragment of an implicit one,
    else in the query, replacing any ``iss`` the registered redirect URI carried."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
    fragment = [(k, v) for k, v in parse_qsl(parts.fragment, keep_blank_values=True) if k != "iss"]
    (fragment if parts.fragment else query).append(("iss", issuer))
    return urlunsplit(parts._replace(query=urlencode(query), fragment=urlencode(fragment)))


#: The parameters of an authorization error response (RFC 6749 §4.1.2.1, RFC 9207 §2).
ERROR_PARAMETERS = ("error", "error_description", "error_uri", "state", "iss")


def errors_in_fragment(uri: str, response_type: str) -> str:
    """An error for an implicit or hybrid request (any response type but ``code``) in the
    fragment, like its success would be (OIDC Core §3.2.2.6, §3.3.2.6; OAuth 2.0 Multiple
    Response Types §5). oauthlib and the base view put every error in the query."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if set(response_type.split()) <= {"code"} or not any(key == "error" for key, _value in query):
        return uri
    moved = [(k, v) for k, v in query if k in ERROR_PARAMETERS]
    kept = [(k, v) for k, v in query if k not in ERROR_PARAMETERS]
    fragment = parse_qsl(parts.fragment, keep_blank_values=True) + moved
    return urlunsplit(parts._replace(query=urlencode(kept), fragment=urlencode(fragment)))


def resource_message() -> str:
    return _("The resource parameter must be an absolute URI without a fragment (RFC 8707 §2).")


def consent_data(scopes: list[str], credentials: dict[str, Any], resources: list[str]) -> dict[str, Any]:
    """What the base view's ``get()`` keeps as ``oauth2_data`` (the consent form's initial
    values, ``get_initial``) and gives the template: the validated request, its application."""
    all_scopes = get_scopes_backend().get_all_scopes()
    data: dict[str, Any] = {
        "scopes_descriptions": [all_scopes[scope] for scope in scopes],
        "scopes": scopes,
        # Validated above, so it exists (and is usable on this host: Application.is_usable).
        "application": get_application_model().objects.get(client_id=credentials["client_id"]),
        **{name: credentials[name] for name in ("client_id", "redirect_uri", "response_type", "state")},
        **{
            name: credentials[name]
            for name in ("code_challenge", "code_challenge_method", "nonce")
            if name in credentials
        },
    }
    if "claims" in credentials:
        data["claims"] = json.dumps(credentials["claims"])
    if resources:
        data["resource"] = " ".join(resources)  # the consent form's one hidden field
    return data


class NoStoreMixin:
    """Every answer of the view, refusals included, carries ``Cache-Control: no-store``: it
    says whether a token works and whose it is, or holds the user's claims (RFC 7662 §4 and
    OpenID Connect Core §5.3.2 answers, kept out of caches as RFC 6749 §5.1 keeps tokens)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        for header, value in NO_STORE.items():
            response[header] = value
        return response


class MemberRequiredMixin:
    """Only members of the organization may authorize apps for it."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = organization_for_request(request)
        user = request.user
        # Not None: TenantGateMixin, first in every view's bases, answered 404 without one.
        if user.is_authenticated and not get_adapter().is_member(user, organization):  # type: ignore[arg-type]
            return self.not_a_member(organization)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def not_a_member(self, organization: Organization | None) -> HttpResponse:
        message = _("You are not a member of %(organization)s, so you cannot authorize apps for it.")
        return error_page(
            self.request,  # type: ignore[attr-defined]
            403,
            _("Not a member"),
            message % {"organization": organization},
            "access_denied",
        )


@AUTHORIZATION_ENDPOINT
class AuthorizationView(
    PageRefusalMixin, TenantGateMixin, MemberRequiredMixin, PostedRequestMixin, base.AuthorizationView
):
    """RFC 6749 §4.1.1: the consent screen, for members of an organization with OAuth 2.0.

    The request comes by GET or by POST (OIDC Core §3.1.2.1), handled alike
    (``http.posted``): its parameters are ``protocol_parameters``, never ``request.GET``.

    It lists the requested scopes grouped by resource; the user may untick any, and scopes
    whose permission the user lacks are shown but cannot be granted. Without the plan: an error
    page rather than a §4.1.2.1 redirect, since nothing about the client is validated (or
    revealed) for an organization that cannot use OAuth at all.
    """

    template_name = "perscom_oauth/authorize.html"
    form_class = ConsentForm
    form_posts_to_its_page = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        # The consent screen must never be framed (clickjacking, RFC 9700 §4.16).
        response["X-Frame-Options"] = "DENY"
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The base view's ``get()``, owned here in its order (validate; ``prompt=create``, then
        ``login``; the resource indicators; the screen) without its two shortcuts, which would
        issue a code with every requested scope and no audit entry: ``skip_authorization`` and
        a client-sent ``approval_prompt=auto``. Whether to ask is ours (``may_skip_consent``),
        and skipping goes the consent form's way: narrowed to what the user holds, audited.
        ``tests/test_authorization_view.py`` fails if the base view's ``get()`` runs instead."""
        refused = self.refuse_before_asking(request)
        if refused is not None:
            return refused
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        prompts = self.prompts(request)
        if "create" in prompts:
            created: HttpResponse | None = self.handle_prompt_create()  # None: signed in already
            if created is not None:
                return created
        if "login" in prompts:
            return self.handle_prompt_login()
        resources = protocol_parameters(request).getlist("resource")
        if malformed_resource(resources) is not None:
            # RFC 8707 §2, to the client's redirect URI (validated above) like any other error.
            return self.redirect_error("invalid_target", resource_message(), credentials)
        self.oauth2_data = consent_data(scopes, credentials, resources)
        if self.may_skip_consent():
            return self.approve_without_asking()
        if prompts == {"none"}:
            # OIDC Core §3.1.2.6: never a page. validate_silent_authorization applied the
            # same rule as may_skip_consent, so this is only a guard.
            return self.redirect_error("consent_required", _("Consent is required."), credentials)
        page: HttpResponse = self.render_to_response(self.get_context_data(**self.oauth2_data))
        return page

    def handle_no_permission(self) -> HttpResponse:
        # RFC 6749 §4.1.2.1: the client and its redirect URI are checked before anyone is asked
        # to sign in; an invalid one gets our error page, never a sign-in form or a redirect.
        prompts = self.prompts(self.request)
        if is_protocol_request(self.request):
            refused = self.refuse_before_asking(self.request, validate=True)
            if refused is not None:
                return refused
            if "none" in prompts:
                # OIDC Core §3.1.2.6: the error goes back to the client, through error_response
                # like every other one, so it carries iss (RFC 9207 §2) and is in the fragment
                # of an implicit request; the base view builds this redirect without either.
                return self.redirect_error("login_required", _("The user is not signed in."))
            if "create" not in prompts:  # (the base view refuses prompt=create: no sign-up here)
                return self.sign_in_again()
        return super().handle_no_permission()  # type: ignore[no-any-return]

    def handle_prompt_login(self) -> HttpResponse:
        # The base view drops the whole prompt parameter, and with it a prompt=consent that
        # came along ("login consent"): only "login" is satisfied by signing in.
        return self.sign_in_again()

    def not_a_member(self, organization: Organization | None) -> HttpResponse:
        if "none" in self.prompts(self.request):
            # §3.1.2.6: no page; another account would have to sign in.
            refused = self.refuse_before_asking(self.request, validate=True)
            return refused or self.redirect_error("login_required", _("Sign in as a member."))
        return super().not_a_member(organization)

    @staticmethod
    def prompts(request: HttpRequest) -> set[str]:
        return set(protocol_parameters(request).get("prompt", "").split())

    def refuse_before_asking(self, request: HttpRequest, validate: bool = False) -> HttpResponse | None:
        """What must be answered before any page is shown: an invalid request (only checked
        here when ``validate``: otherwise the base view does), a parameter of OIDC Core §6
        this server does not support, a malformed ``max_age`` or a sign-in older than it
        (§3.1.2.1)."""
        parameters = protocol_parameters(request)
        problems = [
            (code, _("The %(parameter)s parameter is not supported here.") % {"parameter": name})
            for name, code in UNSUPPORTED_PARAMETERS.items()
            if name in parameters
        ]
        try:
            max_age = max_age_of(parameters.get("max_age"))
        except InvalidMaxAge:
            problems.append(("invalid_request", invalid_max_age_message()))
            max_age = None
        too_old = request.user.is_authenticated and sign_in_too_old(request.user, max_age)
        if not (validate or problems or too_old):
            return None
        try:
            self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        if problems:
            return self.redirect_error(*problems[0])
        if too_old and "none" not in self.prompts(request):
            return self.sign_in_again()
        return None

    def handle_prompt_create(self) -> HttpResponse | None:
        """Without sign-up (``OIDC_RP_INITIATED_REGISTRATION_ENABLED`` off, our default: members
        are added by their organization), ``prompt=create`` is ``invalid_request`` (Prompt Create
        1.0 §4.1.1), sent to the client like every error once its redirect URI is validated
        (RFC 6749 §4.1.2.1); the base view answers a bare JSON 400 to the user's browser."""
        if oauth2_settings.OIDC_RP_INITIATED_REGISTRATION_ENABLED:
            created: HttpResponse | None = super().handle_prompt_create()
            return created
        return self.redirect_error(
            "invalid_request", _("prompt=create is not supported: this server offers no sign-up.")
        )

    def refuse_repeated(self, parameter: str) -> HttpResponse:
        # RFC 6749 §3.1: invalid_request, to the client once the request's client and redirect
        # URI are validated. oauthlib's validation refuses a repeated client_id, redirect_uri,
        # response_type, scope or state itself, fatally (§4.1.2.1): an error page.
        return self.redirect_error("invalid_request", repeated_message(parameter))

    def sign_in_again(self) -> HttpResponse:
        """To the sign-in page, back here afterwards without ``prompt=login`` or ``max_age``:
        the sign-in just made satisfies both (and ``auth_time`` is then that sign-in; kept,
        ``max_age=0`` would send the user back to sign in forever). Other prompt values, such
        as ``consent``, still apply."""
        query = protocol_parameters(self.request).copy()  # by POST: back by GET after sign-in
        query.pop("max_age", None)
        prompts = [value for value in query.pop("prompt", [""])[-1].split() if value != "login"]
        if prompts:
            query["prompt"] = " ".join(prompts)
        return redirect_to_login(
            f"{self.request.path}?{query.urlencode()}", self.get_login_url(), self.get_redirect_field_name()
        )

    def redirect_error(
        self, error: str, description: str, credentials: dict[str, Any] | None = None
    ) -> HttpResponse:
        """An error sent back to the client's redirect URI (already validated, which
        ``credentials`` are the result of; without them, the request is validated here, and an
        invalid one gets the base library's answer: §4.1.2.1, never to an unchecked URI)."""
        if credentials is None:
            try:
                _scopes, credentials = self.validate_authorization_request(self.request)
            except OAuthToolkitError as invalid:
                return self.error_response(invalid, application=None)
        oauth_error = errors.CustomOAuth2Error(
            error=error, description=description, state=credentials.get("state")
        )
        here = get_application_model().objects.filter(organization=organization_for_request(self.request))
        application = here.filter(client_id=credentials["client_id"]).first()
        return self.error_response(
            OAuthToolkitError(error=oauth_error, redirect_uri=credentials["redirect_uri"]), application
        )

    def may_skip_consent(self) -> bool:
        """Trusted (first-party) apps skip the screen; others when the user already granted the
        same or wider scopes and has not revoked them. OIDC ``prompt=consent`` always asks, and
        so does ``prompt=select_account`` (OIDC Core §3.1.2.1): one account per session, so the
        screen is the choice, naming the signed-in account with a link to sign in as another
        (``pages.context.switch_account_url``); continuing is choosing it."""
        if self.prompts(self.request) & {"consent", "select_account"}:
            return False
        return consent_remembered(
            self.request.user, self.oauth2_data["application"], self.oauth2_data["scopes"]
        )

    def approve_without_asking(self) -> HttpResponse:
        initial = self.get_initial()
        data = {key: value for key, value in initial.items() if value is not None}
        data.update(approved_scopes=initial["scope"].split(), allow=True)
        form = self.get_form_class()(data=data)
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        # The base view looks the (hidden, tamperable) client_id up with .get(): an unknown
        # one would be a 500. RFC 6749 §4.1.2.1: never redirect for an invalid client.
        organization = organization_for_request(self.request)
        client_id = form.cleaned_data["client_id"]
        applications = get_application_model().objects.filter(organization=organization)
        application = applications.filter(client_id=client_id).first()
        if application is None:
            message = _("Invalid client_id parameter value.")
            return error_page(self.request, 400, _("Invalid request"), message)
        if malformed_resource(form.cleaned_data["resource"].split()) is not None:
            # get() refused it already: only a tampered form has one (the base view would raise).
            return error_page(self.request, 400, _("Invalid request"), resource_message(), "invalid_target")
        # RFC 6749 §3.3: the user may narrow the scope; approving none is a refusal (§4.1.2.1).
        requested = form.cleaned_data["scope"].split()
        approved = set(form.cleaned_data["approved_scopes"])
        grantable = grantable_scopes(self.request.user, organization, application, requested)
        granted = [name for name in grantable if name in approved]
        form.cleaned_data["scope"] = " ".join(granted)
        form.cleaned_data["allow"] = form.cleaned_data["allow"] and bool(granted)
        response: HttpResponse = super().form_valid(form)
        self.record_decision(response, organization, application, granted, asked=is_decision(self.request))
        return response

    def record_decision(
        self,
        response: HttpResponse,
        organization: Organization | None,
        application: Application,
        granted: list[str],
        asked: bool,
    ) -> None:
        location = response.get("Location", "")
        parsed = urlparse(location)
        params = parse_qs(parsed.query) | parse_qs(parsed.fragment)
        if response.status_code != 302 or not params:
            return
        if "error" in params and params["error"] != ["access_denied"]:
            return  # a protocol error, not a decision of the user
        denied = "error" in params
        details = {} if denied else {"scope": " ".join(granted), "consent_screen": asked}
        record(
            Event.AUTHORIZATION_DENIED if denied else Event.AUTHORIZATION_GRANTED,
            organization=organization,
            actor_type=Actor.USER,
            actor=self.request.user,
            application=application,
            subject=self.request.user,
            request=self.request,
            **details,
        )

    def redirect(self, redirect_to: str, application: Application | None) -> HttpResponse:
        response_type = self.request.GET.get("response_type") or self.request.POST.get("response_type", "")
        return super().redirect(errors_in_fragment(redirect_to, response_type), application)  # type: ignore[no-any-return]

    def error_response(
        self, error: OAuthToolkitError, application: Application | None, **kwargs: Any
    ) -> HttpResponse:
        response: HttpResponse = super().error_response(error, application, **kwargs)
        if response.status_code == 302:
            # RFC 9207 §2: `iss` goes on error responses too (the base library adds it on success).
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            response["Location"] = with_issuer(response["Location"], issuer)
            return response
        # RFC 6749 §4.1.2.1: an unknown client or an unregistered redirect URI is never
        # redirected to; the user gets a page in plain words instead of a protocol code.
        oauthlib_error = getattr(error, "oauthlib_error", None)
        code = getattr(oauthlib_error, "error", "invalid_request")
        detail = getattr(oauthlib_error, "description", "")
        problem = authorization_error(oauthlib_error, self.unapproved_client(oauthlib_error))
        technical = f"{code} ({detail})" if detail else code
        return error_page(
            self.request, response.status_code, problem["title"], problem["description"], technical
        )

    def unapproved_client(self, error: object) -> Application | None:
        """The client of an unknown-client error when it is this organization's but awaits an
        administrator's approval or is blocked (``Application.review``): the member is told."""
        client_id = self.request.GET.get("client_id") or self.request.POST.get("client_id")
        if not isinstance(error, errors.InvalidClientIdError) or not client_id:
            return None
        here = get_application_model().objects.filter(organization=organization_for_request(self.request))
        found: Application | None = (
            here.filter(client_id=client_id[:255]).exclude(review=here.model.Review.APPROVED).first()
        )
        return found

    def form_invalid(self, form: ConsentForm) -> HttpResponse:
        # Only a tampered or truncated POST gets here (every field but the checkboxes is hidden).
        message = _("Malformed authorization request: %(fields)s.") % {
            "fields": ", ".join(sorted(form.errors))
        }
        return error_page(self.request, 400, _("Invalid request"), message)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            organization = organization_for_request(self.request)
            requested = context.get("scopes", [])
            context["organization"] = organization
            context["scope_groups"] = consent_groups(self.request.user, organization, application, requested)
        return context


@CLIENT_ENDPOINT
class TokenView(TenantGateMixin, ClientChallengeMixin, ClientAuthThrottleMixin, base.TokenView):
    """RFC 6749 §3.2: the token endpoint. Without the plan every grant type is refused with
    §5.2 ``unauthorized_client``: the client may not use this grant type (nor any other)."""

    plan_refusal = (400, "unauthorized_client")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Exactly the grant types the metadata advertises (RFC 8414 §2). oauthlib would treat
        # an unknown one as authorization_code, and the base library then fails an assertion.
        grant_type = request.POST.get("grant_type")
        if not grant_type:
            return oauth_error(400, "invalid_request", _("Missing grant_type parameter."))
        if grant_type not in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED:
            return oauth_error(
                400,
                "unsupported_grant_type",
                _("Grant type not supported here: %(grant_type)s.") % {"grant_type": grant_type[:100]},
            )
        # RFC 8707 §2: the base library's own check raises on what urlsplit() cannot parse
        # (and, as it does, a lone empty resource parameter is no resource at all).
        resources = [*request.GET.getlist("resource"), *request.POST.getlist("resource")]
        if malformed_resource(value for value in resources if value.strip()) is not None:
            return oauth_error(400, "invalid_target", resource_message())
        if grant_type == device.GRANT_TYPE:
            # RFC 8628 §3.4, §3.5: slow_down, pending, denied and expired are answered here, the
            # first without SQL, the others in one statement (tokens.device.poll_refusal).
            refused = device.poll_refusal(request)
            if refused is not None:
                return refused
        response: HttpResponse = super().post(request, *args, **kwargs)
        return response

    @classmethod
    def get_server(cls) -> Any:
        """The base library's server, with our pre-token hook for the device grant in place of
        its own (``tokens.device.set_device_user``: codes are stored as checksums, looked up at
        the request's organization). A host's other hooks run after it."""
        kwargs = dict(oauth2_settings.server_kwargs)
        hooks = [
            hook
            for hook in kwargs.get("pre_token") or []
            if hook is not set_oauthlib_user_to_device_request_user
        ]
        kwargs["pre_token"] = [device.set_device_user, *hooks]
        return cls.get_server_class()(cls.get_validator_class()(), **kwargs)

    def device_flow_token_response(
        self, request: HttpRequest, device_code: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # The base view looks the raw code up again, in every tenant, and answers from its
        # status alone: poll_refusal has answered, and the validator decides (validate_grant_type)
        # and spends the code (claim_device_code), like any other grant.
        return self.authorization_flow_token_response(request, *args, **kwargs)

    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if app_authorized.has_listeners():
            flowed: HttpResponse = super().authorization_flow_token_response(request, *args, **kwargs)
            return flowed
        # The base view reads back the token it has just saved, only to send app_authorized:
        # with no receiver, that query is skipped.
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        return response


@CLIENT_ENDPOINT
class RevokeTokenView(TenantGateMixin, ClientChallengeMixin, ClientAuthThrottleMixin, base.RevokeTokenView):
    """RFC 7009: token revocation, through ``tokens.revocation.revoke`` (see the validator).

    Not plan-gated on purpose: revoking only ever reduces access, and an organization that
    downgraded must still be able to cut off the tokens it issued.
    """

    plan_gated = False


@CLIENT_ENDPOINT
class IntrospectTokenView(
    TenantGateMixin, NoStoreMixin, ClientChallengeMixin, ClientAuthThrottleMixin, base.IntrospectTokenView
):
    """RFC 7662, for the organization's own clients, about the organization's own tokens.

    ``scope`` is what the token may do now (its effective scopes), not what was once granted.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # RFC 7662 §2.1: POST only, so that tokens stay out of URLs and access logs.
        response = oauth_error(405, "invalid_request", _("Introspection accepts POST only."))
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        value = request.POST.get("token")
        if not value:
            return oauth_error(400, "invalid_request", _("Token parameter is missing."))
        organization = gated_organization(self.request)
        checked = check_access_token(value, organization)
        # §2.2: anything unknown, expired, revoked, suspended or of a removed member is simply
        # not active, by the same check as every API request.
        if isinstance(checked, Refusal):
            return JsonResponse({"active": False})
        data = {
            "active": True,
            "scope": " ".join(sorted(checked.effective_scopes)),
            "client_id": checked.application.client_id,
            "token_type": "Bearer",
            "exp": calendar.timegm(checked.expires.utctimetuple()),
            # §2.2 iss: this organization's issuer, as in its metadata (RFC 8414 §2) and every
            # authorization response (RFC 9207): a resource server trusting several
            # organizations tells whose token it holds by the issuer it already knows.
            "iss": oauth2_settings.oauth2_authorization_server_issuer(self.request),
            # A swapped organization model may have no slug (docs/adapter.md): as the ID token.
            "organization": getattr(organization, "slug", None),
        }
        if checked.user is not None:
            # §2.2 sub: the ID token's and userinfo's subject (the base library's str(pk)).
            data["sub"] = str(checked.user.pk)
            data["username"] = checked.user.get_username()
        if checked.resource:
            data["aud"] = checked.resource  # RFC 8707 §2, the resources the token is for
        return JsonResponse(data)

    def unauthenticated_response(
        self, request: HttpRequest, oauthlib_request: OAuthlibRequest | None = None
    ) -> HttpResponse:
        # §2.1: the caller must be a client of this organization (RFC 6749 §5.2 invalid_client).
        return oauth_error(401, "invalid_client", _("Client authentication failed."))


@CLIENT_ENDPOINT
class UserInfoView(TenantGateMixin, NoStoreMixin, base.UserInfoView):
    """OpenID Connect Core §5.3. The bearer token is checked first, by the one token check and
    with the RFC 6750 §3.1 challenges every resource sends (no credentials: a bare challenge; a
    refused token, also for want of the plan: ``invalid_token``; no ``openid``:
    ``insufficient_scope``), then the base library answers with the claims."""

    plan_gated = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.bearer_refusal(request) or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.bearer_refusal(request) or super().post(request, *args, **kwargs)

    def bearer_refusal(self, request: HttpRequest) -> HttpResponse | None:
        checked = check_bearer_request(request)
        if checked is None:
            return challenge(request, {})
        return refuse_bearer(request, checked, ("openid",))
