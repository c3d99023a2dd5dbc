"""A superuser's tokens carry no more than their role in the organization (issue 19, point 2):
platform-wide powers are not delegated to third-party applications unless the host's adapter
says so (``OrganizationAdapter.delegates_superuser``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from perscom_oauth.adapter import OrganizationAdapter
from perscom_oauth.models import Application, Membership, Organization
from tests.admin_support import superuser
from tests.conftest import role
from tests.oauth import OAuthClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

ASKED = "view:user update:user"


class DelegatingAdapter(OrganizationAdapter):
    def delegates_superuser(self, user: Any, organization: Any) -> bool:
        return True


@pytest.fixture
def viewer_superuser(org: Organization) -> Any:
    user = superuser("platform-root")
    Membership.objects.create(user=user, organization=org).roles.set([role("Viewer", "view")])
    return user


def test_a_superuser_who_is_a_viewer_gets_a_viewers_scopes(
    oauth: OAuthClient, app: Application, viewer_superuser: Any
) -> None:
    response = oauth.authorization_request(viewer_superuser, "get", client_id=app.client_id, scope=ASKED)
    assert response.status_code == 200, response.get("Location")
    grantable = {s["name"] for g in response.context["scope_groups"] for s in g["scopes"] if s["grantable"]}
    assert grantable == {"view:user"}
    code, verifier = oauth.pkce_code(viewer_superuser, app, "view:user", approved_scopes=ASKED)
    tokens = oauth.exchange(app, code, code_verifier=verifier).json()
    assert tokens["scope"] == "view:user"


def test_a_superuser_without_a_membership_delegates_only_their_own_permissions(
    oauth: OAuthClient, app: Application
) -> None:
    outsider = superuser("outsider-root")
    response = oauth.authorization_request(outsider, "get", client_id=app.client_id, scope=ASKED)
    assert response.status_code == 200
    grantable = {s["name"] for g in response.context["scope_groups"] for s in g["scopes"] if s["grantable"]}
    assert grantable == set()


def test_the_adapter_may_delegate_a_superusers_powers(
    oauth: OAuthClient, app: Application, viewer_superuser: Any
) -> None:
    adapter = f"{__name__}.DelegatingAdapter"
    with override_settings(PERSCOM_OAUTH={**settings.PERSCOM_OAUTH, "ADAPTER": adapter}):
        code, verifier = oauth.pkce_code(viewer_superuser, app, ASKED)
        tokens = oauth.exchange(app, code, code_verifier=verifier).json()
    assert set(tokens["scope"].split()) == set(ASKED.split())
