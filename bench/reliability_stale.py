"""Issue 19's checks of bench/reliability.py: a cached answer never outlives the state it was
read from, on every worker of two gunicorn masters (PostgreSQL + Redis).

- ``race_use_revoke`` (H1): a revocation while six clients use the token; afterwards no worker
  may answer it. Before generations, 6 of 180 rounds ended with every worker honouring it.
- ``stale_reads``: each way state changes (ORM save, queryset update, bulk update, raw SQL
  through ``perscom_oauth.invalidate``, a deletion cascade), made by this script's own Django
  process: the next request on every worker is refused.
- ``untold_revocation`` (L7): a revocation by a process that cannot reach Redis and exits
  (``manage.py`` with Redis pointed at a closed port): every worker refuses the token within
  ``GENERATION_SECONDS``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.reliability_checks import TALLY, Result, api_me, pair, revoke
from bench.reliability_env import PY, ROOT, Server, free_port


def every_worker(servers: list[Server], token: str, path: str = "/api/me", each: int = 4) -> Counter[int]:
    """Answers of ``each`` requests per master: its workers take turns at the socket."""
    return Counter(TALLY.call(s, "GET", path, token=token)[0] for s in servers for _ in range(each))


def race_use_revoke(servers: list[Server], rounds: int, clients: int = 6) -> Result:
    """H1: a revocation while ``clients`` threads use the hot token on both masters."""
    problems: list[str] = []
    during: Counter[int] = Counter()
    for round_ in range(rounds):
        token = pair(servers[0])["access_token"]
        every_worker(servers, token)  # hot on every worker
        stop = threading.Event()

        def use(index: int, token: str = token, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                during[api_me(servers[index % len(servers)], token)] += 1

        threads = [threading.Thread(target=use, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(0.01 * (round_ % 5))
        revoked = revoke(servers[round_ % len(servers)], token)
        stop.set()
        for thread in threads:
            thread.join(30)
        after = every_worker(servers, token)
        if revoked != 200 or after[200]:
            problems.append(f"round {round_}: revoke {revoked}, then {dict(after)}")
    return Result(
        "race: use vs revoke (H1)",
        not problems,
        f"rounds={rounds} clients={clients} answers-during={dict(sorted(during.items()))}"
        f" honoured-after={len(problems)}",
        problems,
    )


def stale_reads(servers: list[Server]) -> Result:
    """Each kind of change, made by a third process, refuses the next request on every worker."""
    from django.db import connection

    import perscom_oauth
    from perscom_oauth.models import Application, Organization

    def plan_by_queryset() -> Callable[[], None]:
        Organization.objects.filter(slug="demo").update(plan="basic")
        return lambda: Organization.objects.filter(slug="demo").update(plan="enterprise")

    def suspend_by_bulk_update() -> Callable[[], None]:
        app = Application.objects.get(client_id="bench-web")
        Application.objects.bulk_update([Application(pk=app.pk, enabled=False)], ["enabled"])
        return lambda: Application.objects.filter(pk=app.pk).update(enabled=True)

    def plan_by_raw_sql() -> Callable[[], None]:
        organization = Organization.objects.get(slug="demo")
        table = Organization._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET plan = 'basic' WHERE id = %s", [organization.pk])
        perscom_oauth.invalidate(organization=organization)
        return lambda: Organization.objects.filter(pk=organization.pk).update(plan="enterprise")

    def user_by_raw_sql() -> Callable[[], None]:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="bob")
        table = get_user_model()._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET is_active = false WHERE id = %s", [user.pk])
        perscom_oauth.invalidate(user=user)
        return lambda: get_user_model().objects.filter(pk=user.pk).update(is_active=True) and None

    def membership_cascade() -> Callable[[], None]:
        from perscom_oauth.models import Membership

        membership = Membership.objects.get(user__username="bob", organization__slug="demo")
        roles = list(membership.roles.all())
        fields = {"user": membership.user, "organization": membership.organization}
        membership.delete()
        return lambda: Membership.objects.create(**fields).roles.set(roles)

    changes: list[tuple[str, Callable[[], Callable[[], None]]]] = [
        ("queryset update", plan_by_queryset),
        ("bulk update", suspend_by_bulk_update),
        ("raw SQL + invalidate(organization)", plan_by_raw_sql),
        ("raw SQL + invalidate(user)", user_by_raw_sql),
        ("deletion", membership_cascade),
    ]
    problems: list[str] = []
    for label, change in changes:
        token = pair(servers[0])["access_token"]
        before = every_worker(servers, token)
        if set(before) != {200}:
            problems.append(f"{label}: {dict(before)} before the change")
        restore = change()
        after = every_worker(servers, token)
        if after[200]:
            problems.append(f"{label}: honoured {after[200]} times after the change")
        restore()
    return Result(
        "stale reads (3 processes)",
        not problems,
        f"changes={len(changes)} honoured-after={len(problems)}",
        problems,
    )


def untold_revocation(servers: list[Server], env: Any, bound: float) -> Result:
    """L7: ``manage.py`` revokes with Redis out of reach (a closed port) and exits."""
    token = pair(servers[0])["access_token"]
    before = every_worker(servers, token)
    closed = f"redis://127.0.0.1:{free_port()}/0"
    script = (
        "from oauth2_provider.models import get_access_token_model as m;"
        "from perscom_oauth.hashing import checksum;"
        "from perscom_oauth.tokens.revocation import revoke;"
        f"t=m().objects.filter(token_checksum=checksum({token!r}));"
        "o=t.get().application.organization_id;"
        "print(revoke(organization=o, access_tokens=t, actor_type='system'))"
    )
    environment = {**os.environ, **env.server_env(), "DATABASE_URL": env.direct_url(), "REDIS_URL": closed}
    done = subprocess.run(
        [PY, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    revoked_at = time.perf_counter()
    refused_after = None
    while time.perf_counter() - revoked_at < bound + 5:
        if not every_worker(servers, token, each=2)[200]:
            refused_after = time.perf_counter() - revoked_at
            break
        time.sleep(0.1)
    stays = every_worker(servers, token)
    problems = []
    if set(before) != {200} or "access_tokens=1" not in done.stdout:
        problems.append(
            f"before {dict(before)}; revocation: {done.stdout.strip()} {done.stderr.strip()[-300:]}"
        )
    if refused_after is None or refused_after > bound + 1 or stays[200]:
        problems.append(f"refused after {refused_after}, then {dict(stays)}")
    window = f"{refused_after * 1000:.0f} ms" if refused_after is not None else "never"
    return Result(
        "untold revocation (L7)",
        not problems,
        f"revoker could not reach Redis and exited; refused-everywhere-after={window} (bound {bound:.0f} s)",
        problems,
    )
