"""The device authorization grant (RFC 8628), per organization, through the HTTP surface."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from perscom_oauth.models import AuditEvent, Organization
from tests.device import (
    GRANT,
    approve,
    browser,
    codes,
    decide,
    device_app,
    enter,
    forget_poll,
    form_post,
    poll,
    start,
)
from tests.factories import MembershipFactory
from tests.oauth import OAuthClient, basic_auth, host_of

pytestmark = pytest.mark.django_db
DeviceGrant = get_device_grant_model()


@pytest.fixture
def tv(org: Organization) -> Any:
    return device_app(org)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_a_device_signs_in_end_to_end(oauth: OAuthClient, member: Any, tv: Any) -> None:
    started = codes(oauth, tv.client_id, "view:user view:rank")
    host = host_of(tv.organization)
    assert started["verification_uri"] == f"http://{host}/oauth/device"
    assert started["verification_uri_complete"].startswith(f"http://{host}/oauth/device?user_code=")
    assert started["expires_in"] == 600 and started["interval"] == 5
    assert len(started["user_code"]) == 9 and started["user_code"][4] == "-"
    assert poll(oauth, tv.client_id, started["device_code"]).json()["error"] == "authorization_pending"
    # verification_uri_complete prefills the code (§3.3.1); the member confirms it.
    page = browser(oauth, member).get(started["verification_uri_complete"])
    assert page.status_code == 200 and started["user_code"] in text(page)
    assert page["X-Frame-Options"] == "DENY"
    done = approve(oauth, member, started["user_code"].lower().replace("-", " "), ["view:user"])
    assert done.status_code == 200 and "is connected" in text(done)
    issued = poll(oauth, tv.client_id, started["device_code"])
    assert issued.status_code == 200, issued.content
    token = issued.json()
    assert token["scope"] == "view:user"  # what the member approved, not all that was asked
    assert issued["Cache-Control"] == "no-store"
    assert oauth.api(token["access_token"]).status_code == 200
    events = list(AuditEvent.objects.order_by("pk").values_list("event", "details"))
    assert (
        AuditEvent.Event.AUTHORIZATION_GRANTED,
        {"grant_type": GRANT, "scope": "view:user", "consent_screen": True},
    ) in events
    assert events[-1][0] == AuditEvent.Event.TOKEN_ISSUED and events[-1][1]["grant_type"] == GRANT


def test_a_device_code_is_single_use(oauth: OAuthClient, member: Any, tv: Any) -> None:
    started = codes(oauth, tv.client_id)
    approve(oauth, member, started["user_code"], ["view:user"])
    assert poll(oauth, tv.client_id, started["device_code"]).status_code == 200
    replayed = poll(oauth, tv.client_id, started["device_code"])
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    # The user code too: entered again, it is not valid any more.
    again = enter(browser(oauth, member), started["user_code"])
    assert "not valid here" in text(again)


def test_denied(oauth: OAuthClient, member: Any, tv: Any) -> None:
    started = codes(oauth, tv.client_id)
    client = browser(oauth, member)
    enter(client, started["user_code"])
    denied = decide(client, started["user_code"], "deny")
    assert "was not connected" in text(denied)
    answer = poll(oauth, tv.client_id, started["device_code"])
    assert (answer.status_code, answer.json()["error"]) == (400, "access_denied")
    assert AuditEvent.objects.filter(event=AuditEvent.Event.AUTHORIZATION_DENIED).exists()


def test_expired(oauth: OAuthClient, member: Any, tv: Any) -> None:
    started = codes(oauth, tv.client_id)
    DeviceGrant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert poll(oauth, tv.client_id, started["device_code"]).json()["error"] == "expired_token"
    assert "not valid here" in text(enter(browser(oauth, member), started["user_code"]))
    # Approved, then expired before the poll: still expired (a cache can never outlive this).
    fresh = codes(oauth, tv.client_id)
    approve(oauth, member, fresh["user_code"], ["view:user"])
    DeviceGrant.objects.filter(status=DeviceGrant.AUTHORIZED).update(expires=timezone.now())
    assert poll(oauth, tv.client_id, fresh["device_code"]).json()["error"] == "expired_token"


def test_polling_faster_than_the_interval_is_slowed(oauth: OAuthClient, tv: Any) -> None:
    started = codes(oauth, tv.client_id)
    assert poll(oauth, tv.client_id, started["device_code"]).json()["error"] == "authorization_pending"
    for _ in range(3):
        answer = poll(oauth, tv.client_id, started["device_code"], wait=False)
        assert (answer.status_code, answer.json()["error"]) == (400, "slow_down")


def test_a_cache_outage_lets_polls_through_but_never_a_denied_code(
    oauth: OAuthClient, member: Any, tv: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = codes(oauth, tv.client_id)
    client = browser(oauth, member)
    enter(client, started["user_code"])
    decide(client, started["user_code"], "deny")

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    from django.core.cache import cache

    monkeypatch.setattr(cache, "add", down)
    for _ in range(2):  # no slow_down without the cache: the database answers
        answer = poll(oauth, tv.client_id, started["device_code"], wait=False)
        assert answer.json()["error"] == "access_denied"


def test_another_organizations_host_client_and_code_are_refused(
    oauth: OAuthClient, member: Any, tv: Any, other_org: Organization, admin_role: Any
) -> None:
    bravo = OAuthClient(host_of(other_org))
    MembershipFactory(user=member, organization=other_org).roles.set([admin_role])
    bravo_tv = device_app(other_org, "bravo-tv", name="Bravo TV")
    # Alpha's client at Bravo's host is unknown there.
    assert start(bravo, tv.client_id).status_code == 401
    ours = codes(bravo, bravo_tv.client_id)
    # Bravo's user code is not valid at Alpha's host, even for a member of both.
    assert "not valid here" in text(enter(browser(oauth, member), ours["user_code"]))
    # Approved at Bravo, Bravo's device code gets nothing at Alpha's host, nor for Alpha's client.
    approve(bravo, member, ours["user_code"], ["view:user"])
    for client_id in (bravo_tv.client_id, tv.client_id):
        answer = poll(oauth, client_id, ours["device_code"])
        assert answer.status_code in (400, 401) and answer.json()["error"] in (
            "invalid_grant",
            "invalid_client",
        )
    # Nor for another client of Bravo's own.
    other = device_app(other_org, "bravo-other")
    assert poll(bravo, other.client_id, ours["device_code"]).json()["error"] == "invalid_grant"
    assert poll(bravo, bravo_tv.client_id, ours["device_code"]).status_code == 200


def test_only_members_approve(oauth: OAuthClient, tv: Any, other_org: Organization) -> None:
    from tests.factories import UserFactory

    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, organization=other_org)
    started = codes(oauth, tv.client_id)
    client = browser(oauth, outsider)
    assert client.get("/oauth/device").status_code == 403
    assert decide(client, started["user_code"]).status_code == 403
    assert DeviceGrant.objects.get().status == DeviceGrant.AUTHORIZATION_PENDING


def test_signed_out_members_sign_in_first(oauth: OAuthClient, tv: Any) -> None:
    answer = oauth.client().get("/oauth/device", {"user_code": "WDJB-MJHT"})
    assert answer.status_code == 302 and "next=" in answer["Location"] and "WDJB-MJHT" in answer["Location"]


def test_without_the_plan(oauth: OAuthClient, member: Any, tv: Any, org: Organization) -> None:
    started = codes(oauth, tv.client_id)
    org.plan = "basic"
    org.save()
    assert start(oauth, tv.client_id).json()["error"] == "unauthorized_client"
    assert poll(oauth, tv.client_id, started["device_code"]).json()["error"] == "unauthorized_client"
    assert enter(browser(oauth, member), started["user_code"]).status_code == 403
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PLAN_REFUSED).count() == 3


def test_an_application_without_the_grant_is_refused(oauth: OAuthClient, app: Any) -> None:
    answer = form_post(
        oauth.client(),
        "/oauth/device_authorization",
        {"scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "unauthorized_client")
    assert not DeviceGrant.objects.exists()


def test_scopes_are_checked_at_the_start(oauth: OAuthClient, tv: Any) -> None:
    assert start(oauth, tv.client_id, "no:such").json()["error"] == "invalid_scope"
    assert start(oauth, tv.client_id, "").json()["error"] == "invalid_scope"  # no default scopes
    assert not DeviceGrant.objects.exists()


def test_a_confidential_client_authenticates_before_it_learns_anything(
    oauth: OAuthClient, org: Organization
) -> None:
    box = device_app(org, "alpha-box", client_type="confidential")
    started = form_post(
        oauth.client(),
        "/oauth/device_authorization",
        {"scope": "view:user"},
        HTTP_AUTHORIZATION=basic_auth(box.client_id),
    )
    assert started.status_code == 200, started.content
    device_code = started.json()["device_code"]
    wrong = poll(oauth, box.client_id, device_code, HTTP_AUTHORIZATION=basic_auth(box.client_id, "wrong"))
    assert wrong.status_code == 401
    right = poll(oauth, box.client_id, device_code, HTTP_AUTHORIZATION=basic_auth(box.client_id))
    assert right.json()["error"] == "authorization_pending"


def test_wrong_codes_are_throttled_per_member(
    oauth: OAuthClient, member: Any, tv: Any, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {**getattr(settings, "PERSCOM_OAUTH", {}), "DEVICE_CODE_ATTEMPTS": 3}
    started = codes(oauth, tv.client_id)
    client = browser(oauth, member)
    for _ in range(3):
        assert "not valid here" in text(enter(client, "BBBB-BBBB"))
    assert enter(client, "BBBB-BBBB").status_code == 429
    # Even the right code now waits for the window (the guesser cannot keep going).
    assert enter(client, started["user_code"]).status_code == 429
    # A malformed code is no guess (it cannot match): told so, not counted.
    assert "8 letters" in text(enter(browser(oauth, member), "12"))


def test_wrong_codes_are_throttled_per_source(
    oauth: OAuthClient, member: Any, viewer: Any, tv: Any, settings: Any
) -> None:
    settings.PERSCOM_OAUTH = {**getattr(settings, "PERSCOM_OAUTH", {}), "DEVICE_CODE_ATTEMPTS": 2}
    for user in (member, viewer):
        enter(browser(oauth, user), "BBBB-BBBB")
    assert enter(browser(oauth, viewer), "CCCC-CCCC").status_code == 429


def test_a_right_code_is_not_counted(oauth: OAuthClient, member: Any, tv: Any, settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**getattr(settings, "PERSCOM_OAUTH", {}), "DEVICE_CODE_ATTEMPTS": 1}
    client = browser(oauth, member)
    for _ in range(3):
        started = codes(oauth, tv.client_id)
        assert enter(client, started["user_code"]).status_code == 200


def test_a_code_is_decided_once(oauth: OAuthClient, member: Any, viewer: Any, tv: Any) -> None:
    started = codes(oauth, tv.client_id)
    first, second = browser(oauth, member), browser(oauth, viewer)
    enter(first, started["user_code"])
    enter(second, started["user_code"])
    assert decide(first, started["user_code"], "approve", ["view:user"]).status_code == 200
    late = decide(second, started["user_code"], "deny")
    assert late.status_code == 400 and "can no longer be used" in text(late)
    assert DeviceGrant.objects.get().user == member


def test_a_removed_member_gets_no_token(oauth: OAuthClient, member: Any, tv: Any, org: Organization) -> None:
    started = codes(oauth, tv.client_id)
    approve(oauth, member, started["user_code"], ["view:user"])
    member.perscom_memberships.filter(organization=org).delete()
    answer = poll(oauth, tv.client_id, started["device_code"])
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_revoking_the_authorization_cuts_off_a_device(oauth: OAuthClient, member: Any, tv: Any) -> None:
    """Tokens of a device go, like any other grant's, through tokens.revocation.revoke."""
    started = codes(oauth, tv.client_id)
    approve(oauth, member, started["user_code"], ["view:user"])
    token = poll(oauth, tv.client_id, started["device_code"]).json()
    client = browser(oauth, member)
    client.post("/oauth/authorized-apps", {"application": tv.pk})
    assert oauth.api(token["access_token"]).status_code == 401
    # The public client's refresh token is revoked too (RFC 7009 §2.1).
    refreshed = oauth.client().post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": tv.client_id},
    )
    assert refreshed.status_code == 400


