"""What invalidation costs as live tokens grow (issue 19, point 3): an organization saved with
1, 1,000 and 10,000 live tokens; SQL statements, cache keys written and time, per save.

    .venv/bin/python bench/invalidation.py               # SQLite file + in-process cache
    .venv/bin/python bench/invalidation.py --production  # PostgreSQL + Redis on 127.0.0.1

It makes a database of its own (a temporary SQLite file, or ``perscom_bench_invalidation``,
dropped afterwards) and, in production mode, uses Redis database 7 (flushed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 1_000, 10_000)
PG_DATABASE = "perscom_bench_invalidation"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--production", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    return parser.parse_args()


def prepare(options: argparse.Namespace) -> str:
    if options.production:
        import psycopg

        with psycopg.connect(f"{options.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ.update(DATABASE_URL=f"{options.pg}/{PG_DATABASE}", REDIS_URL=options.redis)
        return "PostgreSQL + Redis"
    folder = tempfile.mkdtemp(prefix="perscom-invalidation-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
    os.environ.pop("REDIS_URL", None)
    return "SQLite + in-process cache"


def measure() -> list[tuple[int, int, int, float]]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    from bench.generate_tokens import add_tokens
    from perscom_oauth.models import Application

    app = Application.objects.select_related("organization").get(client_id="demo-web")
    organization, user = app.organization, app.organization.memberships.first().user  # type: ignore[union-attr]
    model = get_access_token_model()
    written: list[str] = []
    real_set_many, real_set = cache.set_many, cache.set

    def set_many(mapping: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        written.extend(mapping)
        return real_set_many(mapping, *args, **kwargs)

    def set_one(key: str, *args: Any, **kwargs: Any) -> Any:
        written.append(key)
        return real_set(key, *args, **kwargs)

    cache.set_many, cache.set = set_many, set_one  # counts what reaches the cache
    expires = timezone.now() + timedelta(days=1)
    rows = []
    for size in SIZES:
        missing = size - model.objects.filter(application__organization=organization).count()
        add_tokens(app, user, max(missing, 0), expires)
        times, statements, keys = [], 0, 0
        for _ in range(5):
            written.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                organization.save()
                times.append(time.perf_counter() - started)
            statements, keys = len(queries), len(written)
        rows.append((size, statements, keys, statistics.median(times) * 1000))
    return rows


def main() -> int:
    options = arguments()
    setup = prepare(options)
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.perscom_settings"
    import django
    from django.core.management import call_command

    django.setup()
    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        from django.core.cache import cache

        cache.clear()
        rows = measure()
    finally:
        if options.production:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(f"{options.pg}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    print(f"Saving an organization, {setup}:")
    print("| live tokens | SQL statements | cache keys written | time (median of 5) |")
    print("| ---: | ---: | ---: | ---: |")
    for size, statements, keys, milliseconds in rows:
        print(f"| {size:,} | {statements} | {keys} | {milliseconds:.1f} ms |")
    flat = len({(statements, keys) for _size, statements, keys, _ms in rows}) == 1
    print("O(1) in live tokens: " + ("yes" if flat else "NO"))
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
