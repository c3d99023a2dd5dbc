"""System checks: a misconfigured install is reported by ``manage.py check``, with a hint."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import DEFAULTS, SECRET_KEYS, Declaration, declarations, oauth_settings

#: What Django passes a check: the apps to check, or None for all.
AppConfigs = Sequence[AppConfig] | None

#: The tag of every check of ours: ``manage.py check --tag perscom_oauth`` runs only them.
TAG = "perscom_oauth"


@register(TAG, Tags.compatibility)
def check_settings(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Each key of ``PERSCOM_OAUTH`` against its declaration in ``conf.OAuthSettings`` (type
    and bounds, under the id declared there), then what a type cannot say."""
    user_settings = getattr(settings, "PERSCOM_OAUTH", {})
    if not isinstance(user_settings, dict):
        return [
            Error(
                "PERSCOM_OAUTH must be a dict.",
                hint="Set PERSCOM_OAUTH = {...} with the keys documented in docs/settings.md.",
                id="perscom_oauth.E001",
            )
        ]
    errors: list[CheckMessage] = [
        Error(
            f"PERSCOM_OAUTH has an unknown key {key!r}.",
            hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
            id="perscom_oauth.E013",
        )
        for key in sorted(set(user_settings) - set(DEFAULTS))
    ]
    declared = declarations()
    refused = [
        declared[key]
        for key in DEFAULTS
        if key in user_settings and not declared[key].accepts(user_settings[key])
    ]
    errors += [_declaration_error(found, user_settings[found.name]) for found in refused]
    # What a type cannot say, for accepted values (a refused one is replaced by its default).
    accepted = set(user_settings) - {found.name for found in refused}
    if "ADAPTER" in accepted:
        errors += _check_adapter(oauth_settings.ADAPTER)
    if "PLANS_WITH_OAUTH" in accepted and not oauth_settings.PLANS_WITH_OAUTH:
        errors.append(
            Warning(
                'PERSCOM_OAUTH["PLANS_WITH_OAUTH"] is empty: OAuth 2.0 is refused to every organization.',
                hint='List the plans that include OAuth 2.0, for example ["enterprise"].',
                id="perscom_oauth.W001",
            )
        )
    return errors


def _declaration_error(declared: Declaration, value: object) -> CheckMessage:
    default = DEFAULTS[declared.name]
    shown = f" ({default!r})" if default is None or isinstance(default, str | int) else ""
    shown_value = "something else (not shown: a secret)" if declared.name in SECRET_KEYS else repr(value)
    return Error(
        f'PERSCOM_OAUTH["{declared.name}"] must be {declared.describe()}; it is {shown_value}.',
        hint=f"Set {declared.describe()}, or leave the key out for its default{shown}: see docs/settings.md.",
        id=declared.check.id,
    )


def _check_adapter(path: str) -> list[CheckMessage]:
    from .adapter import OrganizationAdapter

    try:
        adapter_class = import_string(path)
    except (ImportError, TypeError, ValueError) as exc:
        problem = f"cannot be imported ({exc})"
    else:
        if isinstance(adapter_class, type) and issubclass(adapter_class, OrganizationAdapter):
            return []
        problem = "is not a subclass of perscom_oauth.adapter.OrganizationAdapter"
    return [
        Error(
            f'PERSCOM_OAUTH["ADAPTER"] = {path!r} {problem}.',
            hint="Name a subclass of perscom_oauth.adapter.OrganizationAdapter by its dotted path.",
            id="perscom_oauth.E002",
        )
    ]


