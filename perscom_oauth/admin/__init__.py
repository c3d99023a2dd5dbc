"""The OAuth admin (issue #5): applications, authorizations, tokens and codes, the audit trail,
organizations.

Owns: ``administered`` and ``scoping`` (staff who are not superusers see and change only the
organizations they administer), ``application``, ``application_pages``, ``forms`` and
``widgets`` (client applications, their one-time secrets and scope picker), ``credentials`` and
``authorizations`` (tokens, codes and authorizations, listed and revoked), ``device`` (the
device grants of RFC 8628, listed and revoked), ``audit`` (the trail, read-only) and
``organization`` (organizations, domains, memberships), ``registration_policy`` (whether
clients may register themselves, per organization), ``initial_tokens`` (RFC 7591 initial
access tokens, issued once), ``signing_keys`` (each organization's ID-token signing keys and
their state, read-only); ``lists`` (list pages may read the read replica: docs/replicas.md).

Must not: change an application or a token but through the domain functions that also write
the audit trail (``applications``, ``tokens.revocation``); be imported by the security core or
``server``.
"""

# Importing them registers the admins.
from . import (  # noqa: F401
    application,
    audit,
    credentials,
    device,
    initial_tokens,
    organization,
    registration_policy,
    signing_keys,
)
