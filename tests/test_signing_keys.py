"""A signing key per organization, with rotation (issue 24, item 2), through the public surface:
ID tokens from the token endpoint, each issuer's JWKS, ``manage.py rotate_signing_keys``, the
system checks and the admin. Time is an explicit clock (``django.utils.timezone.now``)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from jwcrypto import jwk, jws, jwt

from perscom_oauth.checks import check_at_startup
from perscom_oauth.models import Application, Organization, SigningKey
from perscom_oauth.signing import rotation
from perscom_oauth.signing.keys import SIGNED_UNTIL_STEP
from tests.admin_support import admin_client, org_admin
from tests.conftest import make_member, role
from tests.factories import ApplicationFactory
from tests.oauth import OAuthClient, host_of
from tests.signing_support import JWKS, es256_claims, header, jwks, kids

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
#: The defaults: ID tokens live an hour; a new key waits twice the JWKS max-age (an hour).
LIFETIME = 3600
DELAY = 7200
SKEW = 300
STEP = SIGNED_UNTIL_STEP.total_seconds()


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every ``timezone.now()`` of the server (keys, tokens, codes) reads this clock."""
    fake = Clock()
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def id_token(oauth: OAuthClient, user: Any, application: Application) -> str:
    response = oauth.code_flow(user, application, scope="openid")
    assert response.status_code == 200, response.content
    token: str = response.json()["id_token"]
    return token


def verifies(token: str, keys: jwk.JWKSet, now: datetime | None = None) -> bool:
    """A relying party's check of the signature (and, at ``now``, of ``exp``)."""
    try:
        claims = json.loads(jwt.JWT(jwt=token, key=keys, check_claims={}).claims)
    except Exception:
        return False
    return now is None or claims["exp"] > now.timestamp()


@pytest.fixture
def bravo(other_org: Organization) -> tuple[OAuthClient, Any, Application]:
    user = make_member(other_org, "bravo-member", role("Administrator", "*"))
    return OAuthClient(host_of(other_org)), user, ApplicationFactory(organization=other_org)


def test_a_token_of_one_organization_never_verifies_with_anothers_jwks(
    oauth: OAuthClient, member: Any, app: Application, bravo: tuple[OAuthClient, Any, Application]
) -> None:
    bravo_oauth, bravo_member, bravo_app = bravo
    alpha_token, bravo_token = id_token(oauth, member, app), id_token(bravo_oauth, bravo_member, bravo_app)
    assert verifies(alpha_token, jwks(oauth)) and verifies(bravo_token, jwks(bravo_oauth))
    assert not verifies(alpha_token, jwks(bravo_oauth))
    assert not verifies(bravo_token, jwks(oauth))
    assert not kids(oauth) & kids(bravo_oauth)


def test_es256_id_tokens_verify_with_the_jwks(org: Organization, member: Any, oauth: OAuthClient) -> None:
    application = ApplicationFactory(organization=org, algorithm="ES256")
    assert es256_claims(oauth, id_token(oauth, member, application))["aud"] == application.client_id


def test_rotation_publishes_first_signs_later_and_retires_after_the_tokens_expire(
    clock: Clock, oauth: OAuthClient, member: Any, app: Application
) -> None:
    first = header(id_token(oauth, member, app))["kid"]  # the first key, made on demand
    call_command("rotate_signing_keys", organization=["alpha"], stdout=io.StringIO())
    (second,) = kids(oauth) - {first}
    assert kids(oauth) == {first, second}  # published at once...
    clock.advance(DELAY - 1)
    assert header(id_token(oauth, member, app))["kid"] == first  # ...but not signing yet
    clock.advance(2)
    assert header(id_token(oauth, member, app))["kid"] == second
    clock.advance(LIFETIME + SKEW - 2)
    assert kids(oauth) == {first, second}  # the first key's last tokens may still be live
    clock.advance(STEP + 2)  # its last token's exp, rounded up by signed_until's step
    assert kids(oauth) == {second}
    call_command("rotate_signing_keys", stdout=io.StringIO())
    assert SigningKey.objects.get(kid=first).private_key == ""  # erased: nothing needs it


