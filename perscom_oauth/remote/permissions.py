"""``ScopePermissions`` for a service that checks tokens by introspection: the in-process class's
rules for which scopes a request needs (``required_scopes.RequiredScopes``, shared), against the
introspected token's scopes.

The in-process class (``perscom_oauth.contrib.rest_framework.ScopePermissions``) also lets a
signed-in member of the organization through, which needs the authorization server's database;
here only a bearer token can pass. tests/test_remote_permissions.py holds the two to the same
required scopes for every rule (a subclass may still change them).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request

from ..required_scopes import RequiredScopes
from .check import RemoteToken

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

#: Recorded on the Django request when a token lacks a scope; ``exception_handler`` turns it
#: into the RFC 6750 §3.1 ``WWW-Authenticate`` challenge of the 403.
INSUFFICIENT_SCOPE = "perscom_oauth_remote_insufficient_scope"


class ScopePermissions(RequiredScopes):
    """The request's bearer token (``IntrospectionAuthentication``) may do all the scopes the view
    requires; which ones, the in-process class's rules decide, in this order:

    1. ``view.required_scopes`` as a list: those, for every method (``[]``: any valid token).
    2. ``view.required_scopes`` as a dict: the viewset action's entry, else the HTTP method's
       (HEAD and OPTIONS fall back to GET's). What the dict does not name goes on to 3.
    3. ``scopes_map[method]`` with the model of ``view.queryset``: ``view:<model>`` for
       GET/HEAD/OPTIONS, ``create:``, ``update:``, ``delete:``. A method it lacks: 405.
    4. ``index_views`` (DRF's API root): ``[]``.

    A view none of these covers is refused to everyone (403, an error logged). No token: 401.
    A token lacking a scope: 403 with ``insufficient_scope`` (set ``exception_handler``).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, RemoteToken):
            return False  # DRF answers 401 with the authenticators' challenge
        try:
            required = self.get_required_scopes(request, view)
        except ImproperlyConfigured as exc:
            logger.error("%s Refused with 403.", exc)
            self.message = self.undeclared_message
            return False
        if not token.allow_scopes(required):
            setattr(request._request, INSUFFICIENT_SCOPE, required)
            return False
        return True
