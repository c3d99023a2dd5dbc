"""A request's bearer token, checked by introspection: the one place the remote classes decide.

``check_bearer_request`` answers what ``tokens.check.check_bearer_request`` answers in the
authorization server's own process: None without a bearer token, a ``Refusal`` (RFC 6750 §3.1
``invalid_token``), or the token for ``request.auth``, here a ``RemoteToken``. It raises
``Unavailable`` when the authorization server cannot answer: never a pass.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ..http import challenges
from ..http.challenges import Refusal
from ..http.headers import bearer_token
from .audience import allows
from .conf import ServerConfig, config_for_request
from .introspection import Inactive, Introspection, Unavailable, introspect

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import HttpRequest

__all__ = ["Refusal", "RemoteToken", "RemoteUser", "Unavailable", "bearer_challenge", "check_bearer_request"]

#: The realm of every challenge, as the in-process classes send it.
REALM = "api"


@dataclass(frozen=True)
class RemoteUser:
    """The token's user as the authorization server names them: not a row of this service.
    Override ``IntrospectionAuthentication.get_user`` to map them to your own users."""

    username: str
    organization: str | None

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username


@dataclass(frozen=True)
class RemoteToken:
    """``request.auth``: what the in-process ``AccessToken`` tells a view, as introspected.

    ``effective_scopes`` is what the token may do now (introspection's ``scope``), the attribute
    ``ScopePermissions`` reads in both processes; ``resource`` its RFC 8707 audiences."""

    client_id: str
    effective_scopes: frozenset[str]
    expires: datetime.datetime
    username: str | None
    organization: str | None
    resource: tuple[str, ...]
    authorization_server: str

    @classmethod
    def of(cls, answer: Introspection, config: ServerConfig) -> RemoteToken:
        return cls(
            client_id=answer.client_id,
            effective_scopes=frozenset(answer.scope),
            expires=datetime.datetime.fromtimestamp(answer.exp, tz=datetime.UTC),
            username=answer.username,
            organization=answer.organization,
            resource=answer.aud,
            authorization_server=config.authorization_server,
        )

    @property
    def scope(self) -> str:
        return " ".join(sorted(self.effective_scopes))

    @property
    def user(self) -> RemoteUser | None:
        """The resource owner; None for a machine-to-machine token (client credentials)."""
        return None if self.username is None else RemoteUser(self.username, self.organization)

    def allow_scopes(self, scopes: Iterable[str]) -> bool:
        return set(scopes) <= self.effective_scopes

    def is_expired(self) -> bool:
        return self.expires <= datetime.datetime.now(tz=datetime.UTC)


def check_bearer_request(request: HttpRequest) -> RemoteToken | Refusal | None:
    """The bearer token of ``Authorization: Bearer`` (RFC 6750 §2.1, the only transport) as the
    organization of the request's host describes it now. Raises ``Unavailable``."""
    value = bearer_token(request.headers)
    if value is None:
        return None
    config = config_for_request(request)
    if config is None:
        return Refusal(_("No authorization server is configured for this host."))
    if not value:
        return Refusal(_("The access token is invalid."))
    answer = introspect(config, value)
    if isinstance(answer, Inactive):
        # RFC 7662 §2.2 says no more: unknown, expired, revoked, suspended or not a member.
        return Refusal(answer.reason or _("The access token is invalid or has expired."))
    if not _audience_allowed(request, config, answer.aud):
        return Refusal(_("The access token is not valid for this resource."))
    return RemoteToken.of(answer, config)


def _audience_allowed(request: HttpRequest, config: ServerConfig, audiences: tuple[str, ...]) -> bool:
    if not audiences:
        return not config.require_audience
    resource = config.resource or request.build_absolute_uri().split("?")[0]
    return allows(resource, audiences)


def bearer_challenge(request: HttpRequest, error: dict[str, str] | None = None) -> str:
    """RFC 6750 §3, built by ``perscom_oauth.http.challenges`` as in process, naming the
    service's own RFC 9728 document (``RESOURCE_METADATA_URL``) when it has one."""
    try:
        config = config_for_request(request)
    except ImproperlyConfigured:  # the challenge is still owed; the system check names the fault
        config = None
    metadata = config.resource_metadata_url if config is not None else None
    return challenges.bearer_challenge(request, error, realm=REALM, metadata_url=metadata)
