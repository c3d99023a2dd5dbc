"""The checks of bench/reliability.py. Each returns a ``Result``: one printed line with its
figures, failed when an invariant broke. Requests go over HTTP to real gunicorn servers
(bench/reliability_env.py); the script's own Django (same database) prepares and counts."""

from __future__ import annotations

import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.reliability_env import Server, json_body
from perscom_oauth.conf import DEFAULTS

#: The servers' window for retried refreshes (the demo's settings keep the default).
GRACE_SECONDS = int(str(DEFAULTS["REFRESH_TOKEN_DUPLICATE_SECONDS"]))

SECRET = "bench-e2e-client-secret-0123456789abcdef"  # bench/e2e_side.py's clients
CALLBACK = "http://127.0.0.1:8765/callback"


@dataclass
class Result:
    name: str
    ok: bool
    figures: str
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        tail = f" -- {'; '.join(p[:160] for p in self.problems[:3])}" if self.problems else ""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<34} {self.figures}{tail}"


@dataclass
class Tally:
    """Every HTTP answer of the run: requests sent, 5xx, the slowest."""

    sent: int = 0
    server_errors: int = 0
    max_latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, server: Server, *args: Any, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        started = time.perf_counter()
        status, headers, body = server.call(*args, **kwargs)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.sent += 1
            self.server_errors += status >= 500
            self.max_latency = max(self.max_latency, elapsed)
        return status, headers, body


TALLY = Tally()


def make_codes(count: int) -> list[dict[str, str]]:
    from bench.e2e_side import make_codes as make

    return make(count)


def setup_clients() -> None:
    from bench.e2e_side import setup

    setup(0)


