"""The one-time secret page is reached by post/redirect/get (issue 20, item 2): before, it was
the POST's own response, so reloading it posted the form again and created a second
application, with a new client ID and secret (and rotated a secret again)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from perscom_oauth.models import Application, Organization
from tests.admin_support import messages_of
from tests.factories import ApplicationFactory
from tests.test_admin import ADD_URL, client_credentials, new_application, one_time_secret

pytestmark = pytest.mark.django_db


def test_reloading_the_created_page_shows_no_secret_and_creates_nothing(
    admin: Client, org: Organization
) -> None:
    posted = admin.post(ADD_URL, new_application(org))
    assert posted.status_code == 302  # the secret is not in the POST's response
    application = Application.objects.get()

    shown = admin.get(posted["Location"])
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    secret = one_time_secret(shown)
    assert client_credentials(org, application.client_id, secret).status_code == 200

    reloaded = admin.get(posted["Location"], follow=True)  # what the browser's reload sends
    assert reloaded.status_code == 200
    assert secret not in reloaded.content.decode()
    assert 'id="client-secret"' not in reloaded.content.decode()
    assert any("shown only once" in message for message in messages_of(reloaded))
    assert Application.objects.count() == 1
    assert admin.session.get("perscom_oauth_one_time_secret") is None  # nothing left waiting


def test_the_secret_is_shown_only_to_the_session_that_made_it(
    admin: Client, org: Organization, root: Any
) -> None:
    posted = admin.post(ADD_URL, new_application(org))
    other = Client()
    other.force_login(root)  # the same superuser, another session (another browser)
    elsewhere = other.get(posted["Location"], follow=True)
    assert 'id="client-secret"' not in elsewhere.content.decode()
    assert one_time_secret(admin.get(posted["Location"]))  # still waiting for its own session


def test_reloading_the_rotated_page_rotates_nothing(admin: Client, org: Organization) -> None:
    m2m = ApplicationFactory(organization=org, authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
    rotate = f"/admin/perscom_oauth/application/{m2m.pk}/rotate-secret/"
    posted = admin.post(rotate)
    assert posted.status_code == 302
    secret = one_time_secret(admin.get(posted["Location"]))
    hashed = Application.objects.get(pk=m2m.pk).client_secret

    reloaded = admin.get(posted["Location"], follow=True)
    assert secret not in reloaded.content.decode()
    assert Application.objects.get(pk=m2m.pk).client_secret == hashed  # not rotated again
    assert client_credentials(org, m2m.client_id, secret).status_code == 200