def test_the_metadata_advertise_the_endpoint(oauth: OAuthClient) -> None:
    client = oauth.client()
    host = oauth.host
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = client.get(path).json()
        assert document["device_authorization_endpoint"] == f"http://{host}/oauth/device_authorization"
        assert GRANT in document["grant_types_supported"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x"]
)
def test_a_device_authorization_request_that_is_no_form(
    oauth: OAuthClient, tv: Any, content_type: str
) -> None:
    """RFC 8628 §3.1: form-urlencoded only; oauthlib failed (a 500) on a body without the header."""
    client = oauth.client()
    client.raise_request_exception = False
    answer = client.post("/oauth/device_authorization", "", content_type=content_type)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


def test_a_poll_without_a_device_code(oauth: OAuthClient, tv: Any) -> None:
    answer = form_post(oauth.client(), "/oauth/token", {"grant_type": GRANT, "client_id": tv.client_id})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


def test_guessing_device_codes_is_throttled_before_the_database(
    oauth: OAuthClient, tv: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    """RFC 8628 §5.2: unknown device codes count as failed authentications of the client at
    that address; past THROTTLE_FAILURES, 429 without SQL."""
    settings.PERSCOM_OAUTH = {**getattr(settings, "PERSCOM_OAUTH", {}), "THROTTLE_FAILURES": 3}
    started = codes(oauth, tv.client_id)
    for n in range(3):
        assert poll(oauth, tv.client_id, f"guess-{n}").json()["error"] == "invalid_grant"
    forget_poll(oauth, "guess-9")
    with django_assert_num_queries(0):
        refused = poll(oauth, tv.client_id, "guess-9", wait=False)
    assert refused.status_code == 429
    # Real polls of codes that exist are no failures: the device that polls right is not locked.
    other = OAuthClient(oauth.host)
    assert poll(other, tv.client_id, started["device_code"], REMOTE_ADDR="10.0.0.2").status_code == 400


def test_a_host_that_leaves_the_grant_out_advertises_no_endpoint(oauth: OAuthClient, settings: Any) -> None:
    supported = [g for g in settings.OAUTH2_PROVIDER["OAUTH2_GRANT_TYPES_SUPPORTED"] if g != GRANT]
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OAUTH2_GRANT_TYPES_SUPPORTED": supported}
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        assert "device_authorization_endpoint" not in oauth.client().get(path).json()


def test_a_user_code_names_one_live_grant(
    oauth: OAuthClient, tv: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 8628 §6.1: a new device never gets the user code of a live grant of the organization."""
    from perscom_oauth.tokens import device

    drawn = iter(["WDJB-MJHT", "WDJB-MJHT", "BCDF-GHJK"])
    monkeypatch.setattr(device, "generate_user_code", lambda: next(drawn))
    first, second = codes(oauth, tv.client_id), codes(oauth, tv.client_id)
    assert (first["user_code"], second["user_code"]) == ("WDJB-MJHT", "BCDF-GHJK")
    assert second["verification_uri_complete"].endswith("user_code=BCDF-GHJK")


def test_device_codes_are_stored_as_checksums(oauth: OAuthClient, member: Any, tv: Any) -> None:
    """RFC 9700 §4.14, as tokens and authorization codes: a database read gives no usable code."""
    import hashlib

    started = codes(oauth, tv.client_id)
    stored = DeviceGrant.objects.get().device_code
    assert stored == hashlib.sha256(started["device_code"].encode()).hexdigest()
    approve(oauth, member, started["user_code"], ["view:user"])
    assert poll(oauth, tv.client_id, stored).json()["error"] == "invalid_grant"
    assert poll(oauth, tv.client_id, started["device_code"]).status_code == 200


def test_the_base_librarys_device_hook_is_replaced() -> None:
    """Pinned: django-oauth-toolkit's default pre-token hook (a lookup of the raw code in every
    tenant) is what TokenView.get_server replaces with tokens.device.set_device_user."""
    from oauth2_provider.settings import oauth2_settings
    from oauth2_provider.utils import set_oauthlib_user_to_device_request_user

    from perscom_oauth.tokens import device
    from perscom_oauth.views.oauth import TokenView

    assert set_oauthlib_user_to_device_request_user in oauth2_settings.server_kwargs["pre_token"]
    hooks = TokenView.get_server().device_code_grant.custom_validators.pre_token
    assert hooks == [device.set_device_user]
