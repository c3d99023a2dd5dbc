"""The servers of bench/reliability.py: the demo as bench/e2e.py serves it, plus the 503 on a
database outage, and a brute-force throttle loose enough for races that are meant to fail
(25 concurrent refreshes of one token are 24 failures from one address by design)."""

import os

from bench.perscom_e2e_settings import *  # noqa: F403

PERSCOM_OAUTH = {**PERSCOM_OAUTH, "THROTTLE_FAILURES": 100_000, "THROTTLE_SOURCE_FAILURES": 100_000}  # noqa: F405

# RELIABILITY_GRACE_SECONDS=0 serves the strict refresh race (every repeat is reuse).
if os.environ.get("RELIABILITY_GRACE_SECONDS"):
    PERSCOM_OAUTH = {
        **PERSCOM_OAUTH,
        "REFRESH_TOKEN_DUPLICATE_SECONDS": int(os.environ["RELIABILITY_GRACE_SECONDS"]),
    }

# Signing keys (bench/reliability_signing.py): the JWKS's max-age is 2 s, so a new key is
# published 4 s (twice that: SIGNING_KEY_PUBLICATION_SECONDS's default) before it signs and
# rotations fit in the run. RELIABILITY_PUBLICATION_SECONDS overrides that delay (0 shows the
# rotation check failing). The key-encryption key is the demo's (derived from SECRET_KEY) unless
# RELIABILITY_SIGNING_KEKS lists others (comma-separated Fernet keys, the first encrypts): the
# KEK rotation restarts the servers with [new, old], then [new].
OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER,  # noqa: F405
    "OIDC_JWKS_MAX_AGE_SECONDS": int(os.environ.get("RELIABILITY_JWKS_MAX_AGE_SECONDS", "2")),
}
if os.environ.get("RELIABILITY_SIGNING_KEKS"):
    PERSCOM_OAUTH = {
        **PERSCOM_OAUTH,
        "SIGNING_KEY_ENCRYPTION_KEYS": os.environ["RELIABILITY_SIGNING_KEKS"].split(","),
    }
if os.environ.get("RELIABILITY_PUBLICATION_SECONDS"):
    PERSCOM_OAUTH = {
        **PERSCOM_OAUTH,
        "SIGNING_KEY_PUBLICATION_SECONDS": int(os.environ["RELIABILITY_PUBLICATION_SECONDS"]),
    }

# bench/reliability_distributed.py: a Redis Cluster (its startup nodes, host:port), or Redis
# behind Sentinel (host:port of each Sentinel).
REDIS_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
if os.environ.get("RELIABILITY_REDIS_CLUSTER"):
    CACHES = {
        "default": {
            "BACKEND": "perscom_oauth.cache.cluster.RedisClusterCache",
            "LOCATION": [f"redis://{node}" for node in os.environ["RELIABILITY_REDIS_CLUSTER"].split(",")],
            "OPTIONS": REDIS_OPTIONS,
        }
    }
elif os.environ.get("RELIABILITY_REDIS_SENTINELS"):
    CACHES = {
        "default": {
            "BACKEND": "perscom_oauth.cache.sentinel.RedisSentinelCache",
            "LOCATION": [f"redis://{node}" for node in os.environ["RELIABILITY_REDIS_SENTINELS"].split(",")],
            "OPTIONS": {"service_name": "perscom", **REDIS_OPTIONS},
        }
    }
