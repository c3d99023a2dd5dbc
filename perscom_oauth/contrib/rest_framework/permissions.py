"""Protect DRF endpoints by scope, in one line: ``permission_classes = [ScopePermissions]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ...effective_scopes import member_scopes
from ...tenancy import organization_for_request

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from rest_framework.views import APIView

#: Recorded on the Django request when a token lacks a scope; ``exception_handler`` turns it
#: into the RFC 6750 §3.1 ``WWW-Authenticate`` challenge of the 403.
INSUFFICIENT_SCOPE = "perscom_oauth_insufficient_scope"


class ScopePermissions(BasePermission):
    """Like DRF's ``DjangoModelPermissions``, for scopes.

    The scopes a request needs come from the view, in this order:

    1. ``view.required_scopes``: a list (every method), or a dict keyed by action name
       (viewsets: ``"list"``, ``"retrieve"``, custom actions) or by HTTP method.
    2. Otherwise ``scopes_map[method]`` formatted with the model of ``view.queryset`` (or
       ``get_queryset()``): GET/HEAD/OPTIONS need ``view:<model>``, POST ``create:``,
       PUT/PATCH ``update:``, DELETE ``delete:``. Subclass and change ``scopes_map`` to alter it.

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

    def has_permission(self, request: Request, view: APIView) -> bool:
        required = self.get_required_scopes(request, view)
        token = request.auth
        if hasattr(token, "effective_scopes"):
            missing = sorted(set(required) - token.effective_scopes)
            if missing:
                setattr(request._request, INSUFFICIENT_SCOPE, required)
            return not missing
        user = request.user
        if not (user and user.is_authenticated):
            return False
        held = member_scopes(user, organization_for_request(request._request))
        return held is not None and set(required) <= held

    def get_required_scopes(self, request: Request, view: APIView) -> list[str]:
        declared = getattr(view, "required_scopes", None)
        if isinstance(declared, dict):
            action = getattr(view, "action", None)
            key = action if action in declared else request.method
            if key not in declared:
                raise ImproperlyConfigured(
                    f"{type(view).__name__}.required_scopes has no entry for action {action!r} or method "
                    f"{request.method!r}."
                )
            return list(declared[key])
        if declared is not None:
            return list(declared)
        if request.method not in self.scopes_map:
            return []  # an unknown method: the view answers 405
        model = self.get_model(view)
        return [scope % {"model_name": model._meta.model_name} for scope in self.scopes_map[request.method]]

    def get_model(self, view: APIView) -> type[Model]:
        queryset: QuerySet[Model] | None = getattr(view, "queryset", None)
        if queryset is None and hasattr(view, "get_queryset"):
            queryset = view.get_queryset()
        if queryset is None:
            raise ImproperlyConfigured(
                f"ScopePermissions on {type(view).__name__} needs a .queryset, a .get_queryset() or "
                "a .required_scopes to know which scopes to require."
            )
        return queryset.model
