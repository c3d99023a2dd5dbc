"""One authorization code, read once per token request.

The base library reads the code's ``Grant`` row up to six times while exchanging it
(scopes for the OpenID Connect dispatcher, ``validate_code`` (here ``code_is_valid``),
``confirm_redirect_uri``, the PKCE challenge and its method, the nonce). This mixin for the
validator loads it once, with its
user and whether that user is a member of the organization (the adapter's
``membership_subquery``), and answers each of those from that row, exactly as the base
library's methods do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from oauth2_provider.models import get_grant_model
from oauthlib.oauth2.rfc6749 import utils

from ..adapter import get_adapter
from ..carried import organization_of

if TYPE_CHECKING:
    from ..typing import Application, Grant, OAuthlibRequest

# The base library's validator methods, overridden: the extra *args, **kwargs oauthlib passes
# are only passed on or searched for the request (object).


class GrantLoadedOnce:
    def _grant(self, code: str, request: OAuthlibRequest) -> Grant | None:
        """The unexpired or expired ``Grant`` for ``code`` (any client), loaded once."""
        memo: tuple[str, Grant | None] | None = getattr(request, "perscom_grant", None)
        if memo is None or memo[0] != code:
            grants = get_grant_model().objects.select_related("user").filter(code=code)
            adapter, organization = get_adapter(), organization_of(request)
            membership = adapter.membership_subquery(organization) if organization is not None else None
            if membership is not None:
                grants = grants.annotate(perscom_member=membership)
            grant = grants.first()
            if grant is not None and membership is not None and organization is not None:
                adapter.remember_membership(grant.user, organization, grant.perscom_member)
            memo = (code, grant)
            request.perscom_grant = memo
        return memo[1]

    def _client_grant(self, code: str, client: Application | None, request: OAuthlibRequest) -> Grant | None:
        grant = self._grant(code, request)
        return (
            grant if grant is not None and client is not None and grant.application_id == client.pk else None
        )

    def code_is_valid(self, code: str, client: Application | None, request: OAuthlibRequest) -> bool:
        """The base library's ``validate_code``, from the row loaded once (the validator's
        ``validate_code`` adds our rules to it)."""
        grant = self._client_grant(code, client, request)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Application | None,
        *args: object,
        **kwargs: object,
    ) -> bool:
        # oauthlib passes the request after the client, by position or by keyword.
        request = cast("OAuthlibRequest", kwargs.get("request") or (args[0] if args else None))
        grant = self._client_grant(code, client, request)
        return grant is not None and bool(grant.redirect_uri_allowed(redirect_uri))

    def get_code_challenge(self, code: str, request: OAuthlibRequest) -> str | None:
        grant = self._client_grant(code, request.client, request)
        return (grant.code_challenge or None) if grant is not None else None

    def get_code_challenge_method(self, code: str, request: OAuthlibRequest) -> str | None:
        grant = self._client_grant(code, request.client, request)
        return (grant.code_challenge_method or None) if grant is not None else None

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: OAuthlibRequest
    ) -> list[str]:
        grant = self._grant(code, request)
        return utils.scope_to_list(grant.scope) if grant is not None and grant.scope else []

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: OAuthlibRequest
    ) -> str | None:
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant is not None else None
