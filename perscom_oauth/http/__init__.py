"""HTTP itself, with no knowledge of organizations or tokens: the lowest layer of the security core.

Owns: ``headers`` (the Authorization header and client credentials, RFC 6749 §2.3, RFC 6750 §2.1),
``parameters`` (limits on what a request may carry), ``responses`` (RFC 6749 §5.2 error bodies,
never cached), ``challenges`` (the RFC 6750 §3 ``WWW-Authenticate`` challenge, with RFC 9728's
``resource_metadata``), ``numbers`` (primary keys from a URL) and ``outage`` (a database outage
is a 503).

Must not: import anything of the package but ``conf``; render pages.
"""
