from __future__ import annotations

from typing import Any

import pytest

from perscom_oauth.models import Application
from tests.factories import ApplicationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.oauth import OAuthClient, host_of


@pytest.fixture
def org(db: Any) -> Any:
    return OrganizationFactory(slug="alpha", name="Alpha Unit")


@pytest.fixture
def other_org(db: Any) -> Any:
    return OrganizationFactory(slug="bravo", name="Bravo Unit")


@pytest.fixture
def member(org: Any) -> Any:
    return MembershipFactory(organization=org, user=UserFactory(username="member")).user


@pytest.fixture
def app(org: Any) -> Application:
    return ApplicationFactory(organization=org, client_id="alpha-web")


@pytest.fixture
def oauth(org: Any) -> OAuthClient:
    return OAuthClient(host_of(org))
