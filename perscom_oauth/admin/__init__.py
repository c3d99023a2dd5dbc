"""The OAuth admin (issue #5): applications, authorizations, tokens and codes, the audit trail,
organizations. Staff who are not superusers see only the organizations they administer
(``scoping``); every change goes through the domain functions that also write the audit trail.
"""

from . import application, audit, credentials, organization  # noqa: F401  (register the admins)
