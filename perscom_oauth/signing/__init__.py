"""Per-organization ID-token signing keys: stored encrypted, published in each issuer's JWKS,
rotated without a relying party ever meeting a key it cannot find (OIDC Core §10.1.1).

Owns: the key-encryption keys (``encryption``, ``PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"]``),
``SigningKey`` and its state as a function of the clock (``models``), which key signs and which
keys are published, with the global ``OIDC_RSA_PRIVATE_KEY`` as a compatibility path (``keys``),
``manage.py rotate_signing_keys`` and the re-encryption of every key (``rotation``).
Must not: import ``perscom_oauth.models`` (the models import this package for
``Application.jwk_key``), ``server``, views, pages or the admin; keep a key in the process.
"""
