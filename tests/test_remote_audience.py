"""perscom_oauth.remote.audience is django-oauth-toolkit's RFC 8707 prefix rule, ported because
the base library's module loads its models (which a separate service does not install). This
holds the port to the base library's answers: it fails when the base library changes its rule."""

from __future__ import annotations

import pytest
from oauth2_provider.oauth2_validators import validate_resource_as_url_prefix

from perscom_oauth.remote.audience import allows

AUDIENCE = "https://api.example.com/foo"

CASES = [
    ("https://api.example.com/foo", [AUDIENCE]),
    ("https://api.example.com/foo/", [AUDIENCE]),
    ("https://api.example.com/foo/bar", [AUDIENCE]),
    ("https://api.example.com/foo/bar", ["https://api.example.com/foo/"]),
    ("https://API.example.com:443/foo/bar", [AUDIENCE]),
    ("https://api.example.com/foo/../bar", [AUDIENCE]),
    ("https://api.example.com/food-blog", [AUDIENCE]),
    ("https://api.example.com/bar", [AUDIENCE]),
    ("https://other.example.com/foo/bar", [AUDIENCE]),
    ("http://api.example.com/foo", [AUDIENCE]),
    ("https://api.example.com:8443/foo", [AUDIENCE]),
    ("https://api.example.com@evil.com/foo", [AUDIENCE]),
    ("https://api.example.com/foo", ["https://user@api.example.com/foo"]),
    ("https://api.example.com/foo#x", [AUDIENCE]),
    ("https://api.example.com/foo", ["urn:example:api"]),
    ("https://api.example.com/foo", ["https://api.example.com/foo?x=1"]),
    ("https://api.example.com/foo", ["https://api.example.com:bad/foo", AUDIENCE]),
    ("https://api.example.com/", ["https://api.example.com"]),
    ("https://api.example.com", ["https://api.example.com/"]),
    ("not a uri", [AUDIENCE]),
    ("https://api.example.com/foo", []),
]


@pytest.mark.parametrize(("resource", "audiences"), CASES)
def test_the_port_answers_as_the_base_library(resource: str, audiences: list[str]) -> None:
    assert allows(resource, audiences) is validate_resource_as_url_prefix(resource, audiences)


def test_the_cases_cover_both_answers() -> None:
    answers = {allows(resource, audiences) for resource, audiences in CASES}
    assert answers == {True, False}
