"""The remote resource server's RFC 7662 client at its edges: what it sends, how strictly it reads
the answer (an unreadable answer is the authorization server's failure: 503, never a pass), what
its cache keeps and for how long, and the system checks of ``PERSCOM_OAUTH_REMOTE``. The whole
service over HTTP is tests/test_remote_resource_server.py."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from rest_framework import exceptions
from rest_framework.request import Request

from perscom_oauth.remote import introspection
from perscom_oauth.remote.authentication import AuthorizationServerUnavailable, IntrospectionAuthentication
from perscom_oauth.remote.check import RemoteToken
from perscom_oauth.remote.checks import check_settings

TOKEN = "the-token-value-1234567890"
SETTINGS = {
    "AUTHORIZATION_SERVER": "https://alpha.example.test",
    "CLIENT_ID": "reports:service",
    "CLIENT_SECRET": "s e/cret",
    "CACHE_SECONDS": 30,
}


class FakeResponse:
    def __init__(self, status: int, body: object) -> None:
        self.status_code = status
        self.body = body

    def json(self) -> object:
        if isinstance(self.body, str):
            raise ValueError("not JSON")
        return self.body


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the fake authorization server answers (``status``, ``body``), and what it was sent."""
    state: dict[str, Any] = {"status": 200, "body": active(), "sent": []}

    def post(url: str, **kwargs: Any) -> FakeResponse:
        state["sent"].append({"url": url, **kwargs})
        if isinstance(state["body"], Exception):
            raise state["body"]
        return FakeResponse(state["status"], state["body"])

    monkeypatch.setattr(introspection.requests, "post", post)
    return state


def active(**fields: object) -> dict[str, object]:
    return {
        "active": True,
        "scope": "view:user view:rank",
        "client_id": "alpha-web",
        "token_type": "Bearer",
        "exp": int(time.time()) + 3600,
        "username": "member",
        "organization": "alpha",
        **fields,
    }


