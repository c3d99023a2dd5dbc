"""Protect DRF endpoints by scope, in one line: ``permission_classes = [ScopePermissions]``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request

from ...required_scopes import RequiredScopes
from ...scopes.effective import member_scopes
from ...tenancy.hosts import organization_for_request

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

#: Recorded on the Django request when a token lacks a scope; ``exception_handler`` turns it
#: into the RFC 6750 §3.1 ``WWW-Authenticate`` challenge of the 403.
INSUFFICIENT_SCOPE = "perscom_oauth_insufficient_scope"


class ScopePermissions(RequiredScopes):
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
