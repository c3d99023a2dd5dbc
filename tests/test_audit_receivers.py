"""A host's receiver of ``audit_event`` can never break our response (issue 19, point 6).

The signal is sent once the audit row is committed, after the token endpoint's transaction: a
receiver that raised turned a committed refresh into a 500, so the client lost the new pair,
retried with the old refresh token, and reuse detection revoked its whole family (RFC 9700
§4.14.2). Each receiver's error is now logged and the response is the one committed.

Transactional tests: the signal goes out on commit, which a test wrapped in a transaction
never reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from perscom_oauth.models import Application, AuditEvent
from perscom_oauth.signals import audit_event
from tests.factories import SECRET
from tests.oauth import OAuthClient

pytestmark = pytest.mark.django_db(transaction=True)


class WebhookDown(Exception):
    """What a host's forwarder raises when its webhook is unreachable."""


@pytest.fixture
def raising_receiver() -> Iterator[list[AuditEvent]]:
    """A receiver that raises on every event, connected before a well-behaved one (which
    records what it is sent)."""
    received: list[AuditEvent] = []

    def forward(sender: Any, *, event: AuditEvent, **kwargs: Any) -> None:
        raise WebhookDown(f"webhook unreachable for {event.event}")

    def record(sender: Any, *, event: AuditEvent, **kwargs: Any) -> None:
        received.append(event)

    audit_event.connect(forward, dispatch_uid="test-raising")
    audit_event.connect(record, dispatch_uid="test-recording")
    yield received
    audit_event.disconnect(dispatch_uid="test-raising")
    audit_event.disconnect(dispatch_uid="test-recording")


def refresh(oauth: OAuthClient, app: Application, refresh_token: str) -> Any:
    client = Client(HTTP_HOST=oauth.host, raise_request_exception=False)
    return client.post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": SECRET,
        },
    )


def receiver_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "perscom_oauth.audit" and r.levelno == logging.ERROR]


def test_a_refresh_answers_its_pair_when_a_receiver_raises(
    oauth: OAuthClient, member: Any, app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    issued = oauth.code_flow(member, app).json()
    audit_event.connect(lambda sender, **kwargs: 1 / 0, dispatch_uid="test-zero", weak=False)
    try:
        response = refresh(oauth, app, issued["refresh_token"])
        assert response.status_code == 200, response.content
        pair = response.json()

        # The new pair works: the access token at the API, the refresh token once more.
        assert oauth.api(pair["access_token"]).status_code == 200
        assert refresh(oauth, app, pair["refresh_token"]).status_code == 200
    finally:
        audit_event.disconnect(dispatch_uid="test-zero")
    # Nothing was revoked as reuse: the client never had to retry with the old token.
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.REFRESH_TOKEN_REUSED).exists()
    errors = receiver_errors(caplog)
    assert errors and errors[0].exc_info is not None
    assert errors[0].exc_info[0] is ZeroDivisionError


def test_the_other_receivers_still_get_the_event(
    oauth: OAuthClient,
    member: Any,
    app: Application,
    raising_receiver: list[AuditEvent],
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = oauth.code_flow(member, app)  # authorization_granted, token_issued

    assert response.status_code == 200, response.content
    assert [event.event for event in raising_receiver] == [
        AuditEvent.Event.AUTHORIZATION_GRANTED,
        AuditEvent.Event.TOKEN_ISSUED,
    ]
    errors = receiver_errors(caplog)
    assert len(errors) == 2
    assert "webhook unreachable for token_issued" in str(errors[1].exc_info[1])  # type: ignore[index]
    assert "audit_event receiver" in errors[1].getMessage()
