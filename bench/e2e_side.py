"""The Django side of bench/e2e.py, run once per side with its DJANGO_SETTINGS_MODULE and DATABASE_URL.

    python bench/e2e_side.py setup 25   # bench clients + 25 authorization codes, as JSON
    python bench/e2e_side.py sql        # SQL statements per flow (in-process test client), as JSON

The database is migrated (and, for perscom-oauth, seeded with ``seed_demo``) beforehand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import statistics
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: Same on both sides: a confidential client for the code flow and one for client_credentials.
SECRET = "bench-e2e-client-secret-0123456789abcdef"
CALLBACK = "http://127.0.0.1:8765/callback"
SCOPE = "view:user"
HOST = "localhost"  # the seeded "demo" organization's primary host (seed_demo)
#: perscom-oauth's token and revocation endpoints, then vanilla django-oauth-toolkit's.
PATHS = {True: ("/oauth/token", "/oauth/revoke"), False: ("/o/token/", "/o/revoke_token/")}


def is_perscom() -> bool:
    from django.conf import settings

    return "perscom_oauth" in settings.INSTALLED_APPS


def bench_user() -> Any:
    from django.contrib.auth import get_user_model

    if is_perscom():  # the seed's "bob": a plain member (Viewer role) of the demo organization
        return get_user_model().objects.get(username="bob")
    user, _ = get_user_model().objects.get_or_create(username="bob")
    return user


def setup(count: int) -> dict[str, Any]:
    """The two bench clients (recreated, default secret hashing of each side) and ``count`` codes."""
    from oauth2_provider.models import get_application_model

    model = get_application_model()
    extra: dict[str, Any] = {}
    if is_perscom():
        from perscom_oauth.models import Organization

        extra["organization"] = Organization.objects.get(slug="demo")
    for client_id, grant_type in (
        ("bench-web", model.GRANT_AUTHORIZATION_CODE),
        ("bench-m2m", model.GRANT_CLIENT_CREDENTIALS),
    ):
        model.objects.filter(client_id=client_id).delete()
        model.objects.create(
            client_id=client_id,
            client_secret=SECRET,
            name=client_id,
            client_type=model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=grant_type,
            redirect_uris=CALLBACK,
            **extra,
        )
    return {"client_secret": SECRET, "redirect_uri": CALLBACK, "scope": SCOPE, "codes": make_codes(count)}


def make_codes(count: int) -> list[dict[str, str]]:
    """Authorization codes as the consent step would leave them (with a PKCE S256 challenge:
    vanilla requires PKCE of every client), created through each side's own Grant model
    (perscom-oauth's stores the code's checksum on save)."""
    from django.utils import timezone
    from oauth2_provider.models import get_application_model, get_grant_model

    app = get_application_model().objects.get(client_id="bench-web")
    user = bench_user()
    codes = []
    for _ in range(count):
        code, verifier = secrets.token_urlsafe(30), secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        get_grant_model().objects.create(
            user=user,
            application=app,
            code=code,
            expires=timezone.now() + timedelta(minutes=15),
            redirect_uri=CALLBACK,
            scope=SCOPE,
            code_challenge=challenge.decode(),
            code_challenge_method="S256",
        )
        codes.append({"code": code, "code_verifier": verifier})
    return codes


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def sql_counts(rounds: int = 3) -> dict[str, list[int]]:
    """Statements per flow: one uncounted warm-up, then ``rounds`` counted requests each."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    token_path, revoke_path = PATHS[is_perscom()]

    def post(path: str, data: dict[str, str]) -> dict[str, Any]:
        response = client.post(path, {"client_secret": SECRET, **data})
        assert response.status_code == 200, (path, data.get("grant_type"), response.content)
        return response.json() if response.content else {}

    def exchange(code: dict[str, str]) -> dict[str, Any]:
        data = {"grant_type": "authorization_code", "redirect_uri": CALLBACK, "client_id": "bench-web"}
        return post(token_path, {**data, **code})

    def get(path: str, token: str) -> None:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, (path, response.content)

    def fresh(kind: str) -> str:
        return exchange(make_codes(1)[0])[kind]

    hot = fresh("access_token")

    def prepare(flow: str) -> Callable[[], object]:
        """What a flow needs beforehand (uncounted), then the one request that is counted."""
        if flow == "client_credentials":
            data = {"grant_type": "client_credentials", "client_id": "bench-m2m", "scope": SCOPE}
            return lambda: post(token_path, data)
        if flow == "code exchange":
            code = make_codes(1)[0]
            return lambda: exchange(code)
        if flow == "refresh_token":
            data = {"grant_type": "refresh_token", "refresh_token": fresh("refresh_token")}
            return lambda: post(token_path, {**data, "client_id": "bench-web"})
        if flow == "revoke (access token)":
            data = {"token": fresh("access_token"), "client_id": "bench-web"}
            return lambda: post(revoke_path, data)
        if flow == "open baseline (/bench/open)":
            return lambda: client.get("/bench/open")
        path = flow.split("(")[1].rstrip(")")  # "hot API request (/api/me)"
        return lambda: get(path, hot)

    flows = ["hot API request (/api/me)", "open baseline (/bench/open)"]
    if is_perscom():
        flows.insert(1, "hot API request (/api/users/)")
    flows += ["client_credentials", "code exchange", "refresh_token", "revoke (access token)"]
    counts: dict[str, list[int]] = {}
    for name in flows:
        prepare(name)()  # warm-up: caches, the once-a-minute "last used" write
        counts[name] = []
        for _ in range(rounds):
            request = prepare(name)
            with CaptureQueriesContext(connection) as queries:
                request()
            # As tests/test_query_counts.py counts: statements that do work, without BEGIN,
            # COMMIT and savepoints.
            work = [q for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
            counts[name].append(len(work))
    return counts


def main() -> None:
    django.setup()
    if sys.argv[1] == "setup":
        print(json.dumps(setup(int(sys.argv[2]))))
    else:
        counts = sql_counts()
        print(json.dumps({name: {"median": statistics.median(c), "all": c} for name, c in counts.items()}))


if __name__ == "__main__":
    main()
