"""Names for the types perscom-oauth passes around, for annotations only.

Everything here is imported under ``if TYPE_CHECKING:``: nothing in this module exists at run
time, so importing it loads no model and no third-party module (it is safe in modules that
load before the app registry is ready).

- ``User``: the host's user model (``AUTH_USER_MODEL``), typed as the model of the settings
  mypy runs with (Django's ``User``), as the django-stubs plugin types its foreign keys.
  perscom-oauth reads ``is_active``, ``is_staff``, ``is_superuser`` and
  ``get_all_permissions()``: the interface of Django's ``AbstractUser``.
- ``Organization``: the swappable organization model (``PERSCOM_OAUTH_ORGANIZATION_MODEL``),
  typed as the default model, as the django-stubs plugin types the swappable foreign keys. A
  host model with other fields overrides the adapter methods that read them.
- ``Application``, ``Grant``: perscom-oauth's own swapped-in models.
- ``AccessToken``, ``RefreshToken``, ``IDToken``: django-oauth-toolkit's abstract models;
  ``Credential``: any of them, or a ``Grant`` (the admin's token pages).
  django-oauth-toolkit ships no type information, so to mypy these are ``Any``: the names
  document the value, they cannot check it.
- ``Fieldset``, ``FieldsetSpec``, ``FieldNames``: the admin's fieldsets and field lists, as
  django-stubs types them.
- ``OAuthlibRequest``: oauthlib's request object (also untyped, so ``Any`` to mypy); the
  attributes perscom-oauth carries on it are ``carried``'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.contrib.admin.options import _FieldOpts, _FieldsetSpec
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as _User
    from django.utils.datastructures import _ListOrTuple
    from django_stubs_ext import StrOrPromise
    from oauth2_provider.models import AbstractAccessToken, AbstractIDToken, AbstractRefreshToken
    from oauthlib.common import Request

    from .models import Application as _Application
    from .models import Grant as _Grant
    from .models import Organization as _Organization

    User: TypeAlias = _User
    #: ``request.user``: a signed-in user or the anonymous one.
    AnyUser: TypeAlias = _User | AnonymousUser
    Organization: TypeAlias = _Organization
    Application: TypeAlias = _Application
    Grant: TypeAlias = _Grant
    AccessToken: TypeAlias = AbstractAccessToken
    RefreshToken: TypeAlias = AbstractRefreshToken
    IDToken: TypeAlias = AbstractIDToken
    Credential: TypeAlias = AbstractAccessToken | AbstractRefreshToken | _Grant | AbstractIDToken
    OAuthlibRequest: TypeAlias = Request
    Fieldset: TypeAlias = tuple[StrOrPromise | None, _FieldOpts]
    FieldsetSpec: TypeAlias = _FieldsetSpec
    FieldNames: TypeAlias = _ListOrTuple[str]
