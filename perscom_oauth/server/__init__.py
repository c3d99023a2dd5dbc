"""What we plug into django-oauth-toolkit and oauthlib, through their supported hooks.

Owns: ``validator`` (``OAUTH2_VALIDATOR_CLASS``: organizations, plans, effective scopes,
lifetimes, reuse detection, audit) and ``backend`` (``OAUTH2_BACKEND_CLASS``: carries the
request's organization into oauthlib's request, ``perscom_oauth.carried``).

Must not: re-implement protocol logic the base library or oauthlib has; check a bearer token
itself (it asks ``tokens.check``); render pages.
"""
