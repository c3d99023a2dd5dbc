"""One side of bench/run.py: time the hot paths in-process under one settings module.

Prints JSON: per path, the median microseconds per request and the queries per request.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(call: Any, rounds: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    count = len(queries)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6, count


def main() -> None:
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(settings)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(settings: Any) -> None:
    from django.test import Client
    from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model

    perscom = "perscom_oauth" in settings.INSTALLED_APPS
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    user = get_user_model().objects.create_user("bench", password="pw")
    extra: dict[str, Any] = {}
    host = "bench.example.test"
    if perscom:
        from perscom_oauth.models import Domain, Membership, Organization

        org = Organization.objects.create(name="Bench", slug="bench", plan="enterprise")
        Domain.objects.create(organization=org, hostname=host, is_primary=True)
        from django.contrib.auth.models import Group, Permission

        role = Group.objects.create(name="Viewer")
        role.permissions.add(Permission.objects.get(codename="view_user"))
        Membership.objects.create(user=user, organization=org).roles.add(role)
        extra["organization"] = org
    app = get_application_model().objects.create(
        name="bench",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="http://127.0.0.1/cb",
        client_secret="s3cret",
        **extra,
    )
    expires = timezone.now() + timezone.timedelta(hours=1)
    get_access_token_model().objects.create(
        user=user, application=app, token="bench-access-token", expires=expires, scope="view:user"
    )
    client = Client(HTTP_HOST=host)
    header = {"HTTP_AUTHORIZATION": "Bearer bench-access-token"}
    assert client.get("/api/me", **header).status_code == 200, client.get("/api/me", **header).content
    api_us, api_queries = timed(lambda: client.get("/api/me", **header), int(os.environ.get("ROUNDS", "300")))

    token_path = "/oauth/token" if perscom else "/o/token/"
    refresh_tokens = [f"bench-refresh-{n}" for n in range(40)]
    for n, value in enumerate(refresh_tokens):
        bound = get_access_token_model().objects.create(
            user=user, application=app, token=f"bench-bound-{n}", expires=expires, scope="view:user"
        )
        get_refresh_token_model().objects.create(user=user, application=app, token=value, access_token=bound)
    pending = iter(refresh_tokens)

    def refresh() -> None:
        response = client.post(
            token_path,
            {
                "grant_type": "refresh_token",
                "refresh_token": next(pending),
                "client_id": app.client_id,
                "client_secret": "s3cret",
            },
        )
        assert response.status_code == 200, response.content

    refresh_us, refresh_queries = timed(refresh, 30)
    print(
        json.dumps(
            {
                "api_request": {"median_us": round(api_us), "queries": api_queries},
                "refresh_token_grant": {"median_us": round(refresh_us), "queries": refresh_queries},
            }
        )
    )


if __name__ == "__main__":
    main()
