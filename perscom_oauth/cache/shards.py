"""Where the token cache's keys live: every key the hot path reads names one of ``SHARDS``
shards, chosen from the request's host name, in a Redis hash tag.

Redis Cluster keeps each key in one of 16,384 slots and refuses a command whose keys are in
several (CROSSSLOT); it hashes only the part of a key between the first ``{`` and the next
``}`` when there is one. A protected request reads, in one ``get_many`` (``cache.entries``),
its host's entry and generation, the epoch, and its token's entry and nonce: all five carry the
host name's shard tag (``{po:7}``), so they share a slot and the read stays one ``MGET`` to one
node. What is per shard rather than per host:

- the **epoch** (``cache.health``): one key per shard, all written with the same value in one
  call when a process starts a new epoch;
- a token's **nonce** (``cache.generations``): a token may be presented at any host name of
  its organization, so a revocation writes a fresh nonce under every shard (``SHARDS`` keys
  per token: revocations are rare, reads are hot); a request adds one in its own shard only;
- a token's **entry** (``cache.entries``): stored in the shard of the host it was presented
  at, tagged with that shard's nonce and epoch and that host's generation.

A fixed number of shards (rather than one tag per host name) keeps the cost of those writes
bounded whatever the number of hosts, and spreads the hot path over 16 slots (a 3-master
cluster made by ``redis-cli --cluster create`` holds 6, 6 and 4 of them). Without a cluster
the tags are only part of the key.
"""

from __future__ import annotations

import hashlib

#: How many hash tags the hot path's keys are spread over. Changing it moves every key (bump
#: ``VERSION`` with it): a nonce written under the old count would not be read under the new.
SHARDS = 16
#: Part of every key of the token cache: entries of an older layout are never read.
VERSION = "v4"


def shard_of(hostname: str) -> int:
    """The shard of a host name: stable across processes and deploys (not Python's ``hash``)."""
    return int.from_bytes(hashlib.sha256(hostname.encode()).digest()[:4], "big") % SHARDS


def key(shard: int, *parts: str) -> str:
    """A cache key in ``shard``'s hash tag: ``perscom_oauth:v4:{po:7}:host:example.com``."""
    return ":".join(("perscom_oauth", VERSION, f"{{po:{shard}}}", *parts))
