"""``python -m project.walkthrough catch-code``: the walk-through's redirect URI checks ``state``
and ``iss`` before it answers the browser, so "Done" is never said about a code it refuses."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
import requests

from project.walkthrough import catch_code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def authorize_url(port: int, state: str | None = "xyz") -> str:
    url = (
        "http://localhost:8000/oauth/authorize?response_type=code&client_id=demo-web"
        f"&redirect_uri=http://127.0.0.1:{port}/callback&scope=view:user"
    )
    return url + (f"&state={state}" if state else "")


def arrive(url: str, callback_query: str) -> tuple[requests.Response, Any]:
    """Start catch-code for ``url``, send the browser to its callback, return (page, outcome)."""
    port = int(url.split("127.0.0.1:")[1].split("/")[0])
    outcome: dict[str, Any] = {}

    def listen() -> None:
        try:
            outcome["code"] = catch_code(url, timeout=10)
        except SystemExit as exit_:
            outcome["exit"] = str(exit_)

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    for _ in range(100):
        try:
            page = requests.get(f"http://127.0.0.1:{port}/callback?{callback_query}", timeout=5)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    else:
        pytest.fail("catch-code never listened")
    thread.join(timeout=10)
    return page, outcome


def test_a_matching_redirect_is_done_and_prints_the_code() -> None:
    page, outcome = arrive(authorize_url(free_port()), "code=abc&state=xyz&iss=http%3A%2F%2Flocalhost%3A8000")
    assert page.status_code == 200 and page.text.startswith("Done")
    assert outcome == {"code": "abc"}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("code=abc&state=forged&iss=http%3A%2F%2Flocalhost%3A8000", "state 'forged'"),
        ("code=abc&iss=http%3A%2F%2Flocalhost%3A8000", "state None"),
        ("code=abc&state=xyz&iss=http%3A%2F%2Fevil.example", "iss 'http://evil.example'"),
        ("code=abc&state=xyz", "iss None"),
        ("error=access_denied&state=xyz&iss=http%3A%2F%2Flocalhost%3A8000", "the authorization failed"),
    ],
)
def test_a_redirect_that_does_not_match_gets_an_error_page_not_done(query: str, reason: str) -> None:
    page, outcome = arrive(authorize_url(free_port()), query)
    assert page.status_code == 400
    assert "Done" not in page.text and reason in page.text and "No code was taken" in page.text
    assert "code" not in outcome and reason in outcome["exit"]


def test_a_request_without_state_is_refused_even_when_the_redirect_has_none() -> None:
    # A URL cut at a raw space loses everything after it, state included: no state, no code.
    page, outcome = arrive(
        authorize_url(free_port(), state=None), "code=abc&iss=http%3A%2F%2Flocalhost%3A8000"
    )
    assert page.status_code == 400 and "code" not in outcome