def authenticate(token: str = TOKEN) -> Any:
    request = Request(RequestFactory().get("/reports/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    return IntrospectionAuthentication().authenticate(request)


@override_settings(PERSCOM_OAUTH_REMOTE=SETTINGS)
def test_it_posts_the_token_with_the_services_credentials(answer: dict[str, Any]) -> None:
    user, token = authenticate()
    assert isinstance(token, RemoteToken)
    assert (user.get_username(), user.is_authenticated) == ("member", True)
    assert token.effective_scopes == {"view:user", "view:rank"}
    assert (token.client_id, token.organization, token.scope) == ("alpha-web", "alpha", "view:rank view:user")
    [sent] = answer["sent"]
    assert sent["url"] == "https://alpha.example.test/oauth/introspect"
    assert sent["data"]["token"] == TOKEN  # in the body (RFC 7662 §2.1), never the URL
    # RFC 6749 §2.3.1: each credential form-encoded before HTTP Basic.
    assert sent["auth"] == ("reports%3Aservice", "s+e%2Fcret")
    assert sent["allow_redirects"] is False
    assert sent["timeout"] == 5


def test_the_cache_keeps_the_tokens_digest_never_the_token(answer: dict[str, Any]) -> None:
    own = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "remote-keys"}
    with override_settings(
        CACHES={**settings.CACHES, "remote": own}, PERSCOM_OAUTH_REMOTE={**SETTINGS, "CACHE_ALIAS": "remote"}
    ):
        authenticate()
        authenticate()
        cache = caches["remote"]
        keys = list(cache._cache)  # type: ignore[attr-defined]  # LocMemCache's own store
        entry = cache.get(introspection.KEY_PREFIX + digest_of(TOKEN))
        cache.clear()
    assert len(answer["sent"]) == 1
    assert not any(TOKEN in key for key in keys)
    assert [key for key in keys if key.endswith(digest_of(TOKEN))]
    assert entry is not None
    assert TOKEN not in repr(entry)


def digest_of(token: str) -> str:
    return hashlib.sha256(f"https://alpha.example.test/oauth/introspect\n{token}".encode()).hexdigest()


@pytest.mark.parametrize(
    ("exp_in", "cache_seconds", "kept"),
    [(3600, 30, 30), (10, 30, 10), (3600, 0, None)],
)
def test_an_answer_is_kept_for_the_bound_and_never_past_the_tokens_expiry(
    answer: dict[str, Any], monkeypatch: pytest.MonkeyPatch, exp_in: int, cache_seconds: int, kept: int | None
) -> None:
    answer["body"] = active(exp=int(time.time()) + exp_in)
    stored: list[int] = []
    cache = caches["default"]
    original = cache.set
    monkeypatch.setattr(
        cache, "set", lambda key, value, timeout: stored.append(timeout) or original(key, value, timeout)
    )
    with override_settings(PERSCOM_OAUTH_REMOTE={**SETTINGS, "CACHE_SECONDS": cache_seconds}):
        authenticate()
    assert stored == ([] if kept is None else [pytest.approx(kept, abs=1)])


@override_settings(PERSCOM_OAUTH_REMOTE={**SETTINGS, "INACTIVE_CACHE_SECONDS": 0})
def test_an_inactive_token_is_refused_and_with_no_negative_cache_asked_again(answer: dict[str, Any]) -> None:
    answer["body"] = {"active": False}
    for _ in range(2):
        with pytest.raises(exceptions.AuthenticationFailed):
            authenticate()
    assert len(answer["sent"]) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, "<html>not JSON</html>"),
        (200, ["active", True]),
        (200, {"active": "true"}),
        (200, {"scope": "view:user"}),
        (200, {**active(), "exp": None}),
        (200, {**active(), "exp": True}),
        (200, {**active(), "exp": "4102444800"}),
        (200, {**active(), "scope": ["view:user"]}),
        (200, {**active(), "aud": 7}),
        (200, {**active(), "aud": ["https://a.example.test/", 7]}),
        (200, {**active(), "username": 7}),
        (200, {**active(), "token_type": 7}),
        (401, {"error": "invalid_client"}),
        (403, {"error": "insufficient_scope"}),
        (302, ""),
        (404, "<html>"),
        (429, {"error": "slow_down"}),
        (500, {"active": True}),
        (200, requests.Timeout("read timed out")),
        (200, requests.ConnectionError("refused")),
    ],
)
@override_settings(PERSCOM_OAUTH_REMOTE=SETTINGS)
def test_an_answer_that_is_no_rfc_7662_answer_fails_closed(
    answer: dict[str, Any], status: int, body: object
) -> None:
    answer["status"], answer["body"] = status, body
    with pytest.raises(AuthorizationServerUnavailable) as raised:
        authenticate()
    assert raised.value.status_code == 503
    with pytest.raises(AuthorizationServerUnavailable):
        authenticate()
    assert len(answer["sent"]) == 2  # a failure is never cached


@pytest.mark.parametrize(
    "body",
    [
        {"active": False},
        {**active(), "exp": int(time.time()) - 1},
        {**active(), "token_type": "refresh_token"},
    ],
)
@override_settings(PERSCOM_OAUTH_REMOTE=SETTINGS)
def test_what_is_not_an_active_access_token_is_refused(answer: dict[str, Any], body: object) -> None:
    answer["body"] = body
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate()


