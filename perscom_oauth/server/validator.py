"""The django-oauth-toolkit validator (``OAUTH2_VALIDATOR_CLASS``).

Every bearer value presented to a resource-server path (DRF, plain views, userinfo) goes
through ``validate_bearer_token`` to ``tokens.check.check_access_token``, the one place a token
is checked (introspection asks it too). Every token the base
library saves passes ``save_bearer_token`` (audit, code-replay bookkeeping), and every
revocation goes through ``tokens.revocation.revoke``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider import oauth2_validators
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from .. import compat, hashing
from ..adapter import get_adapter
from ..audit import Actor, Event, record
from ..cache.entries import MISS
from ..carried import organization_of, session_user_of, token_entry_of
from ..conf import oauth_settings
from ..hashing import checksum
from ..http.challenges import Refusal
from ..http.headers import authorization, basic_credentials, bearer_token, second_method
from ..models import AuthorizationCodeUse
from ..oidc.claims import (
    InvalidMaxAge,
    claim_readers,
    claim_scopes,
    hint_names_user,
    id_token_lifetime,
    invalid_max_age_message,
    max_age_of,
    sign_in_too_old,
)
from ..registration import documents
from ..registration.documents import is_metadata_document_url
from ..scopes.effective import consent_remembered, grantable_scopes
from ..scopes.registry import allowed_scope_names
from ..tokens import device, refresh_expiry, refresh_reuse
from ..tokens.check import check_access_token
from ..tokens.grant_lookup import GrantLoadedOnce
from ..tokens.revocation import retire_rotated, revoke
from . import id_tokens
from .standard_errors import StandardErrors

if TYPE_CHECKING:
    from collections.abc import Callable

    from oauthlib.oauth2.rfc6749.tokens import TokenBase

    from ..typing import Application, ApplicationModel, OAuthlibRequest, OAuthlibToken, RefreshToken, User

# The base library's validator methods, overridden: the extra *args, **kwargs oauthlib passes
# are only passed on (object); its token is an OAuthlibToken, its code a dict of text.

#: How precisely an application's ``last_used`` is kept.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def refuse(request: OAuthlibRequest, error: str, description: str) -> bool:
    """Record an RFC 6750 §3.1 error on the oauthlib request and refuse it."""
    request.oauth2_error = {"error": error, "error_description": description}
    return False


class OAuth2Validator(StandardErrors, GrantLoadedOnce, oauth2_validators.OAuth2Validator):
    # OpenID Connect Core §5.4: which scope releases which claim (CLAIMS).
    oidc_claim_scope = {**oauth2_validators.OAuth2Validator.oidc_claim_scope, **claim_scopes()}

    def get_additional_claims(self) -> dict[str, Callable[[OAuthlibRequest], str | None]]:
        # Request-agnostic (readers of the request), so the base library also lists them in
        # discovery's claims_supported (OIDC Discovery 1.0 §3).
        return claim_readers()

    def get_id_token_dictionary(
        self, token: OAuthlibToken, token_handler: TokenBase, request: OAuthlibRequest
    ) -> tuple[dict[str, object], datetime]:
        claims, _expires = super().get_id_token_dictionary(token, token_handler, request)
        expires = timezone.now() + timedelta(seconds=id_token_lifetime(request.client))
        claims["exp"] = int(expires.timestamp())
        return claims, expires

    def finalize_id_token(
        self,
        id_token: dict[str, object],
        token: OAuthlibToken,
        token_handler: TokenBase,
        request: OAuthlibRequest,
    ) -> str:
        # Signed with the organization's current key, named by kid (RS256 and ES256).
        return id_tokens.finalize(self, id_token, token, token_handler, request)

    def _get_key_for_token(self, token: str) -> object:
        # Any key its organization still publishes verifies it, not only the current one.
        return id_tokens.key_for_token(self, token)

    def validate_silent_login(self, request: OAuthlibRequest) -> bool:
        # OIDC Core §3.1.2.6 (prompt=none): a signed-in member, recently enough for max_age.
        user = session_user_of(request)
        organization = organization_of(request)
        if user is None or organization is None or not get_adapter().is_member(user, organization):
            return False
        try:
            return not sign_in_too_old(user, max_age_of(request.max_age))
        except InvalidMaxAge:
            raise errors.InvalidRequestError(description=invalid_max_age_message(), request=request) from None

    def validate_silent_authorization(self, request: OAuthlibRequest) -> bool:
        # §3.1.2.6: no consent screen can be shown, so every scope must be consented already.
        user = session_user_of(request)
        return user is not None and consent_remembered(user, request.client, request.scopes)

    def validate_user_match(
        self,
        id_token_hint: str | None,
        scopes: list[str],
        claims: dict[str, object] | None,
        request: OAuthlibRequest,
    ) -> bool:
        # OIDC Core §3.1.2.1: a hint naming another user than the signed-in one is
        # login_required (oauthlib raises it when this returns False).
        issuer = self.get_oidc_issuer_endpoint(request)
        return hint_names_user(self, id_token_hint, session_user_of(request), issuer)

    # --- resource server ----------------------------------------------------------------------

    def validate_bearer_token(self, token: str, scopes: list[str], request: OAuthlibRequest) -> bool:
        # The value is ours to parse (http_auth), not oauthlib's: it splits on any whitespace.
        value = bearer_token(request.headers)
        if value is None:
            # RFC 9700 §4.3.2: only the Authorization header (RFC 6750 §2.1); oauthlib would also
            # read a form body or query parameter. A request without a bearer header carries no
            # credentials for us: a bare challenge, no error code (RFC 6750 §3.1).
            return False
        checked = check_access_token(
            value, organization_of(request), getattr(request, "uri", "") or "", token_entry_of(request, MISS)
        )
        if isinstance(checked, Refusal):
            request.oauth2_error = checked.as_oauth2_error()
            return False
        request.client, request.user, request.access_token = checked.application, checked.user, checked
        request.scopes = sorted(checked.effective_scopes)
        if not set(scopes) <= checked.effective_scopes:
            # RFC 6750 §3.1 insufficient_scope
            return refuse(request, "insufficient_scope", _("The access token lacks a required scope."))
        return True

    def validate_jwt_bearer_token(self, token: str, scopes: list[str], request: OAuthlibRequest) -> bool:
        # With OpenID Connect on, oauthlib routes any JWT-shaped bearer value here, and the base
        # library would accept an ID token as an access token. An ID token is for the client
        # (OIDC Core §2; RFC 8725 §2.8): every bearer value is checked as an access token.
        return self.validate_bearer_token(token, scopes, request)

    def validate_id_token(self, token: str, scopes: list[str], request: OAuthlibRequest) -> bool:
        return refuse(request, "invalid_token", _("An ID token is not an access token."))

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        # Our salted SHA-256 (client_secrets); the base library's check for anything else.
        if hashing.is_ours(stored_secret):
            return hashing.verify(provided_secret, stored_secret)
        return compat.check_secret(self, provided_secret, stored_secret)

    def authenticate_client(self, request: OAuthlibRequest, *args: object, **kwargs: object) -> bool:
        """RFC 6749 §2.3: one authentication method per request, HTTP Basic when the header is
        there, else the body; never the body as a second chance after the header failed (the
        base library's fallback). The views refuse two methods with ``invalid_request``
        (``tenancy.throttle``); here they do not authenticate either. So the client and secret checked
        are the ones the throttle counts and the ones a legacy hash is upgraded with (issue 19
        M3, L3)."""
        body = {"client_id": request.client_id, "client_secret": request.client_secret}
        if second_method(request.headers, body) is not None:
            return False
        basic = basic_credentials(request.headers)
        if basic is not None:
            authenticated, secret = compat.authenticate_basic_auth(self, request), basic.client_secret
        else:
            authenticated = compat.authenticate_request_body(self, request)
            secret = request.client_secret or ""
        if authenticated:
            hashing.upgrade(request.client, secret)
        return authenticated

    def _load_application(self, client_id: str, request: OAuthlibRequest) -> Application | None:
        """The base library's client lookup (every validator method that needs the client goes
        through it), except for a client ID metadata document URL: that client is the host
        organization's row for the URL, fetched as its policy allows (``registration.documents``).
        The base library's own resolution is global (one row per URL for all organizations)."""
        if not is_metadata_document_url(client_id):
            client: Application | None = super()._load_application(client_id, request)
            return client
        loaded: Application | None = request.client
        if loaded is not None and loaded.client_id == client_id and loaded.is_usable(request):
            return loaded
        organization = organization_of(request)
        found = documents.client_for(client_id, organization, request) if organization else None
        usable = found if found is not None and found.is_usable(request) else None
        request.client = usable  # type: ignore[assignment]  # oauthlib's attribute: None until found
        return usable

    def _extract_basic_auth(self, request: OAuthlibRequest) -> str | None:
        # One parser for the Authorization header (http_auth): the scheme is case-insensitive
        # (RFC 7235 §2.1) for client authentication exactly as for the throttle.
        scheme, credentials = authorization(request.headers)
        return credentials if scheme == "basic" else None

    # --- authorization endpoint ---------------------------------------------------------------

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Application,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        # RFC 6749 §3.3: with no scope requested and no default configured, fail rather than
        # issue a token that can do nothing. Both errors say which scopes are the problem.
        if not scopes:
            raise errors.InvalidScopeError(description=_("No scope requested."), request=request)
        if "openid" in scopes and not client.algorithm:
            # No signing algorithm, no ID token (the base library would fail with a 500).
            raise errors.InvalidScopeError(
                description=_("This application is not set up for OpenID Connect."), request=request
            )
        refused = sorted(set(scopes) - allowed_scope_names(client))
        if refused:
            description = _("Scopes not allowed for this application: %(scopes)s.") % {
                "scopes": " ".join(refused)
            }
            raise errors.InvalidScopeError(description=description, request=request)
        return True

    def save_authorization_code(
        self, client_id: str, code: dict[str, str], request: OAuthlibRequest, *args: object, **kwargs: object
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

    def get_default_redirect_uri(
        self, client_id: str, request: OAuthlibRequest, *args: object, **kwargs: object
    ) -> None:
        # No default: every authorization request names its redirect_uri (as Doorkeeper and
        # Keycloak require; OIDC Core §3.1.2.1 always does), so every token request must repeat
        # it (RFC 6749 §4.1.3). oauthlib answers a missing one with invalid_request, and at the
        # authorization endpoint never redirects (§4.1.2.1).
        return None

    def is_pkce_required(self, client_id: str, request: OAuthlibRequest) -> bool:
        # request.client is loaded by validate_client_id before oauthlib asks (RFC 7636 §4.4.1).
        if oauth_settings.PKCE_REQUIRED_FOR == "all":
            return True
        client = request.client
        return client is None or client.client_type == client.CLIENT_PUBLIC

    # --- token endpoint -----------------------------------------------------------------------

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: Application | None,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        if self.code_is_valid(code, client, request):
            if request.code_verifier and not self.get_code_challenge(code, request):
                # RFC 9700 §4.8.2: a code_verifier for a code issued without a code_challenge
                # is a PKCE downgrade attempt.
                raise errors.InvalidGrantError(
                    description=_("code_verifier sent, but the authorization request had no code_challenge."),
                    request=request,
                )
            return self.still_a_member(request.user, request)
        # The ORM (the django-stubs plugin) wants the model class, of which Application is the
        # Protocol.
        use = AuthorizationCodeUse.objects.filter(
            code_checksum=checksum(code), application=cast("ApplicationModel | None", client)
        ).first()
        if use is not None and client is not None:  # a use always names its client
            # RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            revoke(
                organization=client.organization_id,
                access_tokens=get_access_token_model().objects.filter(
                    token_checksum=use.access_token_checksum
                ),
                # revoke() revokes the whole rotation family of this first refresh token.
                refresh_tokens=get_refresh_token_model().objects.filter(
                    token_checksum=use.refresh_token_checksum
                ),
                actor_type=Actor.SYSTEM,
                application=client,
                request=request,
                reason="authorization code replayed",
            )
            record(
                Event.CODE_REPLAYED,
                organization=client.organization_id,
                actor_type=Actor.CLIENT,
                application=client,
                request=request,
            )
        return False

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Application,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        allowed: bool = super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        if allowed and grant_type == device.GRANT_TYPE:
            # RFC 8628 §3.5, once the client is authenticated (§3.4): the state of its own device
            # grant at this organization. The view answered public clients already
            # (tokens.device.poll_refusal); this is the answer for confidential ones, and the
            # check of record for every client.
            code = device.device_code_of(request)
            organization = organization_of(request)
            state = device.poll_state(code, client.client_id, organization) if organization else None
            refused = device.refusal(state, timezone.now())
            if refused is not None:
                error, description = refused
                raise errors.CustomOAuth2Error(error=error, description=description, request=request)
        return allowed

    def validate_refresh_token(
        self,
        refresh_token: str,
        client: Application,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        """A live refresh token is checked in one query: the token with its user and access
        token, when its rotation family began and, when the adapter can say it in SQL, whether
        its user is a member. RFC 9700 §4.14.2: it expires when idle, and a sign-in does not
        outlive the absolute limit however often it is refreshed (``tokens.refresh_expiry``, which
        includes the base library's own rule). Any other token is unknown, or one of the
        client's own rotated or revoked tokens: a duplicate or reuse (``tokens.refresh_reuse``)."""
        live = self.live_refresh_token(refresh_token, request)
        if live is None:
            # oauthlib has authenticated the client (or identified a public one) by now: reuse
            # detection runs on the word of the token's own client only (issue 19 M4).
            revoked = refresh_reuse.revoked_token(refresh_token, client)
            if revoked is None:
                return False
            if refresh_reuse.is_duplicate(revoked, timezone.now()):
                raise self.already_used(request)
            refresh_reuse.revoke_family(revoked, request)
            return False
        token, family_started, member = live
        if token.application_id != client.pk:
            return False
        token.application = client
        if refresh_expiry.is_expired(token, family_started, timezone.now()):
            return False
        organization = organization_of(request)
        if member is not None and organization is not None:  # none without one (live_refresh_token)
            get_adapter().remember_membership(token.user, organization, member)
        self.still_a_member(token.user, request)
        # As the base library does: the presented value, not the stored (hashed) one.
        request.user, request.refresh_token, request.refresh_token_instance = token.user, refresh_token, token
        return True

    def live_refresh_token(
        self, value: str, request: OAuthlibRequest
    ) -> tuple[RefreshToken, datetime, bool | None] | None:
        """The unrevoked refresh token for ``value``, when its family began, and whether its
        user is a member (None when the adapter cannot say it in SQL): one query."""
        rows = refresh_expiry.with_family_start(
            get_refresh_token_model()
            .objects.filter(token_checksum=checksum(value), revoked__isnull=True)
            .select_related("user", "access_token")
        )
        organization = organization_of(request)
        membership = get_adapter().membership_subquery(organization) if organization is not None else None
        if membership is not None:
            rows = rows.annotate(member=membership)
        token: RefreshToken | None = rows.first()
        if token is None:
            return None
        started = getattr(token, refresh_expiry.FAMILY_STARTED) or token.created
        return token, started, getattr(token, "member", None)

    @staticmethod
    def already_used(request: OAuthlibRequest) -> errors.InvalidGrantError:
        return errors.InvalidGrantError(
            description=_("The refresh token was already used or revoked."), request=request
        )

    def still_a_member(self, user: User | None, request: OAuthlibRequest) -> bool:
        """A grant made by a user mints tokens only while the user is an active member (or
        superuser) of the organization: the same rule as ``tokens.check`` (RFC 6749 §5.2)."""
        organization = organization_of(request)
        if user is None or organization is None or not get_adapter().is_member(user, organization):
            raise errors.InvalidGrantError(
                description=_("The user is no longer an active member of this organization."), request=request
            )
        return True

    def validate_user(
        self,
        username: str,
        password: str,
        client: Application,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        # Password grant (RFC 6749 §4.3): same rule as the consent screen, members only.
        organization = organization_of(request)
        return (
            super().validate_user(username, password, client, request, *args, **kwargs)
            and organization is not None
            # The base library's validate_user has set the user when it returns True.
            and get_adapter().is_member(cast("User", request.user), organization)
        )

    def save_bearer_token(
        self, token: OAuthlibToken, request: OAuthlibRequest, *args: object, **kwargs: object
    ) -> None:
        # One transaction: a refused step (a code claimed concurrently, nothing grantable)
        # leaves no token behind.
        with transaction.atomic():
            self._save_with_bookkeeping(token, request, *args, **kwargs)

    def _save_with_bookkeeping(
        self, token: OAuthlibToken, request: OAuthlibRequest, *args: object, **kwargs: object
    ) -> None:
        client = request.client
        previous: RefreshToken | None = getattr(request, "refresh_token_instance", None)
        refreshed = request.grant_type == "refresh_token" and previous is not None
        if refreshed and not self.rotates(token, request):
            self.lock_refresh_token(cast("RefreshToken", previous), request)  # refreshed: not None
        if request.grant_type == device.GRANT_TYPE:
            self.claim_device_code(request)
        if request.grant_type in ("password", device.GRANT_TYPE):
            # No consent screen (password), or a consent given minutes ago (device): grant
            # only what the user holds now (the response says so, RFC 6749 §5.1).
            request.scopes = grantable_scopes(request.user, organization_of(request), client, request.scopes)
            if not request.scopes:
                raise errors.InvalidScopeError(
                    description=_("No requested scope can be granted."), request=request
                )
            token["scope"] = " ".join(request.scopes)
        # The base library's save_bearer_token is this call in a transaction of its own: ours
        # already is one, so no savepoint.
        self._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code":
            # After the base library has read the code's RFC 8707 resources (a token request
            # without `resource` inherits them, §2.2), still before the commit.
            self.claim_code(request, token)
        now = timezone.now()
        if client.last_used is None or now - client.last_used > LAST_USED_RESOLUTION:
            # "Last used" is shown to the minute: not a write on every token request.
            type(client).objects.filter(pk=client.pk).update(last_used=now)
        record(
            Event.TOKEN_REFRESHED if request.grant_type == "refresh_token" else Event.TOKEN_ISSUED,
            organization=client.organization_id,
            actor_type=Actor.CLIENT,
            application=client,
            subject=request.user,
            request=request,
            grant_type=request.grant_type or "implicit",
            scope=token.get("scope", ""),
        )

    def claim_code(self, request: OAuthlibRequest, token: OAuthlibToken) -> None:
        """Spend the code in the transaction that mints its tokens: the deletion serializes two
        concurrent exchanges (the second waits on the row, deletes nothing, and rolls back its
        tokens with invalid_grant, RFC 6749 §4.1.2). What remains is a record naming the tokens
        minted, for a replay to revoke (and a unique row, should two exchanges ever pass the
        deletion)."""
        spent, _count = (
            get_grant_model().objects.filter(code=request.code, application=request.client).delete()
        )
        if not spent:  # a concurrent exchange deleted it first (the row lock serialized us)
            raise errors.InvalidGrantError(
                description=_("The authorization code was already used."), request=request
            )
        request.perscom_code_spent = True
        try:
            # No savepoint: an IntegrityError ends this transaction anyway (raised below).
            AuthorizationCodeUse.objects.create(
                code_checksum=checksum(request.code),
                application=cast("ApplicationModel", request.client),  # the model, for the ORM
                access_token_checksum=checksum(token["access_token"]),
                refresh_token_checksum=checksum(token["refresh_token"]) if token.get("refresh_token") else "",
            )
        except IntegrityError:
            raise errors.InvalidGrantError(
                description=_("The authorization code was already used."), request=request
            ) from None

    def claim_device_code(self, request: OAuthlibRequest) -> None:
        """RFC 8628 §3.5: a device code gives tokens once, to its own client, while its user is
        still a member (deleted in this transaction: ``tokens.device.claim``)."""
        code = device.device_code_of(request)
        if not device.claim(code, request.client):
            raise errors.InvalidGrantError(
                description=_("The device code was already used, or is no longer valid."), request=request
            )
        self.still_a_member(request.user, request)

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: OAuthlibRequest, *args: object, **kwargs: object
    ) -> None:
        # Already spent by claim_code, inside the transaction that minted the tokens.
        if not getattr(request, "perscom_code_spent", False):
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    def rotates(self, token: OAuthlibToken, request: OAuthlibRequest) -> bool:
        return bool(token.get("refresh_token")) and self.rotate_refresh_token(request) and "scope" in token

    def _save_bearer_token(
        self, token: OAuthlibToken, request: OAuthlibRequest, *args: object, **kwargs: object
    ) -> None:
        """A rotation (RFC 6749 §6) in four statements, instead of the base library's
        thirteen: the used refresh token retired (``retire_refresh_token``), then the new
        pair inserted by the base library's own helpers. Every other save is the base
        library's."""
        previous: RefreshToken | None = getattr(request, "refresh_token_instance", None)
        if request.grant_type != "refresh_token" or previous is None or not self.rotates(token, request):
            compat.save_bearer_token(self, token, request)
            return
        compat.check_and_set_request_resource(self, request)  # RFC 8707, as the base library does
        seconds = token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        expires = timezone.now() + timedelta(seconds=seconds)
        self.retire_refresh_token(previous, request)
        access_token = compat.create_access_token(self, expires, request, token, previous)
        compat.create_refresh_token(self, request, token["refresh_token"], access_token, previous)
        request.refresh_token_instance = None

    def retire_refresh_token(self, previous: RefreshToken, request: OAuthlibRequest) -> None:
        """Revoke the refresh token being used and delete its access token, unless another
        request rotated or revoked it since it was validated: then invalid_grant (RFC 6749
        §5.2). The revoking UPDATE is the row lock and the check at once, so concurrent
        refreshes of one token hand out exactly one pair (issue 13); it locks the refresh
        token before the access token, the order ``tokens.revocation.revoke`` keeps too.

        A token rotated within REFRESH_TOKEN_DUPLICATE_SECONDS and presented again is the
        client's own duplicate (two tabs, a retry), refused (``tokens.refresh_reuse``), and the family
        it rotated into stays live. A pair that was minted and lost cannot be sent again
        (tokens are stored as checksums): the client signs in again. After that window, a
        repeat is reuse and its family is revoked (RFC 9700 §4.14.2)."""
        if not retire_rotated(previous):
            raise self.already_used(request)

    def lock_refresh_token(self, previous: RefreshToken, request: OAuthlibRequest) -> None:
        """Without rotation (ROTATE_REFRESH_TOKEN off) the base library updates the pair in
        place: lock the refresh token first, and refuse it if it was revoked meanwhile."""
        current = (
            get_refresh_token_model()
            .objects.select_for_update()
            .filter(pk=previous.pk)
            .values_list("revoked", flat=True)
        )
        if list(current) != [None]:
            raise self.already_used(request)

    # --- revocation endpoint ------------------------------------------------------------------

    def revoke_token(
        self,
        token: str,
        token_type_hint: str | None,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> None:
        # RFC 7009 §2.1: only tokens issued to the authenticated client; both kinds are looked
        # up (the hint is only an optimisation), and an unknown token is not an error (§2.2).
        client = request.client
        if getattr(client, "pk", None) is None:
            return
        lookup = {"token_checksum": checksum(token), "application": client}
        revoke(
            organization=client.organization_id,
            access_tokens=get_access_token_model().objects.filter(**lookup),
            refresh_tokens=get_refresh_token_model().objects.filter(**lookup),
            actor_type=Actor.CLIENT,
            application=client,
            request=request,
            reason="RFC 7009",
        )
