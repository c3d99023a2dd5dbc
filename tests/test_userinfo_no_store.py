"""Issue 19, L6: userinfo answers carry the user's claims, or say whether a bearer token works:
no cache may keep them (``Cache-Control: no-store``, RFC 9111 §5.2.2.5; as token responses,
RFC 6749 §5.1), the answer and every refusal alike."""

from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def oidc_on(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": True}


def test_userinfo_is_never_cached(oauth: OAuthClient, member: Any, app: Application) -> None:
    with_openid = oauth.code_flow(member, app, scope="openid view:user").json()["access_token"]
    without = oauth.code_flow(member, app, scope="view:user").json()["access_token"]
    answers = {
        "claims": oauth.api(with_openid, "/oauth/userinfo"),
        "claims (POST)": oauth.client().post("/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {with_openid}"),
        "no credentials": oauth.client().get("/oauth/userinfo"),
        "bad token": oauth.api("not-a-token", "/oauth/userinfo"),
        "no openid": oauth.api(without, "/oauth/userinfo"),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "claims": 200,
        "claims (POST)": 200,
        "no credentials": 401,
        "bad token": 401,
        "no openid": 403,
    }
    assert answers["claims"].json()["sub"]
    for name, answer in answers.items():
        assert (answer["Cache-Control"], answer["Pragma"]) == ("no-store", "no-cache"), name
