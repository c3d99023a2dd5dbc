"""DRF exception handler adding the RFC 6750 §3.1 challenge to insufficient-scope 403s: the twin
of ``perscom_oauth.contrib.rest_framework.exception_handler``."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from .check import bearer_challenge
from .permissions import INSUFFICIENT_SCOPE


# Any: DRF's exception-handler context (``rest_framework.views.exception_handler``'s stub).
def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Set as ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``; wraps DRF's default handler."""
    # Imported here: rest_framework.views imports the authentication classes named in settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    request = context.get("request")
    django_request = getattr(request, "_request", None)
    required = getattr(django_request, INSUFFICIENT_SCOPE, None)
    if response is not None and django_request is not None and response.status_code == 403 and required:
        error = {"error": "insufficient_scope", "scope": " ".join(required)}
        response["WWW-Authenticate"] = bearer_challenge(django_request, error)
    return response
