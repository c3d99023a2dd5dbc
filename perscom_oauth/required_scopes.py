"""Which scopes a DRF view requires: the rules ``ScopePermissions`` applies, in process
(``contrib.rest_framework``) and on a separate service (``remote``) alike, written once.

Imports Django REST framework and nothing of the package, so a service without our apps can
import it (import-linter's ``remote-stands-alone``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from rest_framework.views import APIView


class RequiredScopes(BasePermission):
    """The scopes a request needs, from its view (the subclasses' docstrings list the rules);
    ``has_permission`` is the subclass's: who holds them."""

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
