"""With ``ReplicaRouter`` installed and the replica's replay paused, every security decision sees
the primary's state, and reads nothing from the replica; the list pages and the discovery
documents' advertisement do read it (docs/replicas.md, issue 25 item 3).

Each test commits its set-up, lets the replica replay it, pauses the replay
(``pg_wal_replay_pause()``), then changes the primary: the replica still holds the state before
the change (asserted, so a test cannot pass because the replica happened to be current), and
the request, over HTTP, must answer from the state after it. An execute wrapper on the replica's
connection counts its statements: none during a security decision (``replica_untouched``), some
during a list page (``replica_reads``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from perscom_oauth.applications import set_enabled
from perscom_oauth.models import Application, AuditEvent, Membership, Organization, RegistrationPolicy
from perscom_oauth.tokens.revocation import revoke_authorization
from tests.admin_support import admin_client, org_admin, superuser
from tests.conftest import make_member, role
from tests.factories import ApplicationFactory, OrganizationFactory
from tests.oauth import OAuthClient, host_of
from tests.replica.conftest import replica_reads, replica_untouched, resume_replay

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()
SCOPE = "view:user"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def refused(response: Any) -> bool:
    return response.status_code in (401, 403)


def on_replica(model: Any, **filters: Any) -> bool:
    """Whether the (paused) replica still has such a row."""
    return bool(model._default_manager.using("replica").filter(**filters).exists())


@pytest.fixture
def org() -> Organization:
    return OrganizationFactory(slug=unique("org"))


@pytest.fixture
def oauth(org: Organization) -> OAuthClient:
    return OAuthClient(host_of(org))


@pytest.fixture
def app(org: Organization) -> Application:
    return ApplicationFactory(organization=org, client_id=unique("app"))


@pytest.fixture
def viewer(org: Organization) -> Any:
    return make_member(org, unique("viewer"), role("Viewer", "view"))


@pytest.fixture
def tokens(oauth: OAuthClient, viewer: Any, app: Application) -> dict[str, str]:
    """A token pair from the code flow, checked once (so its answer is cached, too)."""
    response = oauth.code_flow(viewer, app, scope=SCOPE)
    assert response.status_code == 200, response.content
    pair: dict[str, str] = response.json()
    assert oauth.api(pair["access_token"], "/api/users/").status_code == 200
    return pair


# --- security decisions: the primary's, with the replica paused ----------------------------------


def test_a_revoked_token_is_refused_at_once(
    oauth: OAuthClient, app: Application, tokens: dict[str, str], paused: None
) -> None:
    """RFC 7009 §2: a revoked token is refused from the moment the revocation answers."""
    with replica_untouched():
        assert oauth.revoke(app, tokens["access_token"]).status_code == 200
        assert refused(oauth.api(tokens["access_token"], "/api/users/"))
        assert oauth.refresh(app, tokens["refresh_token"]).status_code == 400  # the pair's family
    assert on_replica(AccessToken, application=app)


def test_a_removed_member_is_refused(
    oauth: OAuthClient, app: Application, viewer: Any, tokens: dict[str, str], paused: None
) -> None:
    Membership.objects.get(user=viewer, organization=app.organization).delete()
    with replica_untouched():
        assert refused(oauth.api(tokens["access_token"], "/api/users/"))
        authorization = oauth.authorization_request(viewer, "get", client_id=app.client_id, scope=SCOPE)
        assert "code=" not in authorization.get("Location", "")
    assert on_replica(Membership, user=viewer)


def test_a_downgraded_plan_is_refused(
    oauth: OAuthClient, org: Organization, app: Application, tokens: dict[str, str], paused: None
) -> None:
    org.plan = Organization.Plan.BASIC
    org.save()
    with replica_untouched():
        assert refused(oauth.api(tokens["access_token"], "/api/users/"))
        refresh = oauth.refresh(app, tokens["refresh_token"])
        assert refresh.status_code == 400 and refresh.json()["error"] == "unauthorized_client"
        assert oauth.client().get("/.well-known/oauth-authorization-server").status_code != 200
    assert on_replica(Organization, pk=org.pk, plan=Organization.Plan.ENTERPRISE)


def test_a_suspended_application_is_refused(
    oauth: OAuthClient, app: Application, tokens: dict[str, str], paused: None
) -> None:
    set_enabled(app, False)
    with replica_untouched():
        assert refused(oauth.api(tokens["access_token"], "/api/users/"))
        assert oauth.refresh(app, tokens["refresh_token"]).status_code in (400, 401)
    assert on_replica(Application, pk=app.pk, enabled=True)


def test_a_code_is_exchanged_once(oauth: OAuthClient, viewer: Any, app: Application, request: Any) -> None:
    """RFC 6749 §4.1.2: a code is single-use. The replica still holds a spent code, and lacks
    one issued after its pause: neither may matter."""
    before, before_verifier = oauth.pkce_code(viewer, app, SCOPE)
    request.getfixturevalue("paused")
    with replica_untouched():
        assert oauth.exchange(app, before, code_verifier=before_verifier).status_code == 200
        again = oauth.exchange(app, before, code_verifier=before_verifier)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        after, after_verifier = oauth.pkce_code(viewer, app, SCOPE)
        assert oauth.exchange(app, after, code_verifier=after_verifier).status_code == 200
    assert on_replica(Grant, application=app)


def test_a_refresh_token_rotates_on_the_primary(
    oauth: OAuthClient, app: Application, tokens: dict[str, str], paused: None
) -> None:
    """The replica holds the old refresh token unrotated, and none of the new pair."""
    with replica_untouched():
        rotated = oauth.refresh(app, tokens["refresh_token"])
        assert rotated.status_code == 200, rotated.content
        new = rotated.json()
        assert oauth.api(new["access_token"], "/api/users/").status_code == 200
        assert oauth.refresh(app, tokens["refresh_token"]).status_code == 400  # rotated: reuse
    assert on_replica(RefreshToken, application=app, revoked__isnull=True)
    assert not on_replica(RefreshToken, application=app, revoked__isnull=False)


def test_revoked_consent_is_asked_again(
    oauth: OAuthClient, viewer: Any, app: Application, tokens: dict[str, str], request: Any
) -> None:
    """Remembered consent (REMEMBER_CONSENT) ends with the authorization's revocation."""
    remembered = oauth.authorization_request(viewer, "get", client_id=app.client_id, scope=SCOPE)
    assert remembered.status_code == 302 and "code=" in remembered["Location"]
    request.getfixturevalue("paused")
    revoke_authorization(viewer, app, actor_type=AuditEvent.Actor.USER, actor=viewer, reason="test")
    with replica_untouched():
        asked = oauth.authorization_request(viewer, "get", client_id=app.client_id, scope=SCOPE)
        assert asked.status_code == 200 and b'name="allow"' in asked.content
    assert on_replica(AccessToken, user=viewer, application=app)


