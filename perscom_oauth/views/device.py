"""The device authorization grant (RFC 8628), per organization: django-oauth-toolkit's device
views behind our gates.

- ``DeviceAuthorizationView`` (§3.1, §3.2): the device asks for a device code and a user code;
  the verification URI is this organization's host.
- ``DeviceUserCodeView`` (§3.3): the member types the code (or finds it prefilled from
  ``verification_uri_complete``, §3.3.1); wrong codes are throttled per member and per source
  address (``tenancy.device_throttle``, §5.1).
- ``DeviceConfirmView``: the application, its publisher, the permissions in plain words, a
  warning against codes one did not get from one's own device (§5.4); approve or deny.

The poll at the token endpoint is ``views.oauth.TokenView`` with ``tokens.device.poll_refusal``;
the token is minted by the base library through our validator (``server.validator``), which
spends the code (single use).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider import views as base
from oauth2_provider.models import (
    DeviceCodeResponse,
    DeviceRequest,
    create_device_grant,
    get_application_model,
)
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.device import DeviceConfirmForm, DeviceGrantForm
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.endpoints import DeviceAuthorizationEndpoint

from ..audit import Actor, Event, record
from ..conf import oauth_settings
from ..http.challenges import ClientChallengeMixin
from ..http.headers import client_id_of
from ..http.responses import NO_STORE, oauth_error
from ..pages.context import switch_account_url
from ..pages.errors import PageRefusalMixin, error_page
from ..scopes.effective import grantable_scopes
from ..tenancy.device_throttle import entry_counters, give_back, reserve_entry
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization
from ..tenancy.throttle import ClientAuthThrottleMixin
from ..tokens import device
from .oauth import CLIENT_ENDPOINT, PUBLIC, MemberRequiredMixin

if TYPE_CHECKING:
    from ..typing import Application, Organization, User


@CLIENT_ENDPOINT
class DeviceAuthorizationView(
    TenantGateMixin, ClientChallengeMixin, ClientAuthThrottleMixin, base.DeviceAuthorizationView
):
    """RFC 8628 §3.1: a device authorization request of one of this organization's clients that
    may use the grant. Without the plan: §5.2 ``unauthorized_client``, as at the token endpoint."""

    plan_refusal = (400, "unauthorized_client")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = oauth_error(
            405, "invalid_request", _("The device authorization endpoint accepts POST only.")
        )
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.content_type != "application/x-www-form-urlencoded":
            # §3.1 (RFC 6749 Appendix B); oauthlib checks it too, but fails on a missing header.
            message = _("Content-Type must be application/x-www-form-urlencoded.")
            return self.no_store(oauth_error(400, "invalid_request", message))
        client_id = client_id_of(request.headers, request.POST)
        if client_id and "client_id" not in request.POST:
            # §3.1: client_id is required only of a client that does not authenticate; oauthlib
            # reads it from the body even then (HTTP Basic), so it is copied from the header.
            body = request.POST.copy()
            body["client_id"] = client_id
            request.POST = body  # type: ignore[assignment]
        organization = gated_organization(request)
        application = (
            get_application_model().objects.filter(organization=organization, client_id=client_id).first()
            if client_id
            else None
        )
        if client_id and (application is None or not application.enabled):
            # RFC 6749 §5.2 (RFC 8628 §3.2): an unknown client, as at the token endpoint.
            return self.no_store(self.unknown_client())
        verification_uri = request.build_absolute_uri(reverse("oauth2_provider:device"))

        def complete(code: str) -> str:
            # §3.3.1: the code in the URI, for a QR code; the member still compares it.
            return f"{verification_uri}?{urlencode({'user_code': code})}"

        endpoint = DeviceAuthorizationEndpoint(
            self.get_validator_class()(),
            verification_uri=verification_uri,
            expires_in=oauth_settings.DEVICE_CODE_SECONDS,
            interval=oauth2_settings.DEVICE_FLOW_INTERVAL,
            verification_uri_complete=complete,
            user_code_generator=device.generate_user_code,
        )
        core = self.get_oauthlib_backend_class()(endpoint)
        _headers, body, status = core.create_device_authorization_response(request)
        if status != 200:
            response = JsonResponse(json.loads(body), status=status)
            if status == 401:
                response["WWW-Authenticate"] = 'Basic realm="oauth"'
            return self.no_store(response)
        if application is None:  # oauthlib refuses a request without a client
            return self.no_store(self.unknown_client())
        refused = self.refusal(request, application)
        if refused is not None:
            return self.no_store(refused)
        scope = self.scope(request, application)
        for _attempt in range(5):  # 20^8 codes: a second draw is already a 1-in-10^10 event
            if not device.user_code_taken(device.normalize_user_code(body["user_code"]) or "", organization):
                break
            body["user_code"] = device.generate_user_code()
            body["verification_uri_complete"] = complete(body["user_code"])
        create_device_grant(
            DeviceRequest(client_id=client_id, scope=scope),
            # Stored as the code's checksum (RFC 9700 §4.14), the user code without its dash.
            DeviceCodeResponse(
                **{
                    **body,
                    "user_code": device.normalize_user_code(body["user_code"]),
                    "device_code": device.stored(body["device_code"]),
                }
            ),
        )
        return self.no_store(JsonResponse(body))

    @staticmethod
    def unknown_client() -> HttpResponse:
        response = oauth_error(401, "invalid_client", _("Client authentication failed."))
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
        return response

    def refusal(self, request: HttpRequest, application: Application) -> HttpResponse | None:
        """What oauthlib does not check at this endpoint: that the client may use the grant
        (RFC 6749 §5.2 ``unauthorized_client``) and the scope it asks for (§3.3, by the same
        rule as every other grant: ``OAuth2Validator.validate_scopes``)."""
        if application.authorization_grant_type != device.APPLICATION_GRANT:
            message = _("This application may not use the device authorization grant.")
            return oauth_error(400, "unauthorized_client", message)
        scopes = self.scope(request, application).split()
        try:
            self.get_validator_class()().validate_scopes(application.client_id, scopes, application, None)
        except errors.OAuth2Error as error:
            return oauth_error(error.status_code, error.error, error.description)
        return None

    def scope(self, request: HttpRequest, application: Application) -> str:
        requested = request.POST.get("scope", "").strip()
        if requested:
            return " ".join(requested.split())
        oauthlib_request = OAuthlibRequest(request.build_absolute_uri())
        oauthlib_request.client = application
        defaults = self.get_validator_class()().get_default_scopes(application.client_id, oauthlib_request)
        return " ".join(defaults)

    @staticmethod
    def no_store(response: HttpResponse) -> HttpResponse:
        for header, value in NO_STORE.items():  # §3.2: the codes are credentials
            response[header] = value
        return response


class UserCodeForm(DeviceGrantForm):
    """The user code as typed: checked for its shape here, looked up by the view (at this
    organization, throttled), never by the base library's form (which searches every tenant)."""

    user_code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "placeholder": "XXXX-XXXX",
                "aria-describedby": "code-help",
            }
        ),
    )

    def clean_user_code(self) -> str:
        code = device.normalize_user_code(self.cleaned_data["user_code"])
        if code is None:
            raise forms.ValidationError(
                gettext_lazy("A code has 8 letters, like WDJB-MJHT. Check what your device shows."),
                code="invalid_user_code",
            )
        return code


