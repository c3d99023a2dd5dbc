"""Fill the demo's database with N access tokens, then time cold token checks (no cache).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_tokens \\
        .venv/bin/python bench/generate_tokens.py 1000000

Run `manage.py migrate` and `manage.py seed_demo` against that database first. Prints the
median time of a token check that misses the cache (the token lookup and the membership
query, by index: tests/test_explain.py), so sizes can be compared: it stays flat.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.perscom_settings")

BATCH = 10_000


def add_tokens(app: Any, user: Any, count: int, expires: datetime) -> None:
    """``count`` live access tokens of ``user`` for ``app``, in one statement."""
    from oauth2_provider.models import get_access_token_model

    from perscom_oauth.hashing import checksum

    model = get_access_token_model()
    model.objects.bulk_create(
        model(
            user=user,
            application=app,
            token="",
            token_checksum=checksum(secrets.token_urlsafe(24)),
            expires=expires,
            scope="view:user",
        )
        for _ in range(count)
    )


def main(count: int) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    from perscom_oauth.hashing import checksum
    from perscom_oauth.models import Application
    from perscom_oauth.tokens.check import _check_in_database

    model = get_access_token_model()
    app = Application.objects.select_related("organization").get(client_id="demo-web")
    user = get_user_model().objects.get(username="alice")
    expires = timezone.now() + timedelta(days=1)
    existing = model.objects.count()
    while existing < count:
        size = min(BATCH, count - existing)
        add_tokens(app, user, size, expires)
        existing += size
        print(f"{existing} tokens", file=sys.stderr)
    probes = [secrets.token_urlsafe(24) for _ in range(200)]
    for value in probes:
        model.objects.create(
            user=user,
            application=app,
            token="",
            token_checksum=checksum(value),
            expires=expires,
            scope="view:user",
        )
    samples = []
    for value in probes:
        start = time.perf_counter()
        _check_in_database(value, app.organization)
        samples.append(time.perf_counter() - start)
    print(
        f"{model.objects.count()} tokens: cold token check median {statistics.median(samples) * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
