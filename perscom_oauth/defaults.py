"""Django-oauth-toolkit settings that perscom-oauth needs, for the host's ``OAUTH2_PROVIDER``.

This module imports nothing from Django, so a settings module can use it::

    from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS
    OAUTH2_PROVIDER = {**OAUTH2_PROVIDER_DEFAULTS, "ACCESS_TOKEN_EXPIRE_SECONDS": 1800}

System check ``perscom_oauth.E003`` reports a required entry that is missing or changed.
"""


def access_token_lifetime(request: object) -> int:
    """Seconds an access token lives: the application's own lifetime, else the setting."""
    from oauth2_provider.settings import oauth2_settings

    client = getattr(request, "client", None)
    seconds: int = (
        getattr(client, "access_token_lifetime", None) or oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    )
    return seconds


#: Entries perscom-oauth cannot work without (our hooks into django-oauth-toolkit).
REQUIRED = {
    "OAUTH2_VALIDATOR_CLASS": "perscom_oauth.server.validator.OAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "perscom_oauth.server.backend.OAuthLibCore",
    "SCOPES_BACKEND_CLASS": "perscom_oauth.scopes.PermissionScopes",
}

OAUTH2_PROVIDER_DEFAULTS = {
    **REQUIRED,
    # PERSCOM left tokens at the library default; one hour is today's norm (RFC 9700 §2.2).
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # ID tokens likewise (the base library's default is ten hours); per application:
    # `id_token_lifetime` (OIDC Core §2: a sign-in assertion, not a session).
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # The base library's own refresh-token expiry (it also drives `cleartokens`); our idle and
    # absolute limits (PERSCOM_OAUTH) are checked on top of it.
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    # RFC 9700 gates of the base library, all on: S256 only (§2.1.1), bearer tokens only in
    # the Authorization header (§4.3.2), `iss` in authorization responses (RFC 9207, §4.4),
    # tokens stored as checksums (§4.14).
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    # oauthlib calls token_expires_in(request) for every token: per-application lifetimes.
    "EXTRA_SERVER_KWARGS": {"token_expires_in": access_token_lifetime},
    # Reuse of a rotated refresh token revokes its whole family (RFC 9700 §4.14.2), except
    # within PERSCOM_OAUTH["REFRESH_TOKEN_DUPLICATE_SECONDS"]: then it is the client's own
    # duplicate (two tabs, a retry), refused without revoking anything (refresh_reuse).
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # The base library's grace period stays off: within it, it would hand the previous pair
    # out again, which checksum storage no longer has, so its check oauth2_provider.E001
    # refuses the two together under `check --deploy`. Our validator never reads it.
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # What the metadata documents advertise: exactly what the endpoints accept (RFC 8414 §2).
    # Implicit and password work only for applications of that type (RFC 9700 §2.1.2, §2.4).
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "implicit",
        "password",
        "client_credentials",
        "refresh_token",
        # RFC 8628, for applications of that type (tokens.device, views.device).
        "urn:ietf:params:oauth:grant-type:device_code",
    ],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code", "token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code", "token", "id_token", "id_token token"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    # OpenID Connect is opt-in: set OIDC_ENABLED and OIDC_RSA_PRIVATE_KEY (check E011).
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # Logout revokes the user's tokens of that organization itself (logout.LogoutView), through
    # the one revocation function; the base library's own sweep would cross tenants.
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    # Dynamic Client Registration (RFC 7591/7592) is decided per organization (its
    # RegistrationPolicy, off by default; registration.dynamic); this is the base library's
    # installation-wide switch under it. False: no organization can turn it on.
    "DCR_ENABLED": True,
}
