"""APIs on other servers: a separate Django service that accepts an organization's access tokens
by asking the organization's RFC 7662 introspection endpoint (docs/remote-resource-servers.md).

A service imports these modules without ``perscom_oauth`` (or django-oauth-toolkit) in its
``INSTALLED_APPS``: nothing here touches a model, a table or the token cache of the
authorization server.

Owns: ``conf`` (the service's ``PERSCOM_OAUTH_REMOTE`` setting, one authorization server per
host), ``introspection`` (the RFC 7662 client and its short cache, keyed by the token's SHA-256),
``audience`` (RFC 8707 audiences, django-oauth-toolkit's prefix rule), ``check`` (a request's
bearer token as ``RemoteToken``, or why it is refused), and the twins of the in-process
surface: ``authentication`` (DRF), ``permissions`` (``ScopePermissions``), ``exceptions`` (the
403 challenge) and ``decorators`` (``scopes_required``).

Must not: import the models, the token, tenancy, cache, scopes or server layers, the adapter, or
anything that needs the authorization server's database (import-linter's
``remote-stands-alone``); let a request through when the authorization server cannot answer
(fail closed: 503); keep a token, rather than its SHA-256, in the cache.
"""
