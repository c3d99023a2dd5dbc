"""The django-oauth-toolkit validator (``OAUTH2_VALIDATOR_CLASS``).

``validate_bearer_token`` is the one place where a presented access token is checked, for
every resource server path (DRF, plain views, userinfo).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from oauth2_provider import oauth2_validators

from .adapter import get_adapter
from .conf import oauth_settings
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
        return super().validate_bearer_token(token, scopes, request)

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        # request.client is loaded by validate_client_id before oauthlib asks (RFC 7636 §4.4.1).
        if oauth_settings.PKCE_REQUIRED_FOR == "all":
            return True
        client = request.client
        return client is None or client.client_type == client.CLIENT_PUBLIC
