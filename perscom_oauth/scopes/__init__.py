"""Scopes are permissions: ``view:user`` is ``auth.view_user``.

Owns: ``registry`` (the scopes every model's permissions expose, and
``PermissionScopes``, django-oauth-toolkit's ``SCOPES_BACKEND_CLASS``) and ``effective`` (what a
user, an application and a token may do now: the intersection, never more than the user holds).

Must not: cache what a user holds across requests (``cache`` does, tagged); the registry imports
no models, which read it.
"""

from .registry import ALL_SCOPES, PermissionScopes, codename_for_scope, scope_for_codename

__all__ = ["ALL_SCOPES", "PermissionScopes", "codename_for_scope", "scope_for_codename"]
