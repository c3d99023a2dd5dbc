"""How tokens and codes are stored: as their SHA-256 (RFC 9700 §4.14), never in clear."""

from __future__ import annotations

import hashlib


def checksum(value: str) -> str:
    """The base library's ``token_checksum``; also our authorization codes' stored form."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
