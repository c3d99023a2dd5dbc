"""perscom-oauth: an OAuth 2.0 authorization server for multi-tenant Django dashboards.

Where each concept lives (one module each):

==================  =========================================================================
tenancy             ``tenancy`` (organization of a request's host), ``carried`` (what travels
                    into oauthlib's request), ``adapter`` (the host project's tenants, plans,
                    members and permissions)
plans               ``adapter.has_oauth``; every endpoint's gate: ``tenancy.gates.TenantGateMixin``
scopes              ``scopes`` (the registry: permissions as ``view:user``, ...)
effective scopes    ``scopes.effective`` (what a user, application and token may do now)
token check         ``tokens.check.check_access_token``, the one place a bearer token is checked;
                    ``cache.entries``, ``cache.generations``, ``cache.invalidation`` and ``querysets`` keep it
                    fast and correct (``perscom_oauth.invalidate`` below)
validator           ``server.validator`` (django-oauth-toolkit's ``OAUTH2_VALIDATOR_CLASS``),
                    ``tokens.grant_lookup``, ``hashing``, ``tokens.refresh_expiry``, ``tokens.refresh_reuse``;
                    ``compat`` (the base library's private methods we call, pinned)
revocation          ``tokens.revocation.revoke``, the one function every revocation goes through;
                    ``credentials`` (a password change revokes)
audit               ``audit.record`` (sent as ``signals.audit_event`` after commit)
OpenID Connect      ``oidc`` (claims, prompt and max_age rules, ID-token lifetime),
                    ``discovery``, ``logout``
throttle            ``tenancy.throttle`` (client authentication), ``parameters`` (request limits)
purge               ``purge`` (``manage.py cleanup_oauth``)
applications        ``applications`` (domain functions), ``application_rules`` (what
                    ``Application.clean()`` enforces), ``web_urls`` (links shown to members)
pages               ``views`` (authorize, token, revoke, introspect, userinfo), ``pages`` and
                    ``templatetags`` (consent and other pages), ``pages.account``,
                    ``http.responses`` (error answers), ``numbers`` (primary keys from a URL)
admin               ``admin`` (``admin.administered``: the organizations a staff user runs)
DRF                 ``contrib.rest_framework``; plain views: ``decorators.scopes_required``
settings, checks    ``conf`` (``PERSCOM_OAUTH``), ``defaults`` (``OAUTH2_PROVIDER``), ``checks``
types               ``typing``: names for annotations only (``User``, ``Organization``, tokens,
                    oauthlib's request), imported under ``TYPE_CHECKING``
==================  =========================================================================
"""

# The one place the version is written: pyproject.toml reads it ([tool.setuptools.dynamic]).
# Keep this module import-light (no Django import): building and `perscom_oauth.__version__`
# must work without Django settings, or Django.
__version__ = "0.2.0"


def invalidate(
    *,
    organization: object = None,
    user: object = None,
    application: object = None,
    hostnames: tuple[str, ...] | list[str] = (),
) -> None:
    """Tell perscom-oauth that something its cached answers depend on changed where it cannot
    see it: a queryset ``update()`` or raw SQL on your own models, your own membership, role,
    plan or host tables. Call it inside the transaction that makes the change; every process
    refuses or narrows the tokens concerned on its next request (docs/token-cache.md).

    ``organization`` (an instance or primary key): anything about it or its members;
    ``user`` (instance or primary key): their permissions or active flag, everywhere;
    ``application``: its settings; ``hostnames``: hosts that no longer answer for the
    organization they did. Costs one ``UPDATE`` per organization, whatever its number of
    tokens."""
    from .cache.generations import invalidate as invalidate_generations

    invalidate_generations(
        organization=organization,  # type: ignore[arg-type]  # checked there; kept import-light here
        user=user,  # type: ignore[arg-type]
        application=application,  # type: ignore[arg-type]
        hostnames=hostnames,
    )
