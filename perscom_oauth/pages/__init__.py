"""What people see: the consent screen's words, the error page, "Authorized applications".

Owns: ``context`` (the consent and sign-in pages' wording, for views and template overrides
alike), ``errors`` (the error page and ``PageRefusalMixin``), ``account`` (the page where a user
sees and revokes the apps they authorized), ``authorizations`` (its read model, shared with the
admin) and ``forms`` (the consent form).

Must not: be imported by the security core; decide anything the server must enforce (a page
only shows what ``scopes.effective`` and ``tokens`` decided).
"""