class DeviceConfirmationForm(DeviceConfirmForm):
    user_code = forms.CharField(max_length=32, widget=forms.HiddenInput)
    approved_scopes = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: Any, scopes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved_scopes"].choices = [(name, name) for name in scopes or []]


class CodeEntry(PageRefusalMixin, TenantGateMixin, MemberRequiredMixin):
    """What both verification pages share: looking a code up at this organization, with each
    wrong code counted against the member and the source address (RFC 8628 §5.1)."""

    request: HttpRequest
    # The code entry form posts back to its page, /oauth/device?user_code=... (§3.3.1).
    form_posts_to_its_page = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        # Never framed (clickjacking: RFC 8628 §5.3 remote phishing aside, RFC 9700 §4.16), and
        # never cached: the page shows a live code.
        response["X-Frame-Options"] = "DENY"
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
        for header, value in NO_STORE.items():
            response[header] = value
        return response

    def live_grant(self, user_code: str) -> tuple[Any, Application] | HttpResponse | None:
        organization = gated_organization(self.request)
        counters = entry_counters(self.request, organization.pk)
        if not reserve_entry(counters):
            return error_page(
                self.request,
                429,
                _("Too many wrong codes"),
                # The small print (pages.errors rewords it for the member).
                _("DEVICE_CODE_ATTEMPTS wrong user codes from this member or address in this window."),
                "slow_down",
            )
        found = device.pending_grant(user_code, organization)
        if found is not None:
            give_back(counters)  # a right code is not a guess
        return found

    def confirm_context(self, grant: Any, application: Application) -> dict[str, Any]:
        organization = gated_organization(self.request)
        return {
            "application": application,
            "organization": organization,
            "scopes": grant.scope.split(),
            "user_code": device.display_user_code(grant.user_code),
            "form": DeviceConfirmationForm(initial={"user_code": grant.user_code}),
        }


