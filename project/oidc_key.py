"""The demo's ID-token signing key: ``OIDC_RSA_PRIVATE_KEY`` from the environment, or a key
generated once into ``.oidc-demo-key.pem`` (git-ignored) so the demo runs with no set-up."""

from __future__ import annotations

import os
from pathlib import Path


def demo_signing_key(base_dir: Path) -> str:
    if os.environ.get("OIDC_RSA_PRIVATE_KEY"):
        return os.environ["OIDC_RSA_PRIVATE_KEY"]
    path = base_dir / ".oidc-demo-key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Written beside, then renamed: concurrent first starts never read half a key.
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pem)
        partial.replace(path)
    return path.read_text()
