"""OpenID Connect: claims and ID tokens, discovery, and RP-initiated logout.

Owns: ``claims`` (claims by scope, ``prompt`` and ``max_age`` rules, ID-token lifetime; OpenID
Connect Core §5.4, §3.1.2.1), ``discovery`` (OpenID Connect Discovery and RFC 8414 metadata, per
organization) and ``logout`` (RP-Initiated Logout 1.0).

Must not: be imported by the security core (``tokens``, ``tenancy``, ``http``).
"""
