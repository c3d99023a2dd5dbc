"""The signing keys' checks of bench/reliability.py (docs/openid-connect.md, "Signing keys"), with
real processes: the two gunicorn masters, ``manage.py rotate_signing_keys`` run as an operator
would (a subprocess with the servers' settings and database), and strict relying parties.

A relying party here is a thread that obtains ID tokens continuously (a code exchange, then
refresh-token grants with the ``openid`` scope, from either server) and validates each one as a
strict one would: the organization's JWKS fetched over HTTP (its ``jwks_uri`` from discovery) and
cached for exactly the response's ``max-age``, never refetched on an unknown ``kid`` (the case
the publication delay exists for), then the signature with that key only, ``alg``, ``iss``,
``aud`` and ``exp`` (jwcrypto). The servers run with a JWKS max-age of 2 s, so a new key is
published 4 s before it signs (bench/reliability_settings.py).

- ``signing: rotation under load``: three rotations, each waited for (its successors seen
  signing) before the next; no token ever fails, every key is seen signing, none before its
  ``active_from``, and the tokens of every superseded key still verify with a fresh JWKS.
- ``signing: KEK rotation (rolling)``: the servers restarted one at a time with the KEKs
  [new, old] while the load goes on, ``rotate_signing_keys --reencrypt``, every stored private
  key then decrypted by the new KEK alone (none was before), the servers restarted one at a time
  with [new] only. A request that reaches a server while it restarts gets no HTTP answer (the
  connection is refused, or reset if it was queued when the listener closed, never half
  processed): the relying party fails over to the other server, as a load balancer would, and
  the figures count it; every request is answered by one or the other.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.reliability_checks import CALLBACK, SECRET, TALLY, Result
from bench.reliability_env import PY, ROOT, Server, json_body

#: The relying parties' clients, one per ID-token algorithm of the organization's keys.
CLIENTS = {"RS256": "bench-rp-rs256", "ES256": "bench-rp-es256"}
ORGANIZATION = "demo"  # the organization of the "localhost" host the servers are called with
#: The servers' and the operator's key-encryption keys, when not the demo's (reliability_settings).
KEKS_VARIABLE = "RELIABILITY_SIGNING_KEKS"
ROTATIONS = 3
CODES_PER_PARTY = 12


def setup_rp_clients() -> None:
    from oauth2_provider.models import get_application_model

    from perscom_oauth.models import Organization

    model = get_application_model()
    organization = Organization.objects.get(slug=ORGANIZATION)
    for algorithm, client_id in CLIENTS.items():
        model.objects.filter(client_id=client_id).delete()
        model.objects.create(
            client_id=client_id,
            client_secret=SECRET,
            name=client_id,
            client_type=model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
            redirect_uris=CALLBACK,
            algorithm=algorithm,
            organization=organization,
        )


def make_codes(client_id: str, count: int) -> list[dict[str, str]]:
    """Authorization codes for ``openid``, as the consent step would leave them (PKCE S256)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from oauth2_provider.models import get_application_model, get_grant_model

    app = get_application_model().objects.get(client_id=client_id)
    user = get_user_model().objects.get(username="bob")
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
            scope="openid view:user",
            code_challenge=challenge.decode(),
            code_challenge_method="S256",
        )
        codes.append({"code": code, "code_verifier": verifier})
    return codes


# --- the relying parties ----------------------------------------------------------------------


@dataclass
class Seen:
    """What every relying party observed, shared between their threads."""

    validated: Counter[str] = field(default_factory=Counter)  # per algorithm
    by_server: Counter[str] = field(default_factory=Counter)  # tokens validated per server
    first_signed: dict[str, float] = field(default_factory=dict)  # kid: wall-clock first iat seen
    last_token: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # kid: token, alg, client
    current: dict[str, str] = field(default_factory=dict)  # algorithm: the kid of its latest token
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    failovers: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    jwks_fetches: int = 0
    max_age: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, problem: str) -> None:
        with self.lock:
            self.failures.append(problem)


