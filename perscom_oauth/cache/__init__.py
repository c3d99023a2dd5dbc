"""The shared cache of token and host state: what may be cached, under which tags, and what
makes an entry stale.

Owns: ``entries`` (the token and host entries, read in one round trip), ``cache.generations`` (the
organization generations and token nonces every entry is tagged with, moved by each change in its
own transaction), ``cache.invalidation`` (the model signals that move them), ``health`` (cache outages:
logged once, never fatal), ``shards`` (where the keys live: one Redis Cluster slot per request),
``backend`` (our Redis backend with atomic counters), ``cluster`` (the same on Redis Cluster) and
``sentinel`` (the same behind Redis Sentinel, each entry tagged with the primary it was read from).

Must not: decide whether a token is valid (``tokens.check`` does, from what it reads here); keep
anything per process that another process must see; let an entry outlive the state it was read
from. It sits below ``tenancy`` and ``tokens``, both of which read it; it imports neither.
"""
