"""A database outage answers 503 Service Unavailable with ``Retry-After``, not a 500.

Add ``"perscom_oauth.http.outage.DatabaseOutageMiddleware"`` to ``MIDDLEWARE`` (anywhere after
``SecurityMiddleware``). When a view fails because the database cannot be reached (a lost
connection, a refused one, a server shutting down: Django's ``OperationalError`` and
``InterfaceError``), the client is told to come back later:

- OAuth endpoints and the API get JSON, ``{"error": "temporarily_unavailable"}``, the error
  code RFC 6749 §4.1.2.1 defines for an authorization server that cannot answer now;
- other pages get a short text.

Nothing is half-done behind that answer: the token endpoint writes a pair, its code's spending
and its audit row in one transaction (``server.validator.save_bearer_token``), which a lost
connection rolls back. Every other database error still raises (a bug is a 500, and logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("perscom_oauth.outage")

#: Seconds a client is asked to wait (RFC 9110 §10.2.3): a failover or restart takes that long.
RETRY_AFTER_SECONDS = 5
#: Paths that answer JSON: the OAuth / OpenID endpoints, discovery and the API.
JSON_PREFIXES = ("/oauth/", "/.well-known/", "/api/")


def is_outage(exception: BaseException) -> bool:
    """A database that cannot be reached, not a query that is wrong (ProgrammingError,
    IntegrityError and DataError stay errors)."""
    return isinstance(exception, (OperationalError, InterfaceError))


def unavailable(request: HttpRequest) -> HttpResponse:
    description = _("The service is temporarily unavailable; retry later.")
    response: HttpResponse
    if request.path.startswith(JSON_PREFIXES) or "json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {"error": "temporarily_unavailable", "error_description": description}, status=503
        )
    else:
        response = HttpResponse(description, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        logger.warning("perscom_oauth: database unreachable, answered 503: %s", exception)
        # A connection that failed is not reused by the next request of this worker.
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        return unavailable(request)
