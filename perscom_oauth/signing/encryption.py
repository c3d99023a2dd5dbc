"""The key-encryption keys (KEKs) that keep signing keys encrypted at rest.

``PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"]`` is a list of Fernet keys (``Fernet.generate_key()``:
32 random bytes, URL-safe base64). The first encrypts; every one decrypts (``MultiFernet``), so a
KEK is rotated without downtime: add the new one last and deploy, move it first and deploy (a
server not yet updated still decrypts what an updated one encrypts), run ``manage.py
rotate_signing_keys --reencrypt``, then drop the old one (docs/openid-connect.md).
An empty list means no per-organization keys: the global
``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` signs, as before (``keys.legacy_pems``).

Nothing is cached: a changed setting (``override_settings``, a redeploy) is read at the next call.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..conf import oauth_settings


class KeyEncryptionError(Exception):
    """A signing key cannot be decrypted (its KEK is not configured) or no KEK is usable."""


def configured() -> list[str]:
    return list(oauth_settings.SIGNING_KEY_ENCRYPTION_KEYS)


def managed() -> bool:
    """Whether organizations have signing keys of their own (a KEK is configured)."""
    return bool(configured())


def malformed() -> list[int]:
    """The positions (from 1) of the configured KEKs that are no Fernet key."""
    found = []
    for position, key in enumerate(configured(), start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            found.append(position)
    return found


def _fernet() -> MultiFernet:
    keys = configured()
    if not keys:
        raise KeyEncryptionError('PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] is empty.')
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never the value itself in the message: it is a secret.
        raise KeyEncryptionError(
            'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] holds a value that is no Fernet key.'
        ) from exc


def encrypt(secret: bytes) -> str:
    """``secret`` encrypted (and authenticated) with the first KEK: a Fernet token, as text."""
    return _fernet().encrypt(secret).decode("ascii")


def decrypt(token: str) -> bytes:
    """The secret of a token from ``encrypt``, with whichever configured KEK made it."""
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise KeyEncryptionError("No configured key-encryption key decrypts this signing key.") from exc


def reencrypt(token: str) -> str:
    """The same secret encrypted with the first KEK (the old KEK is no longer needed for it)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise KeyEncryptionError("No configured key-encryption key decrypts this signing key.") from exc
