"""Names for the types perscom-oauth passes around, for annotations only.

Everything here is defined under ``if TYPE_CHECKING:``: nothing in this module exists at run
time, so importing it loads no model and no third-party module (it is safe in modules that
load before the app registry is ready).

- ``User``: the host's user model (``AUTH_USER_MODEL``), typed as the model of the settings
  mypy runs with (Django's ``User``), as the django-stubs plugin types its foreign keys.
  perscom-oauth reads ``is_active``, ``is_staff``, ``is_superuser`` and
  ``get_all_permissions()``: the interface of Django's ``AbstractUser``.
- ``Organization``: the swappable organization model (``PERSCOM_OAUTH_ORGANIZATION_MODEL``),
  typed as the default model, as the django-stubs plugin types the swappable foreign keys. A
  host model with other fields overrides the adapter methods that read them.
- ``Grant``: perscom-oauth's own swapped-in model.
- ``AccessToken``, ``RefreshToken``, ``IDToken``, ``Application``, ``OAuthlibRequest``:
  ``Protocol`` classes listing exactly the attributes and methods perscom-oauth reads and
  writes, with their types (read from django-oauth-toolkit's models and oauthlib's
  ``Request``). django-oauth-toolkit and oauthlib ship no type information, so the values they
  hand us (``get_access_token_model().objects...first()``, the request a validator method
  receives) are ``Any``, which mypy accepts for any Protocol; our own ``Application`` model
  satisfies its Protocol structurally (its base-library fields are ``Any`` too). What mypy
  checks is every use in our code: a misspelt attribute, a ``datetime`` used as an ``int``, a
  ``None`` not handled where the Protocol says it can be (``tests/test_typing_checks.py``
  shows mypy reporting each). What nothing checks is the Protocols against the base library
  itself: an attribute it renamed in a new release passes mypy and fails in the tests.
- ``OAuthlibToken``: the token dict oauthlib builds and the validator saves.
- ``ApplicationModel``: our ``Application`` model class, where the ORM wants it (the
  django-stubs plugin checks a foreign key's value against the model class).
- ``AccessTokenModel``, ``RefreshTokenModel``, ``IDTokenModel``: the base library's (untyped)
  model classes, for ``QuerySet[...]``, whose row type must be a ``Model``, which a Protocol
  cannot be; ``Credential``: a row of any of them, or a ``Grant`` (the admin's token pages).
  To mypy these are ``Any``, as are the base library's fields of ``Grant``.
- ``Fieldset``, ``FieldsetSpec``, ``FieldNames``: the admin's fieldsets and field lists, as
  django-stubs types them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Mapping
    from datetime import datetime
    from typing import ClassVar, Protocol, TypeAlias, TypedDict

    from django.contrib.admin.options import _FieldOpts, _FieldsetSpec
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as _User
    from django.db.models import Manager
    from django.db.models.base import ModelState
    from django.utils.datastructures import _ListOrTuple
    from django_stubs_ext import StrOrPromise
    from jwcrypto.jwk import JWK
    from oauth2_provider.models import (
        AbstractAccessToken,
        AbstractApplication,
        AbstractIDToken,
        AbstractRefreshToken,
    )

    from .models import Application as _Application
    from .models import Grant as _Grant
    from .models import Organization as _Organization

    User: TypeAlias = _User
    #: ``request.user``: a signed-in user or the anonymous one.
    AnyUser: TypeAlias = _User | AnonymousUser
    Organization: TypeAlias = _Organization
    Grant: TypeAlias = _Grant

    class Application(Protocol):
        """perscom-oauth's ``Application`` model (``OAUTH2_PROVIDER_APPLICATION_MODEL``): the
        base library's fields it reads, and ours. Read-only where our code only reads."""

        CLIENT_CONFIDENTIAL: ClassVar[str]
        CLIENT_PUBLIC: ClassVar[str]
        RS256_ALGORITHM: ClassVar[str]
        Review: ClassVar[type[_Application.Review]]
        RegistrationSource: ClassVar[type[AbstractApplication.RegistrationSource]]
        objects: ClassVar[Manager[_Application]]
        # The base library's fields.
        client_id: str
        client_type: str
        authorization_grant_type: str
        client_secret: str
        hash_client_secret: bool
        name: str
        skip_authorization: bool
        redirect_uris: str
        post_logout_redirect_uris: str
        algorithm: str
        created: datetime
        updated: datetime
        registration_source: str
        cimd_expires_at: datetime | None
        # Ours (models.Application).
        organization: Organization
        enabled: bool
        allowed_scopes: str
        access_token_lifetime: int | None
        id_token_lifetime: int | None
        refresh_token_idle_lifetime: int | None
        refresh_token_absolute_lifetime: int | None
        last_used: datetime | None
        review: str
        metadata_fetched: datetime | None
        metadata_error: str

        @property
        def pk(self) -> int: ...
        @property
        def organization_id(self) -> int: ...
        @property
        def _state(self) -> ModelState: ...
        def redirect_uri_allowed(self, uri: str) -> bool: ...
        def post_logout_redirect_uri_allowed(self, uri: str) -> bool: ...
        def get_allowed_schemes(self) -> list[str]: ...
        def full_clean(self, exclude: Iterable[str] | None = None, validate_unique: bool = True) -> None: ...
        def is_usable(self, request: OAuthlibRequest) -> bool: ...
        #: The key that signs its ID tokens (``models.Application.jwk_key``): a jwcrypto JWK.
        @property
        def jwk_key(self) -> JWK: ...
        def save(self, *, update_fields: Iterable[str] | None = None) -> None: ...

    class AccessToken(Protocol):
        """An access token (``OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL``)."""

        token: str
        token_checksum: str
        #: RFC 8707: the resources (URIs) the token is for; empty: any.
        resource: list[str]
        expires: datetime
        scope: str
        created: datetime
        #: Set by ``tokens.check``: what the token may do now (``scopes.effective``).
        effective_scopes: frozenset[str]

        @property
        def pk(self) -> int: ...
        @property
        def user(self) -> User | None: ...
        @property
        def user_id(self) -> int | None: ...
        # Nullable in the base library's schema, but every token it mints has one, and every
        # token perscom-oauth honours was found through its application's organization.
        @property
        def application(self) -> Application: ...
        @property
        def application_id(self) -> int: ...
        @property
        def _state(self) -> ModelState: ...
        def is_expired(self) -> bool: ...
        def allows_audience(self, audience_uri: str) -> bool: ...

    class RefreshToken(Protocol):
        """A refresh token (``OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL``)."""

        token: str
        token_checksum: str
        created: datetime
        revoked: datetime | None
        #: The rotation family (RFC 9700 §4.14.2); None for rows from before families.
        token_family: uuid.UUID | None
        # Set to the client already loaded (the validator, ``tokens.refresh_reuse``).
        application: Application

        @property
        def pk(self) -> int: ...
        @property
        def user(self) -> User: ...
        @property
        def application_id(self) -> int: ...
        @property
        def access_token(self) -> AccessToken | None: ...
        @property
        def access_token_id(self) -> int | None: ...
        def revoke(self) -> None: ...

    class IDToken(Protocol):
        """An OpenID Connect ID token (``OAUTH2_PROVIDER_ID_TOKEN_MODEL``)."""

        jti: uuid.UUID
        expires: datetime
        scope: str

        @property
        def pk(self) -> int: ...
        @property
        def user(self) -> User | None: ...
        # Nullable in the schema; the base library always sets it.
        @property
        def application(self) -> Application: ...

    class OAuthlibRequest(Protocol):
        """oauthlib's ``Request`` as django-oauth-toolkit's validator receives it. oauthlib
        starts each OAuth parameter at None and fills it in before the validator method that
        reads it runs (``client`` once the client is authenticated or identified, ``user``
        once a grant or token has been validated): they are typed as perscom-oauth reads
        them. The ``perscom_*`` attributes and ``refresh_token_instance`` are our own (and the
        base library's) notes on the request."""

        uri: str
        http_method: str
        #: The HTTP headers (text). Our backend also carries objects in them, under keys no
        #: header can produce, read back only through ``carried``.
        headers: Mapping[str, str]
        body: str | None
        client: Application
        client_id: str | None
        client_secret: str | None
        user: User | None
        grant_type: str | None
        scopes: list[str]
        code: str
        code_verifier: str | None
        redirect_uri: str | None
        #: ``query`` or ``fragment`` as the client asked (OAuth 2.0 Multiple Response Types §2.1).
        response_mode: str | None
        max_age: str | None
        nonce: str | None
        claims: dict[str, object] | None
        access_token: AccessToken | None
        #: The ID token saved with a signed one (the base library's ``finalize_id_token``).
        id_token: IDToken | None
        #: The refresh token's value as presented (as the base library sets it).
        refresh_token: str | None
        #: The refresh token validated (the base library's name), until it is rotated.
        refresh_token_instance: RefreshToken | None
        #: An RFC 6750 §3.1 error for the challenge.
        oauth2_error: dict[str, str]
        #: ``tokens.grant_lookup``: the code and its ``Grant``, loaded once.
        perscom_grant: tuple[str, Grant | None]
        #: ``server.validator``: the code was spent by ``claim_code``.
        perscom_code_spent: bool

    class OAuthlibToken(TypedDict, total=False):
        """The token response oauthlib builds (``BearerToken.create_token``) and the validator
        saves; the base library adds the ID token."""

        access_token: str
        token_type: str
        expires_in: int
        scope: str
        refresh_token: str
        id_token: str
        state: str

    #: Our ``Application`` model, where the ORM (the django-stubs plugin) wants the model class.
    ApplicationModel: TypeAlias = _Application
    AccessTokenModel: TypeAlias = AbstractAccessToken
    RefreshTokenModel: TypeAlias = AbstractRefreshToken
    IDTokenModel: TypeAlias = AbstractIDToken
    Credential: TypeAlias = AbstractAccessToken | AbstractRefreshToken | _Grant | AbstractIDToken
    Fieldset: TypeAlias = tuple[StrOrPromise | None, _FieldOpts]
    FieldsetSpec: TypeAlias = _FieldsetSpec
    FieldNames: TypeAlias = _ListOrTuple[str]
