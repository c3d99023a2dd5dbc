"""The two shapes of an error we answer with: an RFC 6749 §5.2 JSON body for clients, and our
error page for people (``perscom_oauth/error.html``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

#: What every token endpoint response carries, errors included: never cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body, never cached (§5.1)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    for header, value in NO_STORE.items():
        response[header] = value
    return response


def error_page(
    request: HttpRequest, status: int, title: str, description: str, error: str = ""
) -> HttpResponse:
    """Our error page: what happened and what to do, in words for the member who reached it
    (``pages.error_context`` rewords what was written for operators), the technical cause and
    ``error`` (the protocol's code) in small print for whoever the member reports it to."""
    from .pages import error_context

    context = error_context(request, status, title, description, error)
    return render(request, "perscom_oauth/error.html", dict(context), status=status)
