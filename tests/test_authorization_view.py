"""The authorization view's own ``get()`` and its answers without a session (issue 19).

``views.oauth.AuthorizationView.get`` replaces the base library's: the base view would issue a code
for a trusted (``skip_authorization``) application, or for a client-sent
``approval_prompt=auto``, with every scope requested and no audit entry. Ours decides itself
(``may_skip_consent``) and goes through the consent form's path: narrowed to the scopes the
user holds, audited. The first test fails if that ``get()`` is removed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from oauth2_provider.models import get_access_token_model

from perscom_oauth.models import Application, AuditEvent, Organization
from tests.conftest import make_member
from tests.factories import REDIRECT_URI
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


def query_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 302, (response.status_code, response.content[:300])
    assert response["Location"].startswith(REDIRECT_URI), response["Location"]
    parts = urlsplit(response["Location"])
    return parse_qs(parts.query) | parse_qs(parts.fragment)


def test_a_trusted_application_skips_the_screen_narrowed_and_audited(
    oauth: OAuthClient, org: Organization, viewer_role: Group, app: Application
) -> None:
    Application.objects.filter(pk=app.pk).update(skip_authorization=True)
    viewer = make_member(org, "viewer", viewer_role)  # may view users, not change them
    answer = query_of(
        oauth.authorization_request(
            viewer, "get", client_id=app.client_id, scope="view:user update:user", state="st"
        )
    )
    assert answer["state"] == ["st"]
    [granted] = AuditEvent.objects.filter(event=AuditEvent.Event.AUTHORIZATION_GRANTED)
    assert granted.details == {"scope": "view:user", "consent_screen": False}
    token = oauth.exchange(app, answer["code"][0])
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "view:user"
    assert get_access_token_model().objects.get().scope == "view:user"


def test_the_client_cannot_skip_the_screen_with_approval_prompt(
    oauth: OAuthClient, member: Any, app: Application
) -> None:
    oauth.code_flow(member, app, scope="view:user")
    asked = oauth.authorization_request(
        member, "get", client_id=app.client_id, scope="view:user", approval_prompt="auto", prompt="consent"
    )
    assert asked.status_code == 200


@pytest.mark.parametrize(
    ("response_type", "scope"),
    [("code", "view:user"), ("code", "openid view:user"), ("token", "view:user")],
)
def test_prompt_none_signed_out_carries_the_issuer(
    oauth: OAuthClient, app: Application, response_type: str, scope: str
) -> None:
    """Issue 19, L1: RFC 9207 §2 on this error too, in the fragment for an implicit request
    (OIDC Core §3.2.2.6), with the state (OIDC Core §3.1.2.6)."""
    if response_type == "token":
        Application.objects.filter(pk=app.pk).update(
            authorization_grant_type=Application.GRANT_IMPLICIT, client_type=Application.CLIENT_PUBLIC
        )
    params = {
        "response_type": response_type,
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "st",
        "nonce": "n",
        "prompt": "none",
    }
    response = oauth.client().get("/oauth/authorize", params)
    answer = query_of(response)
    assert (answer["error"], answer["state"], answer["iss"]) == (
        ["login_required"],
        ["st"],
        [f"http://{oauth.host}"],
    )
    if response_type == "token":
        assert "error=" in urlsplit(response["Location"]).fragment


def test_prompt_none_signed_out_with_an_unknown_client_is_a_page(
    oauth: OAuthClient, app: Application
) -> None:
    response = oauth.client().get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT_URI, "prompt": "none"},
    )
    assert response.status_code == 400  # RFC 6749 §4.1.2.1: never redirected
