"""The links an application shows people (RFC 7591 §2 client metadata: ``client_uri``,
``logo_uri``, ``policy_uri``, ``tos_uri``): web pages and images, so http and https only.

One rule for both ends: the model validates what is stored with ``validate_web_url``, and the
templates render a link only when ``is_web_url`` still holds (rows written before the rule, or
past ``full_clean()``). A ``javascript:`` or ``data:`` link on the consent screen would run in,
or be shown as, our own page (RFC 6819 §4.4.1.9; OWASP XSS prevention, rule 5).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

#: Deconstructible, so a migration records it with its schemes.
validate_web_url = URLValidator(schemes=["http", "https"])


def is_web_url(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        validate_web_url(value)
    except ValidationError:
        return False
    return True