def test_a_revoked_administrator_no_longer_sees_a_list(org: Organization, request: Any) -> None:
    """Who administers which organization decides what a list shows: the primary's."""
    staff = org_admin(org, unique("staff"))
    assert admin_client(staff).get("/admin/perscom_oauth/organization/").status_code == 200
    request.getfixturevalue("paused")
    Membership.objects.filter(user=staff, organization=org).update(is_admin=False)
    with replica_untouched():
        assert admin_client(staff).get("/admin/perscom_oauth/organization/").status_code == 403
    assert on_replica(Membership, user=staff, is_admin=True)


# --- what may be stale: list pages and the discovery documents' advertisement -------------------


def test_the_admin_lists_read_the_replica(
    oauth: OAuthClient, org: Organization, app: Application, tokens: dict[str, str], paused: None
) -> None:
    """A row committed after the pause is missing from its list page until the replica replays it;
    the page's statements ran on the replica."""
    admin = admin_client(superuser(unique("root")))
    late = ApplicationFactory(organization=org, name="Made after the pause", client_id=unique("late"))
    assert oauth.revoke(app, tokens["access_token"]).status_code == 200
    revoked = AuditEvent.objects.get(event=AuditEvent.Event.TOKENS_REVOKED, client_id=app.client_id)
    lists = {
        f"/admin/perscom_oauth/application/?q={late.client_id}": late.pk,
        f"/admin/perscom_oauth/auditevent/?q={app.client_id}": revoked.pk,
    }

    def listed(url: str) -> list[int]:
        page = admin.get(url)
        assert page.status_code == 200, url
        return [row.pk for row in page.context["cl"].result_list]

    for url, pk in lists.items():
        with replica_reads() as spy:
            assert pk not in listed(url), url
        assert spy.statements, f"{url} read nothing from the replica"
    resume_replay()
    for url, pk in lists.items():
        assert pk in listed(url), url


def test_an_admin_action_reads_the_primary(
    oauth: OAuthClient, app: Application, tokens: dict[str, str], paused: None
) -> None:
    """What a list posts (here: revoke the selected tokens) acts on the primary's rows, and the
    list shown after it (with the admin's message) reads the primary too: it shows the change."""
    admin = admin_client(superuser(unique("root")))
    token = AccessToken.objects.get(application=app)
    with replica_untouched():
        response = admin.post(
            "/admin/oauth2_provider/accesstoken/",
            {"action": "revoke_selected", "_selected_action": [token.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert refused(oauth.api(tokens["access_token"], "/api/users/"))


def test_discovery_advertises_the_replicas_policy_and_registration_asks_the_primary(
    oauth: OAuthClient, org: Organization, request: Any
) -> None:
    RegistrationPolicy.objects.create(organization=org, dynamic_registration="open", allowed_scopes=SCOPE)
    request.getfixturevalue("paused")
    RegistrationPolicy.objects.filter(organization=org).update(dynamic_registration="off")
    with replica_reads() as spy:
        document = oauth.client().get("/.well-known/oauth-authorization-server").json()
    assert document["registration_endpoint"] == f"http://{oauth.host}/oauth/register"  # as it was
    assert spy.statements
    with replica_untouched():
        registration = oauth.client().post(
            "/oauth/register",
            {"client_name": "Agent", "redirect_uris": ["https://client.example/cb"]},
            content_type="application/json",
        )
    assert registration.status_code == 404  # off, on the primary
    resume_replay()
    assert "registration_endpoint" not in oauth.client().get("/.well-known/oauth-authorization-server").json()


def test_nothing_reads_the_replica_unasked(oauth: OAuthClient, viewer: Any, app: Application) -> None:
    """A whole flow with the replica current, where no code path opted in: nothing reads it."""
    with replica_untouched():
        pair = oauth.code_flow(viewer, app, scope=f"openid {SCOPE}").json()
        assert oauth.api(pair["access_token"], "/api/users/").status_code == 200
        assert oauth.api(pair["access_token"], "/oauth/userinfo").status_code == 200
        assert oauth.client().get("/oauth/jwks").status_code == 200
        assert oauth.refresh(app, pair["refresh_token"]).status_code == 200
        assert oauth.revoke(app, pair["access_token"]).status_code == 200
