"""perscom-oauth: an OAuth 2.0 authorization server for multi-tenant Django dashboards.

Which sub-package owns what, a request's path through them and where to make a change are in
docs/architecture.md (the site's "Architecture" page). Each sub-package's ``__init__.py`` says
in its docstring what it owns and what it must not do; ``.importlinter`` enforces the layers.
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
