"""A hot token costs no SQL, and every change that affects it takes effect on the next request
(token_cache.py, invalidation.py). Runs on the in-process cache and, in CI's second pass, on
Redis."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from perscom_oauth.cache.health import epoch_key
from perscom_oauth.cache.shards import SHARDS, shard_of
from perscom_oauth.models import Application, Domain, Membership, Organization
from tests.conftest import make_member
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, basic_auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def test_hot_token_costs_no_sql(oauth: OAuthClient, hot: str, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/api/me").status_code == 200
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/plain/ranks").status_code == 200


def test_cold_token_costs_four_queries(oauth: OAuthClient, hot: str, django_assert_num_queries: Any) -> None:
    cache.clear()
    # The host's organization, its generation (generations.py), then the token with its
    # application and user, then the membership with every permission the user holds there,
    # in one query.
    with django_assert_num_queries(4):
        assert oauth.api(hot, "/api/me").status_code == 200
    # The organization read before its generation is not stored under it (a change may have
    # committed in between): the next request reads it again, after the generation.
    with django_assert_num_queries(1):
        assert oauth.api(hot, "/api/me").status_code == 200
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/api/me").status_code == 200


def revoke_token(oauth: OAuthClient, app: Application, token: str) -> None:
    oauth.client().post("/oauth/revoke", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id))


def suspend(app: Application) -> None:
    app.enabled = False
    app.save()


def narrow(app: Application) -> None:
    app.allowed_scopes = "view:rank"
    app.save()


def downgrade(org: Organization) -> None:
    org.plan = Organization.Plan.BASIC
    org.save()


def deactivate(user: Any) -> None:
    user.is_active = False
    user.save()


def withdraw_role_permission(user: Any) -> None:
    Group.objects.get(name="Viewer").permissions.remove(Permission.objects.get(codename="view_user"))


def withdraw_permission_from_role_side(user: Any) -> None:
    Permission.objects.get(codename="view_user").group_set.remove(Group.objects.get(name="Viewer"))


def remove_role(user: Any) -> None:
    user.perscom_memberships.get().roles.clear()


def delete_role(user: Any) -> None:
    Group.objects.get(name="Viewer").delete()


CHANGES: dict[str, Callable[..., None]] = {
    "token revoked": lambda oauth, app, org, user, token: revoke_token(oauth, app, token),
    "application suspended": lambda oauth, app, org, user, token: suspend(app),
    "plan downgraded": lambda oauth, app, org, user, token: downgrade(org),
    "membership removed": lambda oauth, app, org, user, token: Membership.objects.filter(user=user).delete(),
    "user deactivated": lambda oauth, app, org, user, token: deactivate(user),
    "user deleted": lambda oauth, app, org, user, token: user.delete(),
    "application deleted": lambda oauth, app, org, user, token: app.delete(),
}

NARROWING: dict[str, Callable[..., None]] = {
    "application's allowed scopes": lambda app, user: narrow(app),
    "role's permission withdrawn": lambda app, user: withdraw_role_permission(user),
    "permission's group withdrawn": lambda app, user: withdraw_permission_from_role_side(user),
    "role removed from membership": lambda app, user: remove_role(user),
    "role deleted": lambda app, user: delete_role(user),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_refuses_a_hot_token_on_the_next_request(
    oauth: OAuthClient,
    app: Application,
    org: Organization,
    viewer: Any,
    hot: str,
    change: Callable[..., None],
) -> None:
    change(oauth, app, org, viewer, hot)
    response = oauth.api(hot, "/api/me")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("change", NARROWING.values(), ids=NARROWING.keys())
def test_a_change_narrows_a_hot_token_on_the_next_request(
    oauth: OAuthClient, app: Application, viewer: Any, hot: str, change: Callable[..., None]
) -> None:
    change(app, viewer)
    response = oauth.api(hot, "/api/users/")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_user_permissions_through_groups_and_directly(
    oauth: OAuthClient, org: Organization, app: Application
) -> None:
    user = make_member(org, "plain")  # a member without roles
    permission = Permission.objects.get(codename="view_rank")
    token = oauth.code_flow(user, app, scope="view:rank openid").json()
    assert token.get("scope") == "openid"  # nothing grantable yet but sign-in
    group = Group.objects.create(name="Rankers")
    group.permissions.add(permission)
    user.groups.add(group)
    token = oauth.code_flow(user, app, scope="view:rank").json()["access_token"]
    assert oauth.api(token, "/api/ranks/").status_code == 200  # cached now
    group.user_set.remove(user)
    assert oauth.api(token, "/api/ranks/").status_code == 403
    user.user_permissions.add(permission)
    assert oauth.api(token, "/api/ranks/").status_code == 200
    permission.user_set.clear()
    assert oauth.api(token, "/api/ranks/").status_code == 403


def test_an_upgrade_and_a_new_membership_take_effect_too(
    oauth: OAuthClient, app: Application, org: Organization, viewer: Any, hot: str
) -> None:
    downgrade(org)
    assert oauth.api(hot, "/api/me").status_code == 401
    org.plan = Organization.Plan.ENTERPRISE
    org.save()
    assert oauth.api(hot, "/api/me").status_code == 200
    membership = Membership.objects.get(user=viewer)
    membership.delete()
    assert oauth.api(hot, "/api/me").status_code == 401
    Membership.objects.create(user=viewer, organization=org).roles.add(Group.objects.get(name="Viewer"))
    assert oauth.api(hot, "/api/users/").status_code == 200


def test_a_moved_domain_answers_for_its_new_organization(
    oauth: OAuthClient, org: Organization, other_org: Organization, hot: str
) -> None:
    domain = Domain.objects.get(organization=org, is_primary=True)
    domain.organization = other_org
    domain.save()
    assert oauth.api(hot, "/api/me").status_code == 401  # the host is bravo's now: not its token


def test_another_organizations_changes_leave_hot_tokens_cached(
    oauth: OAuthClient,
    other_org: Organization,
    viewer: Any,
    hot: str,
    django_assert_num_queries: Any,
) -> None:
    """Generations are per organization: bravo's changes cost alpha's hot tokens nothing."""
    other = ApplicationFactory(organization=other_org, client_id="bravo-other")
    suspend(other)
    downgrade(other_org)
    make_member(other_org, "bravo-member")
    with django_assert_num_queries(0):
        assert oauth.api(hot, "/api/me").status_code == 200


def test_cache_outage_falls_back_to_the_database_never_to_stale_access(
    oauth: OAuthClient, viewer: Any, app: Application, own_redis: Any, caplog: Any
) -> None:
    first = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    second = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for token in (first, second):
        assert oauth.api(token, "/api/users/").status_code == 200  # cached in our own Redis
    own_redis.kill()
    own_redis.wait()
    revoke_token(oauth, app, first)
    assert oauth.api(first, "/api/me").status_code == 401
    assert oauth.api(second, "/api/users/").status_code == 200
    assert "cache unreachable; token checks use the database" in caplog.text


def test_a_change_made_while_the_cache_is_unreachable_is_not_undone_by_its_return(
    oauth: OAuthClient, viewer: Any, app: Application, own_redis: Any, caplog: Any
) -> None:
    """A paused Redis (a partition: it comes back with its data) while a token is revoked: the
    revocation cannot mark the cached entry stale, so the cache epoch changes when the cache
    answers again (cache_health), started by the revoking process's own thread without
    waiting for a request (another process may serve the next one), and the old entry is
    never honoured."""
    doomed = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    kept = oauth.code_flow(viewer, app, scope="view:user").json()["access_token"]
    for token in (doomed, kept):
        assert oauth.api(token, "/api/users/").status_code == 200  # cached in our own Redis
    epoch_here = epoch_key(shard_of(oauth.host))  # the epoch this host's requests read
    epoch = cache.get(epoch_here)
    own_redis.send_signal(signal.SIGSTOP)
    try:
        revoke_token(oauth, app, doomed)
        assert oauth.api(doomed, "/api/me").status_code == 401
    finally:
        own_redis.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 5
    while cache.get(epoch_here) == epoch and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(epoch_here) != epoch
    # One new epoch, written in every shard at once (cache.shards): any host reads it.
    epochs = cache.get_many([epoch_key(shard) for shard in range(SHARDS)])
    assert len(epochs) == SHARDS and set(epochs.values()) == {cache.get(epoch_here)}
    assert oauth.api(doomed, "/api/me").status_code == 401
    assert oauth.api(kept, "/api/users/").status_code == 200
    assert "cache reachable again; entries cached before the outage are dropped" in caplog.text
