"""Access and refresh tokens and authorization codes: checked, revoked, expired and purged.

Owns: ``check`` (``check_access_token``, the one place a bearer token is checked),
``tokens.revocation`` (``revoke``, the one function every revocation goes through), ``credentials`` (a
password change revokes), ``tokens.refresh_expiry`` and ``tokens.refresh_reuse`` (a refresh family's lifetime
and reuse detection, RFC 9700 §4.14.2), ``tokens.grant_lookup`` (one read of a code being exchanged) and
``purge`` (``manage.py cleanup_oauth``).

Must not: import views, pages, OpenID Connect or the admin (import-linter's "security core"
contract); render anything; talk HTTP beyond parsing the header it is given.
"""
