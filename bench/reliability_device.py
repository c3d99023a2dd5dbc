"""The device flow's checks of bench/reliability.py (RFC 8628), over HTTP against the gunicorn
servers, which share PostgreSQL and Redis:

- ``device: poll race``: an approved device code polled by N clients at once, across both
  servers, gives tokens once; the others are refused with an RFC error (``slow_down`` from the
  shared poll gate, or ``invalid_grant`` once spent); a later replay is ``invalid_grant``.
- ``device: poll flood``: a pending code polled as fast as threads can: every answer is
  ``slow_down`` or ``authorization_pending``, and at most one ``authorization_pending`` (the one
  poll that reaches the database) per ``interval`` across both servers.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.reliability_checks import TALLY, Result, at_once, well_formed_error
from bench.reliability_env import Server, json_body

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_ID = "bench-tv"


def setup_device_client() -> None:
    from oauth2_provider.models import get_application_model

    from perscom_oauth.models import Organization

    model = get_application_model()
    model.objects.filter(client_id=CLIENT_ID).delete()
    model.objects.create(
        client_id=CLIENT_ID,
        name=CLIENT_ID,
        client_type=model.CLIENT_PUBLIC,
        authorization_grant_type=model.GRANT_DEVICE_CODE,
        redirect_uris="",
        organization=Organization.objects.get(slug="demo"),
    )


def start(server: Server) -> dict[str, Any]:
    status, _headers, body = TALLY.call(
        server, "POST", "/oauth/device_authorization", {"client_id": CLIENT_ID, "scope": "view:user"}
    )
    if status != 200:
        raise RuntimeError(f"device authorization failed: {status} {body[:200]!r}")
    return json_body(body)


def approve(user_code: str) -> None:
    """What a member's approval leaves (the page is tested in tests/test_device_flow*.py)."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_device_grant_model

    model = get_device_grant_model()
    model.objects.filter(user_code=user_code.replace("-", "")).update(
        status=model.AUTHORIZED, user=get_user_model().objects.get(username="bob"), scope="view:user"
    )


def poll(server: Server, device_code: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": GRANT, "device_code": device_code, "client_id": CLIENT_ID}
    status, headers, body = TALLY.call(server, "POST", "/oauth/token", form)
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return status, json_body(body) if is_json else {}


def poll_race(servers: list[Server], count: int, rounds: int) -> Result:
    setup_device_client()
    problems: list[str] = []
    answers_seen: Counter[str] = Counter()
    for round_ in range(rounds):
        codes = start(servers[0])
        approve(codes["user_code"])
        answers = at_once(count, lambda i, c=codes: poll(servers[i % len(servers)], c["device_code"]))
        winners = [body for status, body in answers if status == 200]
        answers_seen.update("token" if status == 200 else str(body.get("error")) for status, body in answers)
        if len(winners) > 1:
            problems.append(f"round {round_}: {len(winners)} token responses for one device code")
        bad = [(s, b) for s, b in answers if s != 200 and not well_formed_error(s, b)]
        if bad:
            problems.append(f"round {round_}: {len(bad)} malformed, e.g. {bad[0]}")
        time.sleep(codes.get("interval", 5))  # past the poll gate: the replay reaches the database
        status, body = poll(servers[-1], codes["device_code"])
        if winners and (status, body.get("error")) != (400, "invalid_grant"):
            problems.append(f"round {round_}: a replay after the token got {status} {body}")
        if not winners and status != 200:
            problems.append(f"round {round_}: no token, even after the interval ({status} {body})")
    figures = f"polls={count * rounds} ({rounds}x{count}) answers={dict(sorted(answers_seen.items()))}"
    return Result("device: poll race", not problems, figures, problems)


def poll_flood(servers: list[Server], threads: int, seconds: float) -> Result:
    setup_device_client()
    codes = start(servers[0])
    interval = int(codes.get("interval", 5))
    answers_seen: Counter[str] = Counter()
    problems: list[str] = []
    started = time.monotonic()

    def flood(index: int) -> list[tuple[int, dict[str, Any]]]:
        got = []
        while time.monotonic() - started < seconds:
            got.append(poll(servers[index % len(servers)], codes["device_code"]))
        return got

    for answers in at_once(threads, flood):
        if not isinstance(answers, list):
            problems.append(f"a flooding thread failed: {answers}")
            continue
        for status, body in answers:
            answers_seen[str(body.get("error", status))] += 1
            if (status, body.get("error")) not in ((400, "slow_down"), (400, "authorization_pending")):
                problems.append(f"{status} {body}")
    elapsed = time.monotonic() - started
    reached = answers_seen["authorization_pending"]
    allowed = int(elapsed // interval) + 1
    if reached > allowed:
        problems.append(f"{reached} polls reached the database in {elapsed:.0f} s (interval {interval} s)")
    figures = (
        f"polls={sum(answers_seen.values())} in {elapsed:.0f} s answers={dict(sorted(answers_seen.items()))}"
        f" reached-database={reached}/{allowed}"
    )
    return Result("device: poll flood", not problems, figures, problems)
