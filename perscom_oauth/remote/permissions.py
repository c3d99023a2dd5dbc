"""``ScopePermissions`` for a service that checks tokens by introspection: the in-process class's
rules for which scopes a request needs, against the introspected token's scopes.

The in-process class (``perscom_oauth.contrib.rest_framework.ScopePermissions``) also lets a
signed-in member of the organization through, which needs the authorization server's database;
here only a bearer token can pass. tests/test_remote_permissions.py holds the two to the same
required scopes for every rule.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .check import RemoteToken

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

#: Recorded on the Django request when a token lacks a scope; ``exception_handler`` turns it
#: into the RFC 6750 §3.1 ``WWW-Authenticate`` challenge of the 403.
INSUFFICIENT_SCOPE = "perscom_oauth_remote_insufficient_scope"


class ScopePermissions(BasePermission):
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

    scopes_map: dict[str, list[str]] = {
        "GET": ["view:%(model_name)s"],
        "OPTIONS": ["view:%(model_name)s"],
        "HEAD": ["view:%(model_name)s"],
        "POST": ["create:%(model_name)s"],
        "PUT": ["update:%(model_name)s"],
        "PATCH": ["update:%(model_name)s"],
        "DELETE": ["delete:%(model_name)s"],
    }

    #: Methods that read what another method's entry of a ``required_scopes`` dict protects.
    read_aliases: dict[str, str] = {"HEAD": "GET", "OPTIONS": "GET"}

    #: Views (dotted paths of classes, subclasses included) that need a token and no scope.
    index_views: tuple[str, ...] = ("rest_framework.routers.APIRootView",)

    undeclared_message = _(
        "This endpoint declares no scopes, so it is refused to every caller. "
        "Its developer must set required_scopes or a queryset on the view."
    )

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

    def get_required_scopes(self, request: Request, view: APIView) -> list[str]:
        """The scopes this request needs. Raises ``MethodNotAllowed`` for a method no rule
        covers and ``ImproperlyConfigured`` for a view that declares nothing to go by."""
        method = request.method or ""
        declared = getattr(view, "required_scopes", None)
        if isinstance(declared, dict):
            action = getattr(view, "action", None)
            for key in (action, method, self.read_aliases.get(method)):
                if key is not None and key in declared:
                    return list(declared[key])
        elif declared is not None:
            return list(declared)
        if self.is_index_view(view):
            return []
        if method not in self.scopes_map:
            raise MethodNotAllowed(method)
        model = self.get_model(view)
        return [scope % {"model_name": model._meta.model_name} for scope in self.scopes_map[method]]

    def is_index_view(self, view: APIView) -> bool:
        names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(view).__mro__}
        return not names.isdisjoint(self.index_views)

    def get_model(self, view: APIView) -> type[Model]:
        queryset: QuerySet[Model] | None = getattr(view, "queryset", None)
        if queryset is None and hasattr(view, "get_queryset"):
            try:
                queryset = view.get_queryset()
            except AssertionError:  # GenericAPIView's own, on a view without .queryset
                queryset = None
        if queryset is None:
            raise ImproperlyConfigured(
                f"ScopePermissions on {type(view).__name__} has no scopes to require: give the view "
                "a .queryset, a .get_queryset(), or a .required_scopes entry for this method or action."
            )
        return queryset.model
