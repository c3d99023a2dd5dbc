"""The demo's ID-token signing set-up: per-organization keys, encrypted with a key-encryption
key derived from ``SECRET_KEY`` so the demo runs with no set-up.

Demo only: a KEK derived from another secret is only as strong as that secret, and changes
with it (every stored key would then fail to decrypt: check perscom_oauth.E035). Production
settings read the KEK from the environment (``project/settings_production.py``).
"""

from __future__ import annotations

import base64
import hashlib


def demo_key_encryption_key(secret_key: str) -> str:
    """A Fernet key (32 bytes, URL-safe base64) derived from ``secret_key``."""
    digest = hashlib.sha256(b"perscom-oauth demo signing-key KEK\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")