@register(TAG, Tags.security)
def check_oauth2_provider(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Our hooks into django-oauth-toolkit must be installed, or tenants are not enforced."""
    from .defaults import REQUIRED
    from .models import Application

    errors: list[CheckMessage] = []
    configured = getattr(settings, "OAUTH2_PROVIDER", {})
    for key, expected in REQUIRED.items():
        value = configured.get(key) if isinstance(configured, dict) else None
        if not _is_subclass(value, expected):
            errors.append(
                Error(
                    f'OAUTH2_PROVIDER["{key}"] must be {expected} (or a subclass); it is {value!r}.',
                    hint="Start from OAUTH2_PROVIDER = {**perscom_oauth.defaults.OAUTH2_PROVIDER_DEFAULTS}.",
                    id="perscom_oauth.E003",
                )
            )
    if (
        isinstance(configured, dict)
        and configured.get("OIDC_ENABLED")
        and not configured.get("OIDC_RSA_PRIVATE_KEY")
        and not oauth_settings.SIGNING_KEY_ENCRYPTION_KEYS
    ):
        errors.append(
            Error(
                'OAUTH2_PROVIDER["OIDC_ENABLED"] is on but there is no signing key: neither '
                'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] (per-organization keys) nor '
                'OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] (one global key) is set.',
                hint="Set SIGNING_KEY_ENCRYPTION_KEYS to [Fernet.generate_key().decode()] from a secret "
                "store (docs/openid-connect.md, Signing keys); or, for one global RS256 key, "
                "OIDC_RSA_PRIVATE_KEY to the PEM text of `openssl genpkey -algorithm RSA`.",
                id="perscom_oauth.E011",
            )
        )
    try:
        application_model = apps.get_model(getattr(settings, "OAUTH2_PROVIDER_APPLICATION_MODEL", ""))
    except (LookupError, ValueError, TypeError):
        application_model = None
    if not (application_model and issubclass(application_model, Application)):
        errors.append(
            Error(
                "OAUTH2_PROVIDER_APPLICATION_MODEL must be perscom_oauth.Application (or a subclass).",
                hint='Set OAUTH2_PROVIDER_APPLICATION_MODEL = "perscom_oauth.Application".',
                id="perscom_oauth.E007",
            )
        )
    if getattr(settings, "OAUTH2_PROVIDER_GRANT_MODEL", "") != "perscom_oauth.Grant":
        errors.append(
            Error(
                "OAUTH2_PROVIDER_GRANT_MODEL must be perscom_oauth.Grant: authorization codes would "
                "otherwise be stored in clear (RFC 9700 §4.14).",
                hint='Set OAUTH2_PROVIDER_GRANT_MODEL = "perscom_oauth.Grant".',
                id="perscom_oauth.E012",
            )
        )
    return errors


def _is_subclass(value: object, expected_path: str) -> bool:
    try:
        value_class = import_string(value) if isinstance(value, str) else value
    except ImportError:
        return False
    expected = import_string(expected_path)
    return isinstance(value_class, type) and issubclass(value_class, expected)


@register(TAG, Tags.security)
def check_scopes(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """The permission <-> scope mapping must be one-to-one: collisions fail at startup."""
    from .scopes.registry import codename_for_scope, collect_scopes

    try:
        scopes = collect_scopes()
    except (LookupError, ValueError, TypeError) as exc:
        return [
            Error(
                f"The scope registry cannot be built: {exc}",
                hint='PERSCOM_OAUTH["SCOPE_MODELS"] lists "app_label" or "app_label.Model" entries, and '
                "every exposed permission codename reads verb_object.",
                id="perscom_oauth.E008",
            )
        ]
    errors: list[CheckMessage] = []
    by_name: dict[str, list[str]] = defaultdict(list)
    for scope in scopes:
        by_name[scope.name].append(scope.permission or "EXTRA_SCOPES")
        if scope.permission and codename_for_scope(scope.name) != scope.permission.partition(".")[2]:
            errors.append(
                Error(
                    f"Permission {scope.permission} becomes scope {scope.name!r}, which reads back as "
                    f"{codename_for_scope(scope.name)!r}: the mapping would be ambiguous.",
                    hint="Name custom permissions with a verb other than create/update (add_x and change_x "
                    "already map to create:x and update:x).",
                    id="perscom_oauth.E009",
                )
            )
    for name, sources in sorted(by_name.items()):
        if len(sources) > 1:
            errors.append(
                Error(
                    f"Scope {name!r} would stand for several permissions: {', '.join(sources)}.",
                    hint='Expose only one of these models in PERSCOM_OAUTH["SCOPE_MODELS"], or rename the '
                    "custom permission or extra scope.",
                    id="perscom_oauth.E010",
                )
            )
    return errors


@register(TAG, Tags.compatibility)
def check_rest_framework(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Without our exception handler, insufficient-scope 403s lack RFC 6750 §3.1's challenge."""
    if not apps.is_installed("rest_framework"):
        return []
    expected = "perscom_oauth.contrib.rest_framework.exception_handler"
    rest_framework = getattr(settings, "REST_FRAMEWORK", {})
    if not isinstance(rest_framework, dict):
        return [
            Error(
                f"REST_FRAMEWORK must be a dict; it is a {type(rest_framework).__name__}.",
                hint=f'Set REST_FRAMEWORK = {{"EXCEPTION_HANDLER": "{expected}", ...}}.',
                id="perscom_oauth.E014",
            )
        ]
    configured = rest_framework.get("EXCEPTION_HANDLER")
    if configured == expected:
        return []
    return [
        Warning(
            "REST_FRAMEWORK['EXCEPTION_HANDLER'] is not perscom-oauth's: a 403 for a token that lacks "
            "a scope will carry no WWW-Authenticate insufficient_scope challenge.",
            hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{expected}", or call it from your own handler '
            "(then silence perscom_oauth.W002).",
            id="perscom_oauth.W002",
        )
    ]


#: Cache backends whose entries one process cannot see in another.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(TAG, Tags.caches, deploy=True)
def check_shared_cache(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Cached token state and throttle counters must be seen by every process (token_cache)."""
    backend = getattr(settings, "CACHES", {}).get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES or not oauth_settings.TOKEN_CACHE_SECONDS:
        return []
    return [
        Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared between processes: "
            "with several server processes, a token revoked through one is still honoured by "
            "another until TOKEN_CACHE_SECONDS, and brute-force counters are per process.",
            hint="Use Django's Redis cache (django.core.cache.backends.redis.RedisCache) in "
            'production, or set PERSCOM_OAUTH["TOKEN_CACHE_SECONDS"] = 0 for a single process.',
            id="perscom_oauth.W003",
        )
    ]


@register(TAG, Tags.caches)
def check_adapter_hosts(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """An adapter that resolves hosts itself must say where each organization answers, or
    say that it cannot (``caches_hosts = False``): cached answers are invalidated by host name
    (generations)."""
    from .adapter import OrganizationAdapter, get_adapter

    try:
        adapter = type(get_adapter())
    except Exception:  # an adapter that cannot be imported is E002's to report
        return []
    if not issubclass(adapter, OrganizationAdapter):  # E002's too
        return []
    resolves_hosts = adapter.organization_for_host is not OrganizationAdapter.organization_for_host
    names_hosts = adapter.hostnames_of is not OrganizationAdapter.hostnames_of
    if not (
        adapter.caches_hosts and oauth_settings.TOKEN_CACHE_SECONDS and resolves_hosts and not names_hosts
    ):
        return []
    return [
        Warning(
            f"{adapter.__name__} resolves hosts itself (organization_for_host) but leaves "
            "hostnames_of to the Domain table: a change to an organization may not reach the "
            "cached answers of its hosts until GENERATION_SECONDS have passed.",
            hint="Override hostnames_of(organization_ids) to return {organization_pk: [host names]}, or set "
            "caches_hosts = False on the adapter (no caching: each request reads the database).",
            id="perscom_oauth.W007",
        )
    ]


OUTAGE_MIDDLEWARE = "perscom_oauth.http.outage.DatabaseOutageMiddleware"
# The 0.2 paths still load (deprecated shims): settings naming them are not misconfigured.
OUTAGE_MIDDLEWARES = (OUTAGE_MIDDLEWARE, "perscom_oauth.outage.DatabaseOutageMiddleware")
CLUSTER_CACHE = "perscom_oauth.cache.cluster.RedisClusterCache"
REDIS_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "perscom_oauth.cache.backend.RedisCache",
    "perscom_oauth.redis_cache.RedisCache",
    "perscom_oauth.cache.sentinel.RedisSentinelCache",
    CLUSTER_CACHE,
)


@register(TAG, Tags.security, deploy=True)
def check_database_outage_answer(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """A database outage should be a 503 the client retries, not a 500 (docs/deployment.md)."""
    if set(OUTAGE_MIDDLEWARES) & set(getattr(settings, "MIDDLEWARE", [])):
        return []
    return [
        Warning(
            "A database outage answers 500 Internal Server Error: clients cannot tell it from a bug "
            "and do not retry.",
            hint=f'Add "{OUTAGE_MIDDLEWARE}" to MIDDLEWARE: 503 with Retry-After, JSON on the OAuth '
            "endpoints and the API.",
            id="perscom_oauth.W004",
        )
    ]


@register(TAG, Tags.caches, deploy=True)
def check_redis_timeouts(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Falling back to the database when Redis is away only works if a call to it fails: the
    Redis client waits forever on a server that stopped answering, by default."""
    cache = getattr(settings, "CACHES", {}).get("default", {})
    if cache.get("BACKEND") not in REDIS_CACHES:
        return []
    options = cache.get("OPTIONS", {})
    missing = [name for name in ("socket_timeout", "socket_connect_timeout") if not options.get(name)]
    if not missing:
        return []
    return [
        Warning(
            f"The Redis cache has no {' or '.join(missing)}: a Redis server that stops answering "
            "(a network partition, a paused host) blocks every request instead of falling back to "
            "the database.",
            hint='Set CACHES["default"]["OPTIONS"] = {"socket_timeout": 0.5, '
            '"socket_connect_timeout": 0.5} (seconds).',
            id="perscom_oauth.W005",
        )
    ]


SENTINEL_CACHE = "perscom_oauth.cache.sentinel.RedisSentinelCache"


@register(TAG, Tags.caches, Tags.security)
def check_redis_topology(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Reads of token state must come from the primary: Django's Redis cache reads from every
    server of LOCATION after the first (replicas, which lag behind a revocation), and the
    Sentinel backend finds the primary by its service name."""
    cache = getattr(settings, "CACHES", {}).get("default", {})
    backend, location = cache.get("BACKEND"), cache.get("LOCATION", "")
    if backend == SENTINEL_CACHE and not cache.get("OPTIONS", {}).get("service_name"):
        return [
            Error(
                "The Sentinel cache has no service name: it cannot ask the Sentinels for the primary.",
                hint='Set CACHES["default"]["OPTIONS"]["service_name"] to the name the Sentinels '
                "monitor (sentinel monitor <name> ...).",
                id="perscom_oauth.E043",
            )
        ]
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    # The Sentinel and Cluster backends list Sentinels and startup nodes, and read primaries.
    if backend not in REDIS_CACHES or backend in (SENTINEL_CACHE, CLUSTER_CACHE) or len(servers) < 2:
        return []
    return [
        Error(
            "The Redis cache lists several servers: Django's Redis cache reads from the replicas "
            "among them, which may not have a revocation's invalidation yet.",
            hint="Name the primary alone in LOCATION, or put Redis behind Sentinel with "
            f'"BACKEND": "{SENTINEL_CACHE}" (docs/deployment.md).',
            id="perscom_oauth.E042",
        )
    ]


@register(TAG, Tags.caches)
def check_cluster_reads(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """A replica answers with what it has received so far: the token cache reads primaries only."""
    cache = getattr(settings, "CACHES", {}).get("default", {})
    options = cache.get("OPTIONS", {})
    if cache.get("BACKEND") != CLUSTER_CACHE or not (
        options.get("read_from_replicas") or options.get("load_balancing_strategy")
    ):
        return []
    return [
        Error(
            "The Redis Cluster cache reads from replicas (read_from_replicas or "
            "load_balancing_strategy): a replica that has not yet received a revocation's new "
            "nonce, or a change's generation, still answers with the old one, and the revoked "
            "token is honoured meanwhile.",
            hint='Remove both from CACHES["default"]["OPTIONS"]: every read then goes to the '
            "primary of its slot.",
            id="perscom_oauth.E041",
        )
    ]


@register(TAG, Tags.database, deploy=True)
def check_persistent_connections(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """Persistent connections outlive a database restart or failover: without health checks
    the first request of every worker afterwards fails."""
    messages: list[CheckMessage] = []
    for alias, database in getattr(settings, "DATABASES", {}).items():
        if database.get("CONN_MAX_AGE", 0) != 0 and not database.get("CONN_HEALTH_CHECKS", False):
            messages.append(
                Warning(
                    f"DATABASES[{alias!r}] keeps connections open (CONN_MAX_AGE="
                    f"{database.get('CONN_MAX_AGE')}) without CONN_HEALTH_CHECKS: after a database "
                    "restart each worker fails a request on its dead connection.",
                    hint=f'Set DATABASES["{alias}"]["CONN_HEALTH_CHECKS"] = True (or CONN_MAX_AGE = 0 '
                    "under threaded runserver).",
                    id="perscom_oauth.W006",
                )
            )
    return messages


@register(TAG, Tags.database)
def check_replica_router(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """``REPLICA_DATABASE`` and ``routers.ReplicaRouter`` go together (docs/replicas.md): an
    alias that is not there, a router that is missing or not last, or a router with nothing to
    route to."""
    from django.db import DEFAULT_DB_ALIAS

    from .routers import PATH

    replica = oauth_settings.REPLICA_DATABASE  # a value of another type is E038 of check_settings
    routers = list(getattr(settings, "DATABASE_ROUTERS", []))
    ours = [index for index, entry in enumerate(routers) if _is_replica_router(entry)]
    databases = getattr(settings, "DATABASES", {})
    messages: list[CheckMessage] = []
    if replica is not None and (replica == DEFAULT_DB_ALIAS or replica not in databases):
        problem = "is the primary itself" if replica == DEFAULT_DB_ALIAS else "is not an alias of DATABASES"
        messages.append(
            Error(
                f'PERSCOM_OAUTH["REPLICA_DATABASE"] = {replica!r} {problem}: there is no replica to read.',
                hint='Add the replica to DATABASES under an alias of its own (DATABASES["replica"] = {...}, '
                'with "TEST": {"MIRROR": "default"}) and name that alias, or leave the key out.',
                id="perscom_oauth.E038",
            )
        )
    if replica is not None and (not ours or ours[-1] != len(routers) - 1):
        problem = (
            "is not in DATABASE_ROUTERS: nothing reads the replica"
            if not ours
            else "is not last in DATABASE_ROUTERS: it answers every model, so the routers after it "
            "are never asked"
        )
        messages.append(
            Error(
                f'PERSCOM_OAUTH["REPLICA_DATABASE"] is set but {PATH} {problem}.',
                hint=f'Set DATABASE_ROUTERS = [..., "{PATH}"], with it last.',
                id="perscom_oauth.E039",
            )
        )
    if replica is None and ours:
        messages.append(
            Warning(
                f'{PATH} is in DATABASE_ROUTERS but PERSCOM_OAUTH["REPLICA_DATABASE"] is not set: it '
                "sends every query to the primary, as if it were not installed.",
                hint='Set PERSCOM_OAUTH["REPLICA_DATABASE"] to the replica\'s alias in DATABASES, or '
                "remove the router.",
                id="perscom_oauth.W008",
            )
        )
    return messages


def _is_replica_router(entry: object) -> bool:
    """A ``DATABASE_ROUTERS`` entry (a dotted path or an instance) of ours, or of a subclass."""
    from .routers import ReplicaRouter

    if not isinstance(entry, str):
        return isinstance(entry, ReplicaRouter)
    try:
        found = import_string(entry)
    except ImportError:
        return False
    return isinstance(found, type) and issubclass(found, ReplicaRouter)


@register(TAG, Tags.security, deploy=True)
def check_test_metadata_documents(app_configs: AppConfigs = None, **kwargs: object) -> list[CheckMessage]:
    """``TEST_METADATA_DOCUMENTS_CA`` lets the server fetch documents from its own machine: a
    request forgery (SSRF) hole anywhere but in tests."""
    if not oauth_settings.TEST_METADATA_DOCUMENTS_CA:
        return []
    return [
        Error(
            'PERSCOM_OAUTH["TEST_METADATA_DOCUMENTS_CA"] is set: client ID metadata documents are '
            "fetched from this machine (127.0.0.1, ::1, localhost).",
            hint="It is for tests only. Remove it from production settings.",
            id="perscom_oauth.E040",
        )
    ]


@register(TAG, Tags.security)
def check_signing_key_encryption(
    app_configs: AppConfigs = None, databases: Sequence[str] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """The key-encryption keys must be Fernet keys, and (with ``--database``, and on
    ``migrate``) must decrypt every stored signing key: a lost KEK is reported here, before any
    request, instead of as a 503 at the first ID token."""
    from .signing import encryption

    hint = (
        'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"] lists Fernet keys, newest first; keep the '
        "old ones in the list until `manage.py rotate_signing_keys --reencrypt` has run "
        "(docs/openid-connect.md, Signing keys)."
    )
    bad = encryption.malformed()
    if bad:
        return [
            Error(
                f'PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"]: entry {", ".join(map(str, bad))} is no '
                "Fernet key (32 bytes, URL-safe base64).",
                hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`. " + hint,
                id="perscom_oauth.E035",
            )
        ]
    if not databases:
        return []  # Django's convention: the database only when asked (check --database, migrate)
    from django.db import DatabaseError

    from .signing.rotation import undecryptable

    try:
        count, kids = undecryptable()
    except DatabaseError:
        return []  # not migrated yet: no keys to read
    if not count:
        return []
    cause = (
        "no key-encryption key is configured"
        if not encryption.managed()
        else "no configured key-encryption key decrypts them"
    )
    named = ", ".join(kids) + (", ..." if count > len(kids) else "")
    return [
        Error(
            f"{count} stored signing key(s) cannot be decrypted ({named}): {cause}. "
            "ID tokens of their organizations cannot be signed.",
            hint="Restore the key-encryption key that encrypted them. " + hint,
            id="perscom_oauth.E035",
        )
    ]


def check_at_startup(using: str = "default") -> None:
    """Run every check of ours, the database ones included, and refuse to start on an error.

    For a server's entry point (``wsgi.py``, ``asgi.py``; ``runserver`` loads ``wsgi.py`` too):
    gunicorn and uvicorn never run system checks, so without this a lost key-encryption key
    (E035) would surface as a 503 at every ID token instead of as a failed start. A database
    that cannot be reached is no error here (the checks skip what they cannot read): the server
    starts and answers its outage responses until the database is back.
    """
    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured

    serious = [m for m in run_checks(tags=[TAG], databases=[using]) if m.is_serious()]
    if serious:
        raise ImproperlyConfigured(
            "perscom_oauth refuses to start:\n"
            + "\n".join(f"{m.id}: {m.msg} HINT: {m.hint}" for m in serious)
        )
