"""Protect DRF endpoints by scope, in one line: ``permission_classes = [ScopePermissions]``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ...scopes.effective import member_scopes
from ...tenancy.hosts import organization_for_request

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

#: Recorded on the Django request when a token lacks a scope; ``exception_handler`` turns it
#: into the RFC 6750 §3.1 ``WWW-Authenticate`` challenge of the 403.
INSUFFICIENT_SCOPE = "perscom_oauth_insufficient_scope"


class ScopePermissions(BasePermission):
    """Like DRF's ``DjangoModelPermissions``, for scopes.

    The scopes a request needs come from the view, in this order:

    1. ``view.required_scopes`` as a list: those, for every method (``[]``: any valid token or
       signed-in member, no scope).
    2. ``view.required_scopes`` as a dict: the entry of the viewset action (``"list"``,
       ``"retrieve"``, a custom action), else of the HTTP method (HEAD and OPTIONS fall back to
       GET's entry). A method or action the dict does not name goes on to 3.
    3. ``scopes_map[method]`` formatted with the model of ``view.queryset`` (or
       ``get_queryset()``): GET/HEAD/OPTIONS need ``view:<model>``, POST ``create:``,
       PUT/PATCH ``update:``, DELETE ``delete:``. Subclass and change ``scopes_map`` to alter it.
       A method it does not list (TRACE, a custom one) is refused: 405, never let through.
    4. Views listed in ``index_views`` (DRF's ``DefaultRouter`` API root): ``[]``, a page of
       links with no data of its own.

    A view none of these covers (no model, no ``required_scopes``) is refused to everyone with
    a 403 that says so, and an error is logged naming the view: fail closed, never a 500.

    A bearer-token request passes when the token's *effective* scopes (granted, still allowed
    to the application, still held by the user) include them all. A session request passes when
    the user holds the matching permissions in the request's organization. Anonymous requests
    fail (401). Compose with ``&``, ``|`` and ``~`` like any DRF permission.
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

    #: Views (dotted paths of classes, subclasses included) that need an authenticated caller
    #: and no scope, as if they declared ``required_scopes = []``. DRF's API root only lists the
    #: router's URLs. Extend in a subclass, or set ``required_scopes`` on your own view.
    index_views: tuple[str, ...] = ("rest_framework.routers.APIRootView",)

    #: The 403's detail for a view that declares no scopes (logged with the view's name).
    undeclared_message = _(
        "This endpoint declares no scopes, so it is refused to every caller. "
        "Its developer must set required_scopes or a queryset on the view."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        # Any: DRF's request.auth, whatever the authenticator returned (an AccessToken from
        # ours): asked for effective_scopes, never trusted to have them.
        token = request.auth
        user = request.user
        if not hasattr(token, "effective_scopes") and not (user and user.is_authenticated):
            return False  # DRF answers 401 with the authenticators' challenge
        try:
            required = self.get_required_scopes(request, view)
        except ImproperlyConfigured as exc:
            logger.error("%s Refused with 403.", exc)
            self.message = self.undeclared_message
            return False
        if hasattr(token, "effective_scopes"):
            missing = sorted(set(required) - token.effective_scopes)
            if missing:
                setattr(request._request, INSUFFICIENT_SCOPE, required)
            return not missing
        if not user.is_authenticated:
            return False
        held = member_scopes(user, organization_for_request(request._request))
        return held is not None and set(required) <= held

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