def token_request(server: Server, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of a token request; a body not sent as JSON counts as none
    (RFC 6749 §5.1, §5.2: a concurrent refusal once came as text/html)."""
    status, headers, body = TALLY.call(
        server, "POST", "/oauth/token", {**form, "client_id": "bench-web", "client_secret": SECRET}
    )
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return status, json_body(body) if is_json else {}


def exchange(server: Server, code: dict[str, str]) -> tuple[int, dict[str, Any]]:
    return token_request(server, {"grant_type": "authorization_code", "redirect_uri": CALLBACK, **code})


def refresh(server: Server, refresh_token: str) -> tuple[int, dict[str, Any]]:
    return token_request(server, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def revoke(server: Server, token: str) -> int:
    form = {"token": token, "client_id": "bench-web", "client_secret": SECRET}
    return TALLY.call(server, "POST", "/oauth/revoke", form)[0]


def api_me(server: Server, access_token: str) -> int:
    return TALLY.call(server, "GET", "/api/me", token=access_token)[0]


def pair(server: Server) -> dict[str, Any]:
    status, body = exchange(server, make_codes(1)[0])
    if status != 200:
        raise RuntimeError(f"code exchange failed: {status} {body}")
    return body


def at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    """``action(i)`` in ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action(index)
        except Exception as error:
            results[index] = (599, {"error": repr(error)})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def well_formed_error(status: int, body: dict[str, Any]) -> bool:
    """RFC 6749 §5.2: 400 (401 for client authentication) with a JSON ``error`` code."""
    return status in (400, 401) and isinstance(body.get("error"), str)


def usable_pairs(server: Server, issued: list[dict[str, Any]]) -> int:
    """How many of the issued pairs still work: the access token on the API, the refresh token
    at the token endpoint (checked last: it rotates)."""
    live_access = [body for body in issued if api_me(server, body["access_token"]) == 200]
    return len(live_access)


def live_refresh_tokens(family_of: str) -> int:
    from oauth2_provider.models import get_refresh_token_model

    from perscom_oauth.hashing import checksum

    model = get_refresh_token_model()
    first = model.objects.get(token_checksum=checksum(family_of))
    return model.objects.filter(token_family=first.token_family, revoked__isnull=True).count()


def race_refresh(
    servers: list[Server], count: int, rounds: int, strict: bool, resets_ok: bool = False
) -> Result:
    """N concurrent refreshes of one refresh token, spread over the servers' workers: exactly
    one 200, every other answer a well-formed 400, and the winner's pair the one usable pair.

    A request that arrives after the winner committed presents a rotated token. Within the
    grace period (the demo's 10 s) that is the client's own duplicate: refused, the family
    kept. ``strict`` (servers with REFRESH_TOKEN_DUPLICATE_SECONDS = 0): it is reuse (RFC
    9700 §4.14.2), the family is revoked and the audit log says so, so the winner's pair
    works exactly when no reuse was recorded."""
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    reused = 0
    for round_ in range(rounds):
        start = pair(servers[0])
        before = recorded("refresh_token_reused")
        answers = at_once(count, lambda i, t=start["refresh_token"]: refresh(servers[i % len(servers)], t))
        statuses.update(status for status, _ in answers)
        winners = one_winner(round_, answers, resets_ok, problems)
        family_revoked = recorded("refresh_token_reused") > before
        reused += family_revoked
        wanted = 0 if family_revoked and strict else 1
        if family_revoked and not strict:
            problems.append(f"round {round_}: a duplicate within the grace period revoked the family")
        usable = usable_pairs(servers[-1], winners)
        live = live_refresh_tokens(start["refresh_token"])
        if usable != wanted or live != wanted:
            problems.append(f"round {round_}: {usable} usable access tokens, {live} live refresh tokens")
    name = "race: refresh (no grace)" if strict else f"race: refresh (grace {GRACE_SECONDS} s)"
    figures = f"tried={count * rounds} ({rounds}x{count}) statuses={dict(sorted(statuses.items()))}"
    outcome = "winners/round=1" if strict else "winners/round=1 usable pairs/round=1"
    return Result(
        name, not problems, f"{figures} {outcome} family-revoked-by-reuse={reused}/{rounds}", problems
    )


def one_winner(
    round_: int, answers: list[tuple[int, Any]], resets_ok: bool, problems: list[str]
) -> list[dict[str, Any]]:
    """The 200 answers of one round of a race; a problem is noted unless there is exactly one
    and every other answer is a well-formed error."""
    winners = [body for status, body in answers if status == 200]
    bad = malformed(answers, resets_ok)
    if len(winners) != 1:
        problems.append(f"round {round_}: {len(winners)} answers 200")
    if bad:
        problems.append(f"round {round_}: {len(bad)} malformed, e.g. {bad[0]}")
    return winners


def malformed(answers: list[tuple[int, Any]], resets_ok: bool) -> list[tuple[int, Any]]:
    """Refusals that are not a well-formed error (a connection reset counts as one only under
    runserver, whose listen backlog drops connections before Django sees them)."""
    return [
        (status, body)
        for status, body in answers
        if status != 200 and not well_formed_error(status, body) and not (resets_ok and status == 599)
    ]


def recorded(event: str) -> int:
    from perscom_oauth.models import AuditEvent

    return AuditEvent.objects.filter(event=event).count()


def race_code(servers: list[Server], count: int, rounds: int, resets_ok: bool = False) -> Result:
    """N concurrent exchanges of one code: one token response, the rest invalid_grant. An
    exchange that arrives after the winner committed is a replay: RFC 6749 §4.1.2 revokes the
    winner's tokens then (and the audit log records it), so the winner's pair works exactly when
    no replay was recorded."""
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    revoked_by_replay = 0
    for round_ in range(rounds):
        code = make_codes(1)[0]
        replays_before = recorded("code_replayed")
        answers = at_once(count, lambda i, c=code: exchange(servers[i % len(servers)], c))
        statuses.update(status for status, _ in answers)
        winners = one_winner(round_, answers, resets_ok, problems)
        replayed = recorded("code_replayed") > replays_before
        revoked_by_replay += replayed
        if winners and usable_pairs(servers[-1], winners) != (0 if replayed else 1):
            problems.append(f"round {round_}: winner usable though replayed, or unusable though not")
    figures = f"tried={count * rounds} ({rounds}x{count}) statuses={dict(sorted(statuses.items()))}"
    outcome = f"winners/round=1 revoked-by-replay={revoked_by_replay}/{rounds}"
    return Result("race: code exchange", not problems, f"{figures} {outcome}", problems)


def race_revoke(servers: list[Server], rounds: int) -> Result:
    """A revocation racing refreshes of the same refresh token: afterwards nothing of the family
    works, whoever came first."""
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    for round_ in range(rounds):
        start = pair(servers[0])

        def act(i: int, token: str = start["refresh_token"]) -> tuple[int, dict[str, Any]]:
            server = servers[i % len(servers)]
            if i == 0:
                return revoke(server, token), {}
            return refresh(server, token)

        answers = at_once(4, act)
        statuses.update(status for status, _ in answers)
        if answers[0][0] != 200:
            problems.append(f"round {round_}: revoke answered {answers[0][0]}")
        bad = [(s, b) for s, b in answers[1:] if s != 200 and not well_formed_error(s, b)]
        if bad:
            problems.append(f"round {round_}: {bad[0]}")
        issued = [start] + [body for status, body in answers[1:] if status == 200]
        if usable_pairs(servers[-1], issued) or live_refresh_tokens(start["refresh_token"]):
            problems.append(f"round {round_}: a pair survived the revocation")
    figures = f"tried={rounds} (1 revoke + 3 refreshes) statuses={dict(sorted(statuses.items()))}"
    return Result("race: revoke vs refresh", not problems, f"{figures} survivors=0", problems)


# --- several processes, one truth ------------------------------------------------------------


def users_api(server: Server, access_token: str) -> int:
    return TALLY.call(server, "GET", "/api/users/", token=access_token)[0]


def one_truth(a: Server, b: Server, env: Any) -> Result:
    """A change made through one process is honoured by the very next request to another
    (separate gunicorn masters, shared PostgreSQL and Redis). Revocation goes through server A's
    revocation endpoint; the admin-side changes are made by this script's own Django process
    (a third process on the same database and Redis, as the admin's server would be)."""
    from django.contrib.auth.models import Permission

    from perscom_oauth.applications import set_enabled
    from perscom_oauth.models import Application, Membership, Organization

    def suspend() -> Callable[[], None]:
        app = Application.objects.get(client_id="bench-web")
        set_enabled(app, False)
        return lambda: set_enabled(Application.objects.get(client_id="bench-web"), True)

    def downgrade() -> Callable[[], None]:
        org = Organization.objects.get(slug="demo")
        org.plan = "basic"
        org.save()

        def restore() -> None:
            org.plan = "enterprise"
            org.save()

        return restore

    def remove_membership() -> Callable[[], None]:
        membership = Membership.objects.get(user__username="bob", organization__slug="demo")
        roles = list(membership.roles.all())
        fields = {"user": membership.user, "organization": membership.organization}
        membership.delete()

        def restore() -> None:
            Membership.objects.create(**fields).roles.set(roles)

        return restore

    def withdraw_permission() -> Callable[[], None]:
        membership = Membership.objects.get(user__username="bob", organization__slug="demo")
        permission = Permission.objects.get(codename="view_user")
        groups = list(membership.roles.filter(permissions=permission))
        for group in groups:
            group.permissions.remove(permission)

        def restore() -> None:
            for group in groups:
                group.permissions.add(permission)

        return restore

    problems: list[str] = []
    changes: list[tuple[str, Callable[[dict[str, Any]], Callable[[], None]]]] = [
        ("token revoked", lambda p: (revoke(a, p["access_token"]), lambda: None)[1]),
        ("application suspended", lambda p: suspend()),
        ("plan downgraded", lambda p: downgrade()),
        ("membership removed", lambda p: remove_membership()),
        ("permission withdrawn", lambda p: withdraw_permission()),
    ]
    for label, change in changes:
        issued = pair(a)
        before = (users_api(b, issued["access_token"]), users_api(a, issued["access_token"]))
        if before != (200, 200):
            problems.append(f"{label}: {before} before the change")
        restore = change(issued)
        after = users_api(b, issued["access_token"])
        if after not in (401, 403):
            problems.append(f"{label}: server B answered {after} on the next request")
        restore()
    return Result(
        "one truth (2 masters)",
        not problems,
        f"changes={len(changes)} honoured-after={len(problems)}",
        problems,
    )


# --- faults -------------------------------------------------------------------------------------


def redis_outage(servers: list[Server], env: Any) -> Result:
    """Our Redis stopped mid-run, a token revoked meanwhile, Redis back empty (flushed): token
    checks fall back to the database, the revoked token is refused throughout, no 5xx, each
    process warns once, and the cache is used again afterwards."""
    import redis as redis_client

    problems: list[str] = []
    hot, doomed = pair(servers[0]), pair(servers[0])
    for server in servers:  # cached in Redis now
        for issued in (hot, doomed):
            api_me(server, issued["access_token"])
    errors_before = TALLY.server_errors
    env.redis.stop()
    during = [api_me(s, hot["access_token"]) for s in servers for _ in range(5)]
    if revoke(servers[0], doomed["access_token"]) != 200:
        problems.append("revocation failed during the outage")
    stale = sum(api_me(s, doomed["access_token"]) == 200 for s in servers for _ in range(3))
    fresh = pair(servers[-1])  # tokens are still issued
    if set(during) != {200} or api_me(servers[0], fresh["access_token"]) != 200:
        problems.append(f"valid tokens refused during the outage: {Counter(during)}")
    env.redis.start()  # an empty server: a restart without persistence is a flush
    after = [api_me(s, hot["access_token"]) for s in servers for _ in range(3)]
    stale += sum(api_me(s, doomed["access_token"]) == 200 for s in servers for _ in range(3))
    if set(after) != {200}:
        problems.append(f"valid tokens refused after recovery: {Counter(after)}")
    cached = redis_client.Redis.from_url(env.redis.url).dbsize()
    logs = env.logs()
    warnings = logs.count("cache unreachable")
    recovered = logs.count("cache reachable again")
    workers = sum(len(s.worker_pids()) for s in servers)
    if not 1 <= warnings <= workers:
        problems.append(f"{warnings} outage warnings for {workers} workers")
    if not cached or not recovered:
        problems.append(f"cache not used after recovery (keys={cached}, recovered logs={recovered})")
    if stale:
        problems.append(f"{stale} answers honoured the revoked token")
    errors = TALLY.server_errors - errors_before
    figures = f"faults=1 stale-grants={stale} 5xx={errors} warnings={warnings}/{workers} workers"
    figures += f" keys-after={cached}"
    return Result("fault: redis down+flushed", not problems and not errors, figures, problems)


def database_outage(servers: list[Server], env: Any) -> Result:
    """The database cut away (every connection dropped, new ones refused) while token requests
    run: 503 + Retry-After (JSON) during the cut, never a 5xx other than 503, never a half-issued
    pair, and service back once the database is."""
    problems: list[str] = []
    codes = make_codes(400)
    statuses: Counter[int] = Counter()
    retry_after_missing = 0
    hot = pair(servers[0])

    deadline = time.monotonic() + 4.0  # 1 s before the cut, 1.5 s cut, 1.5 s after

    def during(i: int) -> None:
        nonlocal retry_after_missing
        server = servers[i % len(servers)]
        while time.monotonic() < deadline and codes:
            form = {"grant_type": "authorization_code", "client_id": "bench-web", "client_secret": SECRET}
            status, headers, body = server.call(
                "POST", "/oauth/token", {**form, "redirect_uri": CALLBACK, **codes.pop()}
            )
            statuses[status] += 1
            if status == 503 and (
                not headers.get("Retry-After") or json_body(body).get("error") != "temporarily_unavailable"
            ):
                retry_after_missing += 1
            status, headers, _ = server.call("GET", "/api/me", token=hot["access_token"])
            statuses[status] += 1
            if status == 503 and not headers.get("Retry-After"):
                retry_after_missing += 1

    threads = [threading.Thread(target=during, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    env.proxy.cut()
    time.sleep(1.5)
    env.proxy.heal()
    for thread in threads:
        thread.join(60)
    back = [api_me(s, pair(s)["access_token"]) for s in servers for _ in range(3)]
    if set(back) != {200}:
        problems.append(f"not back after the outage: {Counter(back)}")
    other = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
    if other:
        problems.append(f"server errors other than 503: {other}")
    if retry_after_missing:
        problems.append(f"{retry_after_missing} 503s without Retry-After or JSON error")
    half = half_issued()
    if half:
        problems.append(f"{half} half-issued tokens")
    figures = f"faults=1 statuses={dict(sorted(statuses.items()))} half-issued={half}"
    figures += f" recovered={set(back) == {200}}"
    return Result("fault: database cut", not problems, figures, problems)


def redis_paused(servers: list[Server], env: Any) -> Result:
    """Redis paused (SIGSTOP: a partition, not a flush) while a token is revoked. The client's
    socket timeouts (perscom_oauth.W005) keep requests bounded and the database decides
    meanwhile. The revocation could not mark the cached entry stale: once Redis answers again,
    the new cache epoch (perscom_oauth/cache/health.py) keeps every server from honouring it.

    Measured: how soon after Redis's return every worker refuses the token, and how many
    requests were served from the old entry before (a worker that never saw the outage can be
    answered by Redis before the revoking worker's new epoch is: the window SECURITY.md
    names). It fails if the window exceeds 2 s or the entry is ever honoured after it."""
    import signal

    hot, doomed = pair(servers[0]), pair(servers[0])
    for server in servers:
        for issued in (hot, doomed):
            api_me(server, issued["access_token"])
    errors_before = TALLY.server_errors
    assert env.redis.process is not None
    env.redis.process.send_signal(signal.SIGSTOP)
    slowest = 0.0
    try:
        during = []
        for server in servers:
            started = time.perf_counter()
            during.append(api_me(server, hot["access_token"]))
            slowest = max(slowest, time.perf_counter() - started)
        revoked = revoke(servers[0], doomed["access_token"])
        stale_during = sum(api_me(s, doomed["access_token"]) == 200 for s in servers)
    finally:
        env.redis.process.send_signal(signal.SIGCONT)
        resumed = time.perf_counter()
    # The workers that never saw the outage read the cache at once: how long until the new
    # epoch (started by the revoking worker's own thread) keeps all of them from the old entry?
    converged, stale_after, early = None, 0, 0
    while time.perf_counter() - resumed < 5:
        honoured = sum(api_me(s, doomed["access_token"]) == 200 for s in servers for _ in range(3))
        if converged is None:
            early += honoured
        if honoured == 0 and converged is None:
            converged = time.perf_counter() - resumed
        elif honoured and converged is not None:
            stale_after += honoured  # honoured again after it had stopped: an entry came back
        if converged is not None and time.perf_counter() - resumed > converged + 1:
            break
    errors = TALLY.server_errors - errors_before
    problems = []
    if set(during) != {200} or revoked != 200:
        problems.append(f"during the pause: {Counter(during)}, revocation {revoked}")
    window = f"{converged * 1000:.0f} ms" if converged is not None else "never"
    if stale_during or stale_after or errors or slowest > 5 or converged is None or converged > 2:
        problems.append(
            f"stale during pause={stale_during}, after={early}+{stale_after},"
            f" refused everywhere after {window},"
            f" 5xx={errors}, slowest={slowest:.1f} s"
        )
    return Result(
        "fault: redis paused",
        not problems,
        f"faults=1 stale-grants={stale_during + stale_after} 5xx={errors} slowest={slowest * 1000:.0f} ms"
        f" refused-everywhere-after-return={window} (served from the old entry before: {early})",
        problems,
    )


def half_issued() -> int:
    """Access tokens of the code flow without their refresh token, or the reverse."""
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    access = get_access_token_model().objects.filter(application__client_id="bench-web")
    refresh = get_refresh_token_model().objects.filter(
        application__client_id="bench-web", revoked__isnull=True
    )
    return (
        access.filter(refresh_token__isnull=True).count() + refresh.filter(access_token__isnull=True).count()
    )


def restart(servers: list[Server], env: Any) -> Result:
    """Issued, rotated and revoked state survives a restart of every server (and of Redis)."""
    problems: list[str] = []
    issued = pair(servers[0])
    rotated_from = pair(servers[0])
    rotated = refresh(servers[0], rotated_from["refresh_token"])[1]
    rotated_at = time.monotonic()
    revoked = pair(servers[0])
    revoke(servers[0], revoked["refresh_token"])
    for server in servers:
        server.stop()
    env.redis.stop()
    env.redis.start()
    for server in servers:
        server.start()
    target = servers[-1]
    # Within the grace period a repeat of the old refresh token is taken as the client's own
    # duplicate (refused, family kept): present it once the period is over, when it is reuse.
    time.sleep(max(0.0, GRACE_SECONDS + 1 - (time.monotonic() - rotated_at)))
    expectations = [
        ("issued works", api_me(target, issued["access_token"]), 200),
        ("rotated pair works", api_me(target, rotated["access_token"]), 200),
        ("old access token dead", api_me(target, rotated_from["access_token"]), 401),
        ("old refresh token refused", refresh(target, rotated_from["refresh_token"])[0], 400),
        ("revoked access dead", api_me(target, revoked["access_token"]), 401),
        ("revoked refresh refused", refresh(target, revoked["refresh_token"])[0], 400),
    ]
    for label, got, wanted in expectations:
        if got != wanted:
            problems.append(f"{label}: {got}")
    # The old refresh token's reuse revoked its family (RFC 9700 §4.14.2): the rotated pair too.
    if api_me(target, rotated["access_token"]) != 401:
        problems.append("reuse of a rotated refresh token after restart did not revoke its family")
    return Result(
        "restart",
        not problems,
        f"states checked={len(expectations) + 1} lost=0" if not problems else "",
        problems,
    )


# --- load -----------------------------------------------------------------------------------


@dataclass
class LoadFigures:
    requests: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    audit_expected: Counter[str] = field(default_factory=Counter)


def mixed_load(servers: list[Server], seconds: float, threads: int, figures: LoadFigures) -> None:
    """Each thread keeps pairs of its own: exchanges codes (token issue), refreshes its pair,
    calls the API with a hot token, and now and then revokes a pair. Every answer is expected
    to succeed: anything else is an unexpected error."""
    import random

    codes = make_codes(int(seconds * 25) + 50)
    lock = threading.Lock()
    hot = pair(servers[0])["access_token"]
    figures.audit_expected["token_issued"] += 1
    deadline = time.monotonic() + seconds

    def note(kind: str, ok: bool, detail: str, audit: str = "") -> None:
        with lock:
            figures.requests[kind] += 1
            if not ok:
                figures.unexpected.append(f"{kind}: {detail}")
            elif audit:
                figures.audit_expected[audit] += 1

    def next_code() -> dict[str, str] | None:
        with lock:
            return codes.pop() if codes else None

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            server = rng.choice(servers)
            roll = rng.random()
            if mine is None or roll < 0.25:
                code = next_code()
                if code is None:
                    return
                status, body = exchange(server, code)
                note("issue", status == 200, f"{status} {body}", "token_issued")
                mine = body if status == 200 else mine
            elif roll < 0.45:
                status, body = refresh(server, mine["refresh_token"])
                note("refresh", status == 200, f"{status} {body}", "token_refreshed")
                mine = body if status == 200 else None
            elif roll < 0.5:
                status = revoke(server, mine["refresh_token"])
                note("revoke", status == 200, str(status), "tokens_revoked")
                mine = None
            else:
                status = api_me(server, hot)
                note("api (hot token)", status == 200, str(status))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 120)


def audit_counts(since: Any) -> Counter[str]:
    from perscom_oauth.models import AuditEvent

    rows = AuditEvent.objects.filter(created__gte=since, application__client_id="bench-web")
    return Counter(rows.values_list("event", flat=True))


def load(servers: list[Server], seconds: float, threads: int) -> list[Result]:
    from django.utils import timezone

    mixed_load(servers, min(5.0, seconds / 4), threads, LoadFigures())  # warm-up: imports, caches
    rss_before = {pid: mib for s in servers for pid, mib in s.worker_rss_mib().items()}
    since = timezone.now()
    figures = LoadFigures()
    started = time.monotonic()
    mixed_load(servers, seconds, threads, figures)
    elapsed = time.monotonic() - started
    rss_after = {pid: mib for s in servers for pid, mib in s.worker_rss_mib().items()}
    found = audit_counts(since)
    total = sum(figures.requests.values())
    growth = max((rss_after[pid] - rss_before[pid] for pid in rss_after if pid in rss_before), default=0.0)
    lost = {e: (n, found[e]) for e, n in figures.audit_expected.items() if found[e] != n}
    audit_line = " ".join(f"{e}={n}/{found[e]}" for e, n in sorted(figures.audit_expected.items()))
    return [
        Result(
            "load",
            not figures.unexpected,
            f"{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s, {threads} clients) "
            f"{dict(figures.requests)} unexpected={len(figures.unexpected)}",
            figures.unexpected[:3],
        ),
        Result("audit rows expected=found", not lost, audit_line, [f"lost: {lost}"] if lost else []),
        Result(
            "memory growth per worker",
            growth < 15,
            f"max {growth:+.1f} MiB over {len(rss_after)} workers (RSS {min(rss_after.values()):.0f}"
            f"-{max(rss_after.values()):.0f} MiB)",
        ),
    ]


# --- hostile input ------------------------------------------------------------------------------

FUZZ_PATHS = [
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/authorize"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
    ("GET", "/oauth/introspect"),
    ("GET", "/oauth/userinfo"),
    ("POST", "/oauth/userinfo"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/oauth/jwks"),
    ("GET", "/oauth/logout"),
    ("POST", "/oauth/logout"),
    ("GET", "/oauth/authorized-apps/"),
    ("GET", "/.well-known/oauth-protected-resource"),
    ("GET", "/.well-known/oauth-protected-resource/api"),
    ("POST", "/oauth/device_authorization"),
    ("GET", "/oauth/device"),
    ("POST", "/oauth/device"),
    ("GET", "/api/me"),
    ("GET", "/api/users/"),
    ("POST", "/api/users/"),
    ("GET", "/api/ranks/"),
    ("GET", "/api/awards/"),
]
FUZZ_NAMES = [
    "grant_type", "code", "redirect_uri", "client_id", "client_secret", "refresh_token", "scope",
    "token", "token_type_hint", "response_type", "state", "code_verifier", "code_challenge",
    "code_challenge_method", "resource", "username", "password", "nonce", "id_token_hint",
    "post_logout_redirect_uri", "prompt", "max_age",
]  # fmt: skip


def fuzz_value(rng: Any) -> str:
    choices = [
        lambda: "",
        lambda: "x" * rng.choice([1, 255, 256, 2000, 70_000]),
        lambda: "".join(chr(rng.randrange(0, 0x2FFF)) for _ in range(rng.randrange(1, 40))),
        lambda: rng.choice(
            ["authorization_code", "refresh_token", "client_credentials", "password", "implicit"]
        ),
        lambda: rng.choice(["bench-web", "bench-m2m", "demo-web", "nobody", "bench-web\x00"]),
        lambda: "%" + rng.choice(["zz", "c3", "00", "ff"]),
        lambda: "\ud800",
        lambda: rng.choice([CALLBACK, "javascript:alert(1)", "http://[::1", CALLBACK + "#x"]),
    ]
    return rng.choice(choices)()


def fuzz_request(rng: Any) -> tuple[str, str, bytes | None, dict[str, str]]:
    method, path = rng.choice(FUZZ_PATHS)
    pairs = [(rng.choice(FUZZ_NAMES), fuzz_value(rng)) for _ in range(rng.randrange(0, 8))]
    if rng.random() < 0.3:
        pairs += pairs  # duplicated parameters
    from urllib.parse import quote

    encoded = "&".join(f"{quote(n)}={quote(v, errors='surrogatepass')}" for n, v in pairs)
    if rng.random() < 0.1:
        encoded += "&%ZZ=%%&=&&%FF%C3%28"  # broken percent-escapes, bytes that are not UTF-8
    headers: dict[str, str] = {}
    roll = rng.random()
    if roll < 0.3:
        headers["Authorization"] = rng.choice(
            ["Basic", "Basic !!!", "Basic YmVuY2gtd2Vi", "Basic " + "A" * 9000, "Bearer", "Bearer x y",
             "Bearer " + "x" * 5000, "Digest a=b", "Basic Og==", "Basic YmVuY2gtd2ViOg=="]
        )  # fmt: skip
    if rng.random() < 0.15:
        headers["Host"] = rng.choice(["evil.example", "localhost:99999", "", "xn--bad", "a" * 300])
    if method == "GET":
        return method, f"{path}?{encoded}" if encoded else path, None, headers
    content_type = rng.choice(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data"]
    )
    headers["Content-Type"] = content_type
    return method, path, encoded.encode("utf-8", "surrogatepass"), headers


def fuzz(servers: list[Server], count: int, seed: int = 13) -> Result:
    import random

    rng = random.Random(seed)
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    slowest = 0.0
    for _ in range(count):
        method, path, body, headers = fuzz_request(rng)
        started = time.perf_counter()
        try:
            status, answer_headers, content = TALLY.call(
                rng.choice(servers), method, path, body=body, headers=headers
            )
        except Exception as error:
            problems.append(f"{method} {path[:60]}: {error!r}")
            continue
        slowest = max(slowest, time.perf_counter() - started)
        statuses[status] += 1
        if status >= 500:
            problems.append(f"{status} {method} {path[:80]} {headers}")
        elif (
            status == 400
            and path.startswith("/oauth/token")
            and "json" in answer_headers.get("Content-Type", "")
        ):
            if not isinstance(json_body(content).get("error"), str):
                problems.append(f"400 without an error code: {content[:100]!r}")
    figures = f"requests={count} statuses={dict(sorted(statuses.items()))} slowest={slowest * 1000:.0f} ms"
    return Result("hostile input", not problems and slowest < 10, figures, problems)


def runserver_races(env: Any, count: int, rounds: int) -> list[Result]:
    """The issue's runserver findings (500s, deadlocks, max_connections exhausted): the same
    races against Django's threaded development server, with the demo's default CONN_MAX_AGE
    (0: a connection per request, closed after it). Its listen backlog is 10: some of 25
    simultaneous connections are reset before Django sees them (599 in the figures), a
    development server's limit, not an answer."""
    before = env.server_connections()  # the gunicorn workers' persistent ones
    server = env.start_server("runserver", 0, DJANGO_CONN_MAX_AGE="0")
    try:
        results = [
            race_refresh([server], count, rounds, strict=False, resets_ok=True),
            race_code([server], count, rounds, resets_ok=True),
        ]
        for result in results:
            result.name = result.name.replace("race:", "runserver:")
        time.sleep(0.5)  # the last request threads finish
        held = env.server_connections() - before
        figures = f"held after {2 * count * rounds} racing requests={held}"
        results.append(Result("runserver: connections", held <= 2, figures))
        return results
    finally:
        server.stop()
        env.servers.remove(server)


def run_plan(plan: list[tuple[str, Callable[[], list[Result] | Result]]], only: str) -> list[Result]:
    """Run the checks of ``plan`` whose names start with one of ``only``'s (comma-separated;
    empty: all), printing each result's line as it comes."""
    wanted = [w for w in only.split(",") if w]
    results: list[Result] = []
    for name, run in plan:
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        try:
            outcome = run()
        except Exception as error:  # one broken check must not hide the others
            traceback.print_exc()
            outcome = Result(name, False, f"raised {type(error).__name__}: {error}")
        for result in outcome if isinstance(outcome, list) else [outcome]:
            results.append(result)
            print(result.line(), flush=True)
    return results


def close(env: Any, results: list[Result]) -> None:
    """Tear the environment down; after a failed check, show the servers' log first."""
    if any(not r.ok for r in results):
        errors = [line for line in env.logs().splitlines() if "Invalid request from" not in line]
        print("--- server log tail ---\n" + "\n".join(errors[-60:]))
    env.close()
