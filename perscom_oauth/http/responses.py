"""How we answer a client's request with an error: an RFC 6749 §5.2 JSON body, never cached.
(People get an HTML page instead: ``pages.errors.error_page``.)"""

from __future__ import annotations

from django.http import JsonResponse

#: What every token endpoint response carries, errors included: never cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body, never cached (§5.1)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    for header, value in NO_STORE.items():
        response[header] = value
    return response
