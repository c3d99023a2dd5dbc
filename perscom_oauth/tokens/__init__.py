"""Access and refresh tokens, authorization codes and device codes: checked, revoked, expired
and purged.

Owns: ``check`` (``check_access_token``, the one place a bearer token is checked),
``revocation`` (``revoke``, the one function every revocation goes through), ``credentials`` (a
password change revokes), ``refresh_expiry`` and ``refresh_reuse`` (a refresh family's lifetime
and reuse detection, RFC 9700 §4.14.2), ``grant_lookup`` (one read of a code being exchanged),
``device`` (RFC 8628: user codes, a poll's state in one statement, the device's user) and
``purge`` (``manage.py cleanup_oauth``).

Must not: import views, pages, OpenID Connect or the admin (import-linter's "security core"
contract); render anything; talk HTTP beyond parsing the header it is given and answering a
device's poll with an RFC 6749 §5.2 body.
"""