def test_a_relying_party_validating_throughout_a_rotation_never_fails_a_valid_token(
    clock: Clock, oauth: OAuthClient, member: Any, app: Application
) -> None:
    # It fetches the JWKS when its copy is older than max-age (an hour) and checks every token
    # it holds that has not expired, every ten minutes, across a rotation and beyond.
    held: list[str] = [id_token(oauth, member, app)]
    cached, fetched = jwks(oauth), clock.now
    signed_by: set[str] = set()
    for step in range(40):
        if step == 3:
            call_command("rotate_signing_keys", stdout=io.StringIO())
        clock.advance(600)
        if (clock.now - fetched).total_seconds() >= 3600:
            cached, fetched = jwks(oauth), clock.now
        held.append(id_token(oauth, member, app))
        signed_by.add(header(held[-1])["kid"])
        for token in held:
            claims = json.loads(jws_payload(token))
            if claims["exp"] > clock.now.timestamp():
                assert verifies(token, cached, clock.now), f"step {step}: {header(token)['kid']}"
    assert len(signed_by) == 2  # the rotation happened within the run


def test_a_lifetime_lowered_before_a_rotation_never_retires_a_key_a_live_token_names(
    clock: Clock, oauth: OAuthClient, member: Any, app: Application
) -> None:
    app.id_token_lifetime = 4 * LIFETIME
    app.save()
    long_lived = id_token(oauth, member, app)  # expires in four hours
    app.id_token_lifetime = None  # back to the hour: the longest lifetime configured now
    app.save()
    call_command("rotate_signing_keys", stdout=io.StringIO())
    # Retiring from today's lifetimes alone would drop its key after DELAY + LIFETIME + SKEW.
    clock.advance(4 * LIFETIME - 2)
    assert verifies(long_lived, jwks(oauth), clock.now)
    clock.advance(SKEW + STEP + 2)  # its exp, the skew and signed_until's step have passed
    assert header(long_lived)["kid"] not in kids(oauth)


def test_a_lifetime_raised_while_the_old_key_still_signs_keeps_it_published(
    clock: Clock, oauth: OAuthClient, member: Any, app: Application
) -> None:
    first = header(id_token(oauth, member, app))["kid"]
    call_command("rotate_signing_keys", stdout=io.StringIO())  # retirement computed for an hour
    clock.advance(DELAY - 60)
    app.id_token_lifetime = 4 * LIFETIME
    app.save()
    late = id_token(oauth, member, app)  # the old key's last minute, living four hours
    assert header(late)["kid"] == first
    clock.advance(4 * LIFETIME - 2)  # hours after the retirement its rotation planned
    assert verifies(late, jwks(oauth), clock.now)


def jws_payload(token: str) -> str:
    signed = jws.JWS()
    signed.deserialize(token)
    return signed.objects["payload"].decode()


