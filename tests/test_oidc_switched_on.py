"""Applications created before OpenID Connect was switched on (issue 20, item 12c): their
``algorithm`` is empty, and they refused ``openid`` ("not set up for OpenID Connect") until
someone re-saved them, which the admin cannot do (``algorithm`` is read-only there)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from perscom_oauth.models import Application
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def made_before_oidc(org: Any, settings: Any) -> Application:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": False}
    application: Application = ApplicationFactory(organization=org)
    assert Application.objects.filter(pk=application.pk, algorithm="").exists()
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": True}
    return application


def test_an_application_from_before_oidc_signs_in_with_openid(
    oauth: OAuthClient, member: Any, made_before_oidc: Application
) -> None:
    response = oauth.code_flow(member, made_before_oidc, scope="openid view:user")
    assert response.status_code == 200, response.content
    encoded = response.json()["id_token"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert header["alg"] == "RS256"


def test_its_change_page_shows_rs256_and_a_save_stores_it(
    admin: Client, made_before_oidc: Application
) -> None:
    page = admin.get(f"/admin/perscom_oauth/application/{made_before_oidc.pk}/change/")
    assert "RSA with SHA-2 256" in page.content.decode()
    Application.objects.get(pk=made_before_oidc.pk).save()
    assert Application.objects.filter(pk=made_before_oidc.pk, algorithm="RS256").exists()


def test_without_oidc_it_keeps_no_algorithm(made_before_oidc: Application, settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": False}
    assert Application.objects.get(pk=made_before_oidc.pk).algorithm == ""