@PUBLIC
class DeviceUserCodeView(CodeEntry, base.DeviceUserCodeView):
    """RFC 8628 §3.3: the verification URI. A right code shows the confirmation page."""

    template_name = "perscom_oauth/device.html"
    form_class = UserCodeForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["organization"] = gated_organization(self.request)
        context["switch_account_url"] = switch_account_url(self.request)
        form = context["form"]
        if form.errors.get("user_code"):
            # The error is read with the field (WCAG 3.3.1): invalid, and described by it.
            form.fields["user_code"].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": "code-error code-help"}
            )
        return context

    def form_valid(self, form: UserCodeForm) -> HttpResponse:
        found = self.live_grant(form.cleaned_data["user_code"])
        if isinstance(found, HttpResponse):
            return found
        if found is None:
            form.add_error(
                "user_code",
                _("That code is not valid here. It may have expired or been used: get a new one."),
            )
            invalid: HttpResponse = self.form_invalid(form)
            return invalid
        grant, application = found
        response: HttpResponse = self.response_class(
            request=self.request,
            template=["perscom_oauth/device_confirm.html"],
            context=self.confirm_context(grant, application),
        )
        return response


@PUBLIC
class DeviceConfirmView(CodeEntry, base.DeviceConfirmView):
    """Approve or deny (a POST of the confirmation page); the code is looked up again, as
    entered, so nothing but the code names the grant."""

    template_name = "perscom_oauth/device_done.html"
    form_class = DeviceConfirmationForm
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("oauth2_provider:device"))

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()
        kwargs["scopes"] = self.request.POST.getlist("approved_scopes")
        return kwargs

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        return error_page(
            self.request, 400, _("Invalid request"), _("Malformed confirmation."), "invalid_request"
        )

    def form_valid(self, form: DeviceConfirmationForm) -> HttpResponse:
        action = form.cleaned_data["action"]
        if action not in ("approve", "deny"):
            return self.form_invalid(form)
        found = self.live_grant(form.cleaned_data["user_code"])
        if isinstance(found, HttpResponse):
            return found
        if found is None:
            return self.no_longer_valid()
        grant, application = found
        organization = gated_organization(self.request)
        user = cast("User", self.request.user)  # signed in: LoginRequiredMixin
        approved = set(form.cleaned_data["approved_scopes"])
        granted = [
            name
            for name in grantable_scopes(user, organization, application, grant.scope.split())
            if name in approved
        ]
        allow = action == "approve" and bool(granted)  # approving nothing is a refusal (RFC 6749 §4.1.2.1)
        if not device.decide(grant, user, granted if allow else None):
            return self.no_longer_valid()
        self.record(organization, application, granted if allow else None)
        done: HttpResponse = self.render_to_response(
            {"application": application, "organization": organization, "approved": allow}
        )
        return done

    def record(self, organization: Organization, application: Application, granted: list[str] | None) -> None:
        details: dict[str, object] = {"grant_type": device.GRANT_TYPE}
        if granted is not None:
            details.update(scope=" ".join(granted), consent_screen=True)
        record(
            Event.AUTHORIZATION_GRANTED if granted is not None else Event.AUTHORIZATION_DENIED,
            organization=organization,
            actor_type=Actor.USER,
            actor=self.request.user,
            application=application,
            subject=cast("User", self.request.user),
            request=self.request,
            **details,
        )

    def no_longer_valid(self) -> HttpResponse:
        return error_page(
            self.request,
            400,
            _("This code can no longer be used"),
            _("No pending, unexpired device grant of this organization has this user code."),
            "invalid_grant",
        )