def test_the_database_never_holds_the_pem(settings: Any, oauth: OAuthClient) -> None:
    jwks(oauth)  # the organization's first keys
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT private_key FROM {SigningKey._meta.db_table}")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 2
    kek = Fernet(settings.PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"][0])
    for ciphertext in stored:
        pem = kek.decrypt(ciphertext.encode()).decode()
        assert "PRIVATE KEY" in pem
        # Neither the armour nor any line of the key's base64 (a random ciphertext may well
        # contain a short string such as "MII", the start of every DER key).
        assert not any(line in ciphertext for line in pem.splitlines() if len(line) >= 16)
        assert "PRIVATE KEY" not in ciphertext


def test_kek_rotation_reencrypts_every_key_and_the_old_kek_is_no_longer_needed(
    settings: Any, oauth: OAuthClient, member: Any, app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rotation, "BATCH", 1)  # the keys are read in batches: two of them here
    before = header(id_token(oauth, member, app))["kid"]
    old = settings.PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"][0]
    new = Fernet.generate_key().decode()
    ciphertexts = set(SigningKey.objects.values_list("private_key", flat=True))
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": [new, old]}
    call_command("rotate_signing_keys", reencrypt=True, stdout=io.StringIO())
    assert not ciphertexts & set(SigningKey.objects.values_list("private_key", flat=True))
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": [new]}
    assert "perscom_oauth.E035" not in [m.id for m in run_checks(databases=["default"])]
    token = id_token(oauth, member, app)
    assert header(token)["kid"] == before and verifies(token, jwks(oauth))


def check_ids(**kwargs: Any) -> list[str | None]:
    return [message.id for message in run_checks(**kwargs) if message.id == "perscom_oauth.E035"]


def test_a_lost_or_wrong_kek_is_a_system_check_error(settings: Any, oauth: OAuthClient) -> None:
    jwks(oauth)
    assert check_ids(databases=["default"]) == []
    settings.PERSCOM_OAUTH = {
        **settings.PERSCOM_OAUTH,
        "SIGNING_KEY_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    assert check_ids(databases=["default"]) == ["perscom_oauth.E035"]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    assert check_ids(databases=["default"]) == ["perscom_oauth.E035"]  # stored keys, no KEK


def test_a_lost_kek_stops_the_start_and_the_right_one_starts(settings: Any, oauth: OAuthClient) -> None:
    jwks(oauth)  # the organization's first keys, stored encrypted
    check_at_startup()
    settings.PERSCOM_OAUTH = {
        **settings.PERSCOM_OAUTH,
        "SIGNING_KEY_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    with pytest.raises(ImproperlyConfigured, match=r"perscom_oauth\.E035: 2 stored signing key\(s\)"):
        check_at_startup()


def test_gunicorn_refuses_to_boot_the_demo_without_its_kek(tmp_path: Path) -> None:
    """The demo's wsgi.py, as an operator starts it: a KEK that decrypts nothing (here, another
    SECRET_KEY, from which the demo derives its KEK) is a failed boot naming E035, not a server
    that answers 503 to every ID token."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SECRET_KEY")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["seed_demo"], ["rotate_signing_keys"]):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    env["DJANGO_SECRET_KEY"] = "another-secret-key-so-another-kek-0123456789-abcdefghijklmnop"
    gunicorn = [sys.executable, "-m", "gunicorn", "project.wsgi:application", "--bind", "127.0.0.1:0"]
    done = subprocess.run(gunicorn, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr[-2000:]  # gunicorn's "Worker failed to boot"
    assert "perscom_oauth.E035" in done.stderr and "Worker failed to boot" in done.stderr


def test_a_malformed_kek_is_a_system_check_error_and_never_shown(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": ["not-a-key"]}
    assert check_ids() == ["perscom_oauth.E035"]
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": "secret-value"}
    messages = [m for m in run_checks() if m.id == "perscom_oauth.E036"]
    assert messages and "secret-value" not in messages[0].msg


def test_an_undecryptable_key_is_a_503_not_a_stack_trace(
    settings: Any, oauth: OAuthClient, member: Any, app: Application
) -> None:
    id_token(oauth, member, app)
    settings.PERSCOM_OAUTH = {
        **settings.PERSCOM_OAUTH,
        "SIGNING_KEY_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    response = oauth.code_flow(member, app, scope="openid")
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert oauth.client().get(JWKS).status_code == 200  # public keys need no KEK


def test_the_global_key_signs_until_the_organizations_first_key_is_published_long_enough(
    settings: Any, clock: Clock, oauth: OAuthClient, member: Any, app: Application
) -> None:
    pem = jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": pem}
    legacy = jwk.JWK.from_pem(pem.encode()).thumbprint()
    token = id_token(oauth, member, app)
    assert header(token)["kid"] == legacy and verifies(token, jwks(oauth))
    (own,) = kids(oauth) - {legacy}  # published, waiting
    clock.advance(DELAY + 1)
    assert header(id_token(oauth, member, app))["kid"] == own
    assert legacy in kids(oauth)
    clock.advance(LIFETIME + SKEW)
    assert kids(oauth) == {own}


def test_the_command_names_unknown_organizations_and_needs_a_kek(settings: Any, org: Organization) -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command("rotate_signing_keys", organization=["nope"])
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    with pytest.raises(CommandError, match="SIGNING_KEY_ENCRYPTION_KEYS"):
        call_command("rotate_signing_keys")


def test_the_admin_lists_each_organizations_keys_never_the_private_key(
    oauth: OAuthClient, org: Organization, other_org: Organization
) -> None:
    jwks(oauth)
    OAuthClient(host_of(other_org)).client().get(JWKS)
    alpha_keys = list(SigningKey.objects.filter(organization=org))
    staff = admin_client(org_admin(org, "alpha-admin"))
    page = staff.get("/admin/perscom_oauth/signingkey/")
    assert page.status_code == 200
    text = page.content.decode()
    for key in SigningKey.objects.all():
        assert (key.kid[:12] in text) == (key.organization_id == org.pk)  # the list shows its start
        assert key.private_key not in text
    detail = staff.get(f"/admin/perscom_oauth/signingkey/{alpha_keys[0].pk}/change/")
    assert detail.status_code == 200 and alpha_keys[0].private_key not in detail.content.decode()
    assert "Signing" in detail.content.decode() and alpha_keys[0].kid in detail.content.decode()
    assert staff.get("/admin/perscom_oauth/signingkey/add/").status_code == 403
