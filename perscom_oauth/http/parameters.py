"""What a request's parameters may be before anything looks them up or stores them.

Refused with RFC 6749 §5.2 ``invalid_request`` (by ``tenancy.gates.TenantGateMixin``), before any query:

- a body Django cannot parse (a broken multipart body, too many fields, too large): Django
  itself would answer its HTML 400 page, not an RFC 6749 §5.2 body;
- a NUL byte anywhere (PostgreSQL can neither store nor compare it; no legitimate client_id,
  code or token has one);
- a query string that is not form-urlencoded (RFC 3986 §2.1: a ``%`` not followed by two hex
  digits, an unencoded character): oauthlib parses the URI again and raises on it (a 500);
- a value longer than the column it is stored in or compared with. The limits are read from
  the models themselves, so they cannot drift from the schema; PostgreSQL would otherwise
  answer a DataError (a 500) and SQLite would store the value.

``repeated_parameter`` is the one rule of RFC 6749 §3.1 and §3.2 ("Request and response
parameters MUST NOT be included more than once"), for every endpoint behind the gate: each view
answers it as it answers any malformed request (a JSON body; at the authorization endpoint, an
error redirect to the client once the client and redirect URI are known good).

``malformed_resource`` is the RFC 8707 §2 check of a ``resource`` indicator, for the views that
answer it with ``invalid_target`` (the gate only knows ``invalid_request``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model, get_grant_model
from oauth2_provider.oauth2_validators import is_valid_resource_uri
from oauthlib.common import urldecode

from .headers import basic_credentials

#: Request parameter -> (model getter, field) of the column it is stored in or compared with.
#: Codes and tokens are stored as checksums: any length is fine for them.
COLUMNS = {
    "client_id": (get_application_model, "client_id"),
    "code_challenge": (get_grant_model, "code_challenge"),
    "code_challenge_method": (get_grant_model, "code_challenge_method"),
    "nonce": (get_grant_model, "nonce"),
}


@cache
def max_length(parameter: str) -> int:
    # Read once per process: the models (swappable at start-up) do not change afterwards.
    model, field = COLUMNS[parameter]
    return int(model()._meta.get_field(field).max_length)


def parameter_problem(request: HttpRequest) -> str | None:
    """Why the request's parameters cannot be processed, or None."""
    try:
        urldecode(request.META.get("QUERY_STRING", ""))
    except ValueError:
        return _("Malformed request parameters.")
    try:
        posted = list(request.POST.lists())
    except (MultiPartParserError, SuspiciousOperation):  # TooManyFieldsSent, RequestDataTooBig
        return _("Malformed request body.")
    values = dict.fromkeys(COLUMNS, "")
    everything: list[str] = []
    for key, items in (*request.GET.lists(), *posted):
        everything += items
        for value in items:
            if key in values and len(value) > len(values[key]):
                values[key] = value
    credentials = basic_credentials(request.headers)
    if credentials is not None:
        # Credentials are form-encoded inside the base64 (RFC 6749 §2.3.1): %00 is a NUL too.
        everything += [credentials.client_id, credentials.client_secret]
        if len(credentials.client_id) > len(values["client_id"]):
            values["client_id"] = credentials.client_id
    if any("\x00" in value for value in everything):
        return _("Malformed request parameters.")
    for parameter, value in values.items():
        limit = max_length(parameter)
        if len(value) > limit:
            return _("The %(parameter)s parameter is longer than %(limit)d characters.") % {
                "parameter": parameter,
                "limit": limit,
            }
    return None


#: The parameters that may be sent more than once, and why: each is a list by definition.
REPEATABLE = frozenset(
    {
        "resource",  # RFC 8707 §2: one per resource the token is meant for
        "approved_scopes",  # the consent and device forms' scope checkboxes (ours, not OAuth's)
    }
)


def repeated_parameter(request: HttpRequest, across_query_and_body: bool = True) -> str | None:
    """The first parameter the request carries more than once, in its query, in its form body,
    or (``across_query_and_body``) once in each: oauthlib reads both as one request. Or None.
    RFC 6749 §3.1, §3.2."""
    in_query = {key for key, _items in request.GET.lists()}
    for key, items in (*request.GET.lists(), *request.POST.lists()):
        if key in REPEATABLE:
            continue
        if len(items) > 1:
            return key
    if across_query_and_body:
        for key in request.POST:
            if key in in_query and key not in REPEATABLE:
                return key
    return None


def repeated_message(parameter: str) -> str:
    return _("The %(parameter)s parameter was sent more than once (RFC 6749 §3.1).") % {
        "parameter": parameter[:100]
    }


def malformed_resource(values: Iterable[str]) -> str | None:
    """The first of ``values`` that is no resource indicator (RFC 8707 §2: an absolute URI
    without a fragment), or None.

    The base library's check calls ``urlsplit()``, which raises ``ValueError`` on a URI it
    cannot parse (``http://[::1/``, an unclosed IPv6 literal): that was a 500 at the
    authorization and token endpoints. Such a value is simply not a valid indicator.
    """
    for value in values:
        try:
            valid = is_valid_resource_uri(value)
        except ValueError:
            valid = False
        if not valid:
            return value
    return None
