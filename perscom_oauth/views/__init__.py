"""The OAuth 2.0 endpoints: authorize (the consent page), token, revoke, introspect, userinfo,
the device flow's, and the RFC 9728 metadata of the organization's APIs.

Owns: ``oauth``, django-oauth-toolkit's views behind our gates (``tenancy.gates``), throttle and
error shapes; ``device`` (RFC 8628: the device authorization endpoint, the verification and
confirmation pages); ``metadata``, the protected-resource documents. What their pages say is
in ``pages``.

Must not: be imported by anything but ``urls``; check tokens or scopes itself (it asks
``tokens.check`` and ``scopes.effective``).
"""