class RelyingParty(threading.Thread):
    def __init__(
        self, index: int, algorithm: str, servers: list[Server], seen: Seen, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.index, self.algorithm, self.client_id = index, algorithm, CLIENTS[algorithm]
        self.servers, self.seen, self.stop = servers, seen, stop
        self.codes = make_codes(self.client_id, CODES_PER_PARTY)
        self.turn = index
        self.issuer, self.jwks_path = discover(servers, seen)
        self.jwks: Any = None
        self.jwks_expires = 0.0

    # Requests: round robin over the servers; one that gives no HTTP answer is skipped.
    def call(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, Server] | None:
        with self.seen.lock:
            self.seen.requests += 1
        self.turn += 1
        for attempt in range(3 * len(self.servers)):
            server = self.servers[(self.turn + attempt) % len(self.servers)]
            try:
                status, headers, body = TALLY.call(server, method, path, form)
            except (OSError, http.client.HTTPException) as error:
                with self.seen.lock:
                    self.seen.failovers[type(error).__name__] += 1
                if attempt + 1 >= len(self.servers):
                    time.sleep(0.2)  # every server tried: both restarting would be a bug
                continue
            return status, headers, body, server
        with self.seen.lock:
            self.seen.unanswered += 1
        return None

    def token(self, form: dict[str, str]) -> tuple[dict[str, Any], Server] | None:
        form = {**form, "client_id": self.client_id, "client_secret": SECRET}
        answer = self.call("POST", "/oauth/token", form)
        if answer is None:
            return None
        status, _headers, body, server = answer
        if status != 200 or "id_token" not in json_body(body):
            self.seen.fail(f"{self.client_id} {form['grant_type']} on {server.name}: {status} {body[:160]!r}")
            return None
        return json_body(body), server

    def keys(self) -> Any:
        """The JWKS, from the cache while its max-age lasts; fetched over HTTP once it expired."""
        from jwcrypto import jwk

        if self.jwks is not None and time.monotonic() < self.jwks_expires:
            return self.jwks
        answer = self.call("GET", self.jwks_path)
        if answer is None or answer[0] != 200:
            self.seen.fail(f"JWKS: {answer[0] if answer else 'unanswered'}")
            return self.jwks
        _status, headers, body, _server = answer
        found = re.search(r"max-age=(\d+)", headers.get("Cache-Control", ""))
        max_age = int(found[1]) if found else 0
        self.jwks = jwk.JWKSet.from_json(body)
        self.jwks_expires = time.monotonic() + max_age  # from the response's arrival: the longest
        with self.seen.lock:
            self.seen.jwks_fetches += 1
            self.seen.max_age.add(max_age)
        return self.jwks

    def validate(self, token: str, server: Server) -> None:
        from jwcrypto import jws, jwt

        try:
            signed = jws.JWS()
            signed.deserialize(token)
            header = signed.jose_header
            kid = header.get("kid", "")
            if header.get("alg") != self.algorithm:
                raise ValueError(f"alg {header.get('alg')}, registered {self.algorithm}")
            keys = self.keys()
            key = keys.get_key(kid) if keys is not None and kid else None
            if key is None:  # a strict relying party does not refetch the JWKS for it
                left = self.jwks_expires - time.monotonic()
                raise ValueError(f"unknown kid {kid[:10]} (cached JWKS, {left:.1f} s of max-age left)")
            claims = json.loads(
                jwt.JWT(
                    jwt=token,
                    key=key,
                    algs=[self.algorithm],
                    check_claims={"iss": self.issuer, "aud": self.client_id, "exp": None},
                ).claims
            )
        except Exception as error:
            self.seen.fail(f"{self.algorithm} token from {server.name}: {error}")
            return
        with self.seen.lock:
            self.seen.validated[self.algorithm] += 1
            self.seen.by_server[server.name] += 1
            self.seen.first_signed.setdefault(kid, float(claims["iat"]))
            self.seen.last_token[kid] = (token, self.algorithm, self.client_id)
            self.seen.current[self.algorithm] = kid

    def run(self) -> None:
        pair: dict[str, Any] | None = None
        try:
            while not self.stop.is_set():
                if pair is None:
                    if not self.codes:
                        self.seen.fail(f"{self.client_id}: out of authorization codes")
                        return
                    code = self.codes.pop()
                    got = self.token({"grant_type": "authorization_code", "redirect_uri": CALLBACK, **code})
                else:
                    got = self.token({"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
                pair = got[0] if got else None
                if got:
                    self.validate(got[0]["id_token"], got[1])
        except Exception as error:  # a bug of this script: reported, not hidden
            self.seen.fail(f"relying party {self.index} crashed: {error!r}")


def discover(servers: list[Server], seen: Seen) -> tuple[str, str]:
    """The issuer and the path of its ``jwks_uri`` (OpenID Connect Discovery)."""
    for server in servers:
        try:
            status, _headers, body = TALLY.call(server, "GET", "/.well-known/openid-configuration")
        except OSError:
            continue
        document = json_body(body)
        if status == 200 and document.get("jwks_uri"):
            return str(document["issuer"]), re.sub(r"^https?://[^/]+", "", str(document["jwks_uri"]))
    raise RuntimeError("no server answered discovery")


class Load:
    """Relying parties of both algorithms, running until ``stop()``."""

    def __init__(self, servers: list[Server], parties: int) -> None:
        self.seen, self.halt = Seen(), threading.Event()
        algorithms = list(CLIENTS)
        self.parties = [
            RelyingParty(i, algorithms[i % len(algorithms)], servers, self.seen, self.halt)
            for i in range(max(2, parties))
        ]

    def __enter__(self) -> Load:
        for party in self.parties:
            party.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        for party in self.parties:
            party.join(90)

    def wait(self, what: str, predicate: Callable[[Seen], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.seen.lock:
                if predicate(self.seen):
                    return True
            time.sleep(0.05)
        self.seen.fail(f"timed out after {seconds:.0f} s waiting for {what}")
        return False


def operator(env: Any, *arguments: str, keks: list[str] | None = None) -> str:
    """``manage.py rotate_signing_keys`` as an operator runs it: the servers' settings and
    database, and the KEKs ``keks`` when given (as deployed on the servers at that moment)."""
    extra = {KEKS_VARIABLE: ",".join(keks)} if keks else {}
    done = subprocess.run(
        [PY, "manage.py", "rotate_signing_keys", *arguments],
        cwd=ROOT,
        env={**env.server_env(), **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"rotate_signing_keys {' '.join(arguments)}: {done.stderr[-400:]}")
    return done.stdout


def verifiable(load: Load, kid: str) -> bool:
    """Whether the last token ``kid`` signed verifies with a freshly fetched JWKS."""
    from jwcrypto import jwk, jwt

    token, algorithm, client_id = load.seen.last_token[kid]
    party = load.parties[0]
    answer = party.call("GET", party.jwks_path)
    if answer is None or answer[0] != 200:
        return False
    try:
        jwt.JWT(
            jwt=token,
            key=jwk.JWKSet.from_json(answer[2]),
            algs=[algorithm],
            check_claims={"iss": party.issuer, "aud": client_id, "exp": None},
        )
    except Exception:
        return False
    return True


# --- the checks -------------------------------------------------------------------------------


def rotation(servers: list[Server], env: Any, parties: int) -> Result:
    from perscom_oauth.signing.keys import publication_seconds

    setup_rp_clients()
    problems: list[str] = []
    errors_before = TALLY.server_errors
    started = time.monotonic()
    rotations, old_verifiable, superseded = 0, 0, []
    early: list[str] = []
    delay = publication_seconds()
    with Load(servers, parties) as load:
        load.wait("tokens of both algorithms", lambda s: set(s.current) == set(CLIENTS), 30)
        for _ in range(ROTATIONS):
            with load.seen.lock:
                before = dict(load.seen.current)
            output = operator(env, "--organization", ORGANIZATION)
            successors = {
                m[1]: (m[2], datetime.fromisoformat(m[3]).timestamp())
                for m in re.finditer(r"(RS256|ES256) key (\S+) published, signs from (\S+)", output)
            }
            if set(successors) != set(CLIENTS):
                problems.append(f"rotation {rotations + 1}: {output.strip()[:200]}")
                break
            new_kids = {kid for kid, _ in successors.values()}
            if not load.wait(
                f"rotation {rotations + 1}'s keys signing",
                lambda s, k=new_kids: k <= set(s.current.values()),
                delay + 20,
            ):
                break
            rotations += 1
            for kid, active_from in successors.values():
                if load.seen.first_signed[kid] < int(active_from):  # iat is whole seconds
                    early.append(kid)
            for kid in before.values():  # superseded now: its tokens must still verify
                superseded.append(kid)
                old_verifiable += verifiable(load, kid)
        load.wait("a few tokens of the last keys", lambda s: sum(s.validated.values()) > 20, 10)
    seen = load.seen
    elapsed = time.monotonic() - started
    # At the end, with a fresh JWKS: every key that signed, the superseded ones included.
    still = sum(verifiable(load, kid) for kid in seen.last_token)
    signed_kids = Counter(alg for _token, alg, _client in seen.last_token.values())
    errors = TALLY.server_errors - errors_before
    if rotations < ROTATIONS:
        problems.append(f"{rotations}/{ROTATIONS} rotations completed")
    if early:
        problems.append(f"{len(early)} key(s) signed before their active_from")
    if old_verifiable != len(superseded) or still != len(seen.last_token):
        problems.append(
            f"superseded keys' tokens verifiable {old_verifiable}/{len(superseded)}, "
            f"at the end {still}/{len(seen.last_token)}"
        )
    if seen.unanswered or seen.failovers:
        problems.append(f"unanswered={seen.unanswered} failovers={dict(seen.failovers)}")
    problems += seen.failures
    figures = (
        f"tokens validated={sum(seen.validated.values())} ({dict(seen.validated)}) in {elapsed:.0f} s"
        f" from {len(seen.by_server)} servers by {len(load.parties)} relying parties,"
        f" rotations={rotations}, kids seen signing={len(seen.last_token)} ({dict(signed_kids)}),"
        f" superseded still verifiable={old_verifiable}/{len(superseded)} (at the end {still}/"
        f"{len(seen.last_token)}), JWKS fetches={seen.jwks_fetches} (max-age {sorted(seen.max_age)} s,"
        f" publication {delay} s), failures={len(seen.failures)} 5xx={errors}"
    )
    return Result("signing: rotation under load", not problems and not errors, figures, problems)


def kek_rotation(servers: list[Server], env: Any, parties: int) -> Result:
    import os

    from cryptography.fernet import Fernet, InvalidToken

    from perscom_oauth.signing import encryption
    from perscom_oauth.signing.models import SigningKey

    setup_rp_clients()
    old = os.environ.get(KEKS_VARIABLE, "").split(",") if os.environ.get(KEKS_VARIABLE) else []
    old = old or encryption.configured()  # the demo's KEK (derived from SECRET_KEY)
    new = Fernet.generate_key().decode()
    problems: list[str] = []
    errors_before = TALLY.server_errors
    started = time.monotonic()

    def decrypting_with_new_alone() -> tuple[int, int]:
        stored = list(SigningKey.objects.exclude(private_key="").values_list("private_key", flat=True))
        alone = 0
        for ciphertext in stored:
            try:
                Fernet(new).decrypt(ciphertext.encode())
                alone += 1
            except InvalidToken:
                pass
        return alone, len(stored)

    restarts: list[float] = []  # seconds from a server's stop to its first answer

    def roll(keks: list[str], load: Load) -> None:
        """Each server restarted in turn (the other one serving meanwhile); once it is back, the
        load must get ID tokens from it, signed with keys it decrypts."""
        for server in servers:
            server.env[KEKS_VARIABLE] = ",".join(keks)
            stopped = time.monotonic()
            server.stop()
            server.start()
            restarts.append(time.monotonic() - stopped)
            with load.seen.lock:
                served = load.seen.by_server[server.name]
            load.wait(
                f"ID tokens from {server.name} after its restart",
                lambda s, n=served, name=server.name: s.by_server[name] >= n + 5,
                30,
            )

    with Load(servers, parties) as load:
        load.wait("tokens from both servers", lambda s: len(s.by_server) == len(servers), 30)
        roll([new, *old], load)
        before = decrypting_with_new_alone()
        output = operator(env, "--reencrypt", keks=[new, *old])
        found = re.search(r"re-encrypted (\d+) signing key", output)
        reencrypted = int(found[1]) if found else -1
        after = decrypting_with_new_alone()
        if before[0] != 0 or after[0] != after[1] or reencrypted != after[1]:
            problems.append(
                f"decrypting with the new KEK alone: {before[0]}/{before[1]} before, "
                f"{after[0]}/{after[1]} after; re-encrypted={reencrypted}"
            )
        # From now on, servers started later (and the operator) use the new KEK alone too.
        os.environ[KEKS_VARIABLE] = new
        roll([new], load)
        with load.seen.lock:
            total = sum(load.seen.validated.values())
        load.wait(
            "more tokens with the new KEK alone", lambda s, n=total: sum(s.validated.values()) > n + 10, 10
        )
    seen = load.seen
    elapsed = time.monotonic() - started
    errors = TALLY.server_errors - errors_before
    if seen.unanswered:
        problems.append(f"{seen.unanswered} request(s) no server answered")
    problems += seen.failures
    figures = (
        f"restarts={len(restarts)} (KEKs [new, old], then [new]; each down"
        f" {min(restarts):.1f}-{max(restarts):.1f} s) in {elapsed:.0f} s,"
        f" tokens validated={sum(seen.validated.values())} ({dict(seen.validated)}),"
        f" re-encrypted={reencrypted}, decrypt with the new KEK alone before={before[0]}/{before[1]}"
        f" after={after[0]}/{after[1]}, requests={seen.requests} answered={seen.requests - seen.unanswered}"
        f" failed over={sum(seen.failovers.values())} {dict(seen.failovers)},"
        f" failures={len(seen.failures)} 5xx={errors}"
    )
    return Result("signing: KEK rotation (rolling)", not problems and not errors, figures, problems)