@pytest.mark.parametrize(
    ("settings", "audience", "served"),
    [
        ({}, None, True),
        ({"REQUIRE_AUDIENCE": True}, None, False),
        ({"RESOURCE": "https://reports.example.test/"}, "https://reports.example.test/", True),
        ({"RESOURCE": "https://reports.example.test/v1"}, ["https://reports.example.test/"], True),
        ({"RESOURCE": "https://reports.example.test/"}, "https://reports.example.test/v1", False),
        ({"RESOURCE": "https://reports.example.test/"}, "https://alpha.example.test/api", False),
        # No RESOURCE: the request's own URL, as the in-process check does.
        ({}, "http://testserver/reports/", True),
        ({}, "http://testserver/other/", False),
    ],
)
def test_a_token_bound_to_another_resource_is_refused(
    answer: dict[str, Any], settings: dict[str, object], audience: object, served: bool
) -> None:
    answer["body"] = active() if audience is None else active(aud=audience)
    with override_settings(PERSCOM_OAUTH_REMOTE={**SETTINGS, **settings}):
        if served:
            assert authenticate() is not None
        else:
            with pytest.raises(exceptions.AuthenticationFailed, match="not valid for this resource"):
                authenticate()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (None, "must be a dict"),
        ({"AUTHORIZATION_SERVER": "https://a.example.test", "CLIENT_ID": "x"}, "needs CLIENT_SECRET"),
        ({**SETTINGS, "CLIENT_SCRET": "x"}, "unknown keys"),
        ({**SETTINGS, "AUTHORIZATION_SERVER": "alpha.example.test"}, "absolute http(s) URL"),
        ({**SETTINGS, "RESOURCE": "https://a.example.test/#x"}, "absolute http(s) URL"),
        ({**SETTINGS, "CACHE_SECONDS": -1}, "CACHE_SECONDS"),
        ({**SETTINGS, "CACHE_SECONDS": "30"}, "CACHE_SECONDS"),
        ({**SETTINGS, "TIMEOUT_SECONDS": 0}, "TIMEOUT_SECONDS"),
        ({**SETTINGS, "REQUIRE_AUDIENCE": "yes"}, "REQUIRE_AUDIENCE"),
        ({**SETTINGS, "CACHE_ALIAS": "nope"}, "CACHE_ALIAS"),
        ({"HOSTS": {"a.example.test": {**SETTINGS}}}, "apply to every host"),
        (
            {"HOSTS": {"a.example.test": {"AUTHORIZATION_SERVER": "https://a.example.test"}}},
            "needs CLIENT_ID",
        ),
    ],
)
def test_a_wrong_setting_is_a_check_error(settings: object, message: str) -> None:
    with override_settings(PERSCOM_OAUTH_REMOTE=settings):
        messages = check_settings()
    assert [m.id for m in messages] == ["perscom_oauth_remote.E001"]
    assert message in messages[0].msg


def test_introspection_in_clear_text_is_a_check_warning() -> None:
    clear = {**SETTINGS, "AUTHORIZATION_SERVER": "http://alpha.example.test"}
    with override_settings(PERSCOM_OAUTH_REMOTE=clear):
        assert [m.id for m in check_settings()] == ["perscom_oauth_remote.W001"]
    loopback = {**SETTINGS, "AUTHORIZATION_SERVER": "http://127.0.0.1:8000"}
    with override_settings(PERSCOM_OAUTH_REMOTE=loopback):
        assert check_settings() == []
    with override_settings(PERSCOM_OAUTH_REMOTE=SETTINGS):
        assert check_settings() == []


def host(name: str) -> dict[str, str]:
    return {"AUTHORIZATION_SERVER": f"https://{name}.example.test", "CLIENT_ID": name, "CLIENT_SECRET": "s"}


@override_settings(
    PERSCOM_OAUTH_REMOTE={"HOSTS": {"reports.alpha.test": host("alpha"), "Reports.Bravo.test": host("bravo")}}
)
def test_each_host_asks_its_own_organization(answer: dict[str, Any]) -> None:
    for name in ("bravo", "alpha"):
        request = RequestFactory().get(
            "/", HTTP_HOST=f"reports.{name}.test:8000", HTTP_AUTHORIZATION="Bearer t"
        )
        assert IntrospectionAuthentication().authenticate(Request(request)) is not None
        assert answer["sent"][-1]["url"] == f"https://{name}.example.test/oauth/introspect"
        assert answer["sent"][-1]["auth"][0] == name
    # The same token on two hosts is two questions, to two servers, cached apart.
    assert len(answer["sent"]) == 2
    unknown = RequestFactory().get("/", HTTP_HOST="reports.charlie.test", HTTP_AUTHORIZATION="Bearer t")
    with pytest.raises(exceptions.AuthenticationFailed, match="No authorization server"):
        IntrospectionAuthentication().authenticate(Request(unknown))
    assert len(answer["sent"]) == 2
