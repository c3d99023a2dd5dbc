"""The django-oauth-toolkit validator (``OAUTH2_VALIDATOR_CLASS``).

``validate_bearer_token`` is the one place where a presented access token is checked, for
every resource server path (DRF, plain views, userinfo).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from oauth2_provider import oauth2_validators
from oauthlib.oauth2.rfc6749 import errors

from .access import effective_scopes, grantable_scopes
from .adapter import get_adapter
from .conf import oauth_settings
from .scopes import allowed_scope_names
from .tenancy import organization_of


def refuse(request: Any, error: str, description: str) -> bool:
    """Record an RFC 6750 §3.1 error on the oauthlib request and refuse it."""
    request.oauth2_error = {"error": error, "error_description": description}
    return False


class OAuth2Validator(oauth2_validators.OAuth2Validator):
    def validate_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        organization = organization_of(request)
        if organization is None:
            return refuse(request, "invalid_token", _("No organization answers at this host."))
        adapter = get_adapter()
        # Checked on every request, before the token is even loaded: a downgrade takes effect
        # at once for every token, machine-to-machine ones included, and deletes nothing.
        if not adapter.has_oauth(organization):
            return refuse(request, "invalid_token", adapter.plan_refusal_message(organization))
        if not super().validate_bearer_token(token, [], request):
            return False
        # A token never exceeds its user: what it may do is recomputed now, from the user's
        # current permissions and the application's current allowed scopes.
        access_token = request.access_token
        access_token.effective_scopes = effective_scopes(access_token, organization)
        request.scopes = sorted(access_token.effective_scopes)
        if not set(scopes) <= access_token.effective_scopes:
            # RFC 6750 §3.1 insufficient_scope
            return refuse(request, "insufficient_scope", _("The access token lacks a required scope."))
        return True

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        # RFC 6749 §3.3: with no scope requested and no default configured, fail rather than
        # issue a token that can do nothing. Both errors say which scopes are the problem.
        if not scopes:
            raise errors.InvalidScopeError(description=_("No scope requested."), request=request)
        refused = sorted(set(scopes) - allowed_scope_names(client))
        if refused:
            description = _("Scopes not allowed for this application: %(scopes)s.") % {
                "scopes": " ".join(refused)
            }
            raise errors.InvalidScopeError(description=description, request=request)
        return True

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        # The consent form already offers only grantable scopes; this guard holds whatever
        # posts to the endpoint: the user can grant only permissions they hold right now.
        request.scopes = grantable_scopes(
            request.user, organization_of(request), request.client, request.scopes
        )
        if not request.scopes:
            raise errors.AccessDeniedError(
                description=_("No requested scope can be granted."), request=request
            )
        super().save_authorization_code(client_id, code, request, *args, **kwargs)

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        # request.client is loaded by validate_client_id before oauthlib asks (RFC 7636 §4.4.1).
        if oauth_settings.PKCE_REQUIRED_FOR == "all":
            return True
        client = request.client
        return client is None or client.client_type == client.CLIENT_PUBLIC
