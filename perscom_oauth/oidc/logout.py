"""OpenID Connect RP-Initiated Logout 1.0, at ``/oauth/logout``.

django-oauth-toolkit's ``RPInitiatedLogoutView`` validates the request (``id_token_hint``,
``client_id``, ``post_logout_redirect_uri``); this view decides what a logout may end:

* Nobody signed in: nothing is revoked (an ``id_token_hint`` alone is no authority to revoke
  anything, §2). The user goes back to the validated ``post_logout_redirect_uri`` (with
  ``state``), or sees that there was no session here to end.
* Signed in: a confirmation page first (§2: the OP asks the End-User), also when the hint names
  another account, whose tokens are never touched. On confirmation the Django session ends and,
  through ``tokens.revocation.revoke``, the signed-in user's tokens of the requesting application are
  revoked; those of every application of this organization only if the user ticks the option.
  Never another organization's. Cancel revokes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as base
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import InvalidOIDCClientError, OIDCError
from oauth2_provider.forms import ConfirmLogoutForm
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model
from oauthlib.common import add_params_to_uri

from ..audit import Actor
from ..http.posted import PostedRequestMixin, protocol_parameters
from ..pages.errors import PageRefusalMixin, error_page
from ..tenancy.gates import TenantGateMixin
from ..tenancy.hosts import gated_organization
from ..tokens.revocation import Revoked, revoke

if TYPE_CHECKING:
    from ..typing import Application, IDToken, User

REASON = "RP-initiated logout"


class LogoutForm(ConfirmLogoutForm):
    """The base library's confirmation form, plus the opt-in to end every app's access."""

    everywhere = forms.BooleanField(
        required=False,
        label=gettext_lazy("Also sign out of all apps"),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "everywhere-help"}),
    )


# The page names the signed-in account: never stored by a shared cache. §2: a relying party may
# POST the logout request, without a CSRF token of ours; the confirmation posted back is
# CSRF-checked on its own (http.posted).
@method_decorator([csrf_exempt, login_not_required, never_cache], name="dispatch")
class LogoutView(PageRefusalMixin, TenantGateMixin, PostedRequestMixin, base.RPInitiatedLogoutView):
    """Signing out is never refused for want of a plan; only this organization's clients may
    ask, and only this organization's tokens of the signed-in user are ever revoked. The
    request comes by GET or by POST (§2: the OP MUST support both), handled alike."""

    plan_gated = False
    template_name = "perscom_oauth/logout_confirm.html"
    form_class = LogoutForm
    form_posts_to_its_page = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.token_user: User | None = None
        self.confirmed = False
        self.everywhere = False
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The base view's ``get()``, reading the request from ``protocol_parameters`` (the
        body of a POST, §2) instead of the query only: validate, then log out or ask first."""
        parameters = protocol_parameters(request)
        requested = {
            name: parameters.get(name)
            for name in ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")
        }
        try:
            application, token_user = self.validate_logout_request(
                id_token_hint=requested["id_token_hint"],
                client_id=requested["client_id"],
                post_logout_redirect_uri=requested["post_logout_redirect_uri"],
            )
        except OIDCError as error:
            return self.error_response(error)
        if not self.must_prompt(token_user):
            return self.do_logout(
                application, requested["post_logout_redirect_uri"], requested["state"], token_user
            )
        self.oidc_data = requested  # the confirmation form's hidden fields (get_initial)
        context = self.get_context_data(form=self.get_form(self.get_form_class()), **kwargs)
        if application is not None:
            context["application"] = application
        page: HttpResponse = self.render_to_response(context)
        return page

    # --- the base library's hooks --------------------------------------------------------------

    def get_request_application(self, id_token: IDToken | None, client_id: str | None) -> Application | None:
        """Only a client of this organization may ask (another's is unknown here: 400)."""
        organization = gated_organization(self.request)
        if client_id:
            application: Application | None = (
                get_application_model().objects.filter(client_id=client_id, organization=organization).first()
            )
            if application is None:
                raise InvalidOIDCClientError()
            return application
        if id_token is not None and id_token.application.organization_id != organization.pk:
            raise InvalidOIDCClientError()
        hinted: Application | None = id_token.application if id_token is not None else None
        return hinted

    def validate_logout_request(
        self, id_token_hint: str | None, client_id: str | None, post_logout_redirect_uri: str | None
    ) -> tuple[Application | None, User | None]:
        application, token_user = super().validate_logout_request(
            id_token_hint=id_token_hint,
            client_id=client_id,
            post_logout_redirect_uri=post_logout_redirect_uri,
        )
        # Kept only to tell the user the hint named another account: never revoked for.
        self.token_user = token_user
        return application, token_user

    def must_prompt(self, token_user: User | None) -> bool:
        # §2: a signed-in user always confirms first, whatever OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT
        # says; without a session there is nothing to ask about (do_logout then ends nothing).
        return bool(self.request.user.is_authenticated)

    def form_valid(self, form: LogoutForm) -> HttpResponse:
        data = form.cleaned_data
        post_logout_redirect_uri = data.get("post_logout_redirect_uri")
        state = data.get("state")
        try:
            application, token_user = self.validate_logout_request(
                id_token_hint=data.get("id_token_hint"),
                client_id=data.get("client_id"),
                post_logout_redirect_uri=post_logout_redirect_uri,
            )
        except OIDCError as error:
            return self.error_response(error)
        if self.request.user.is_authenticated and not data.get("allow"):
            return self.cancelled(application, post_logout_redirect_uri, state)
        self.confirmed = bool(data.get("allow"))
        self.everywhere = bool(data.get("everywhere"))
        return self.do_logout(application, post_logout_redirect_uri, state, token_user)

    def do_logout(
        self,
        application: Application | None = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: User | None = None,
    ) -> HttpResponse:
        """Ends the signed-in user's session once they confirmed; ``token_user`` (the hint's
        subject) is deliberately unused: nobody is signed out on the strength of a hint."""
        user = self.request.user
        signed_out = bool(user.is_authenticated and self.confirmed)
        if signed_out:
            self.revoke_tokens(user, application)
            logout(self.request)
        if post_logout_redirect_uri:
            # The base library refuses a post_logout_redirect_uri without its application.
            return self.back_to_client(cast("Application", application), post_logout_redirect_uri, state)
        template = "perscom_oauth/logged_out.html" if signed_out else "perscom_oauth/logout_no_session.html"
        context = {
            "organization": gated_organization(self.request),
            "application": application,
            "everywhere": self.everywhere,
        }
        return render(self.request, template, context)

    def error_response(self, error: OIDCError) -> HttpResponse:
        return error_page(
            self.request, error.status_code, _("Invalid sign-out request"), str(error.description)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            account=user,
            organization=gated_organization(self.request),
            application=context.get("application"),
            hint_mismatch=self.token_user is not None and self.token_user != user,
        )
        return context

    # --- ours ----------------------------------------------------------------------------------

    def revoke_tokens(self, user: User, application: Application | None) -> Revoked:
        """The user's access and refresh tokens of the requesting application, or of every
        application of this organization if they chose so; never another organization's."""
        organization = gated_organization(self.request)
        if self.everywhere:
            scope: dict[str, object] = {"application__organization": organization}
        elif application is not None:
            scope = {"application": application, "application__organization": organization}
        else:
            return Revoked()
        return revoke(
            organization=organization,
            access_tokens=get_access_token_model().objects.filter(user=user, **scope),
            refresh_tokens=get_refresh_token_model().objects.filter(user=user, **scope),
            actor_type=Actor.USER,
            actor=user,
            application=None if self.everywhere else application,
            subject=user,
            request=self.request,
            reason=REASON,
        )

    def back_to_client(
        self, application: Application, post_logout_redirect_uri: str, state: str | None
    ) -> HttpResponse:
        """To the post_logout_redirect_uri validated against the application (§3), with state."""
        if state:
            post_logout_redirect_uri = add_params_to_uri(post_logout_redirect_uri, [("state", state)])
        redirect: HttpResponse = OAuth2ResponseRedirect(
            post_logout_redirect_uri, application.get_allowed_schemes()
        )
        return redirect

    def cancelled(
        self, application: Application | None, post_logout_redirect_uri: str | None, state: str | None
    ) -> HttpResponse:
        """Cancel revokes nothing and keeps the session: back to the app, else the site root."""
        if post_logout_redirect_uri:
            # As in do_logout: validated with its application.
            return self.back_to_client(cast("Application", application), post_logout_redirect_uri, state)
        return HttpResponseRedirect("/")
