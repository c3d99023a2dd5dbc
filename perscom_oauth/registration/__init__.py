"""Clients nobody registered by hand: Client ID Metadata Documents and Dynamic Client
Registration (RFC 7591/7592), per organization.

Owns: each organization's registration policy (``policy``), what a self-identified client may
be (public or confidential, its scopes, its review state), fetching metadata documents through
the base library's hardened fetcher (``documents``), the RFC 7591/7592 registration endpoints
(``dynamic``), what a registering client may say and be (``metadata``), initial access tokens
(``initial_tokens``).
Must not: check tokens (``tokens.check`` does) or revoke anything but through
``tokens.revocation``; render pages (the consent screen reads ``policy``, it does not live here).
"""
