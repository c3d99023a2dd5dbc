"""Querysets of the package's models whose ``update()`` and ``bulk_update()``, which send no
model signals, still tell the token cache what they change (``cache.invalidation`` covers the
rest). They send ``rows_changed``, which ``cache.invalidation`` connects in ``apps.ready``: the
model layer never imports the cache layer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.apps import apps
from django.db import transaction
from django.db.models import Model, QuerySet
from django.dispatch import Signal

from .conf import organization_model_label

M = TypeVar("M", bound=Model)

#: Sent inside the transaction of an ``update()`` or ``bulk_update()``, with ``organizations``
#: (primary keys) and ``hostnames``. Sent with ``send``, not ``send_robust``: a receiver that
#: fails fails the update, so no change is ever made that the cache was not told about.
rows_changed = Signal()


def organizations_of(queryset: QuerySet[Any]) -> set[int]:
    """The organizations whose answers a change to these rows of one of our models may alter:
    the rows themselves, or those they belong to (domains, memberships, applications)."""
    model = queryset.model
    if model is apps.get_model(organization_model_label()):
        return set(queryset.values_list("pk", flat=True))
    if _has_field(model, "organization"):
        return set(queryset.values_list("organization_id", flat=True))
    return set()


#: Fields whose changes alter no answer: written on hot paths (an application's ``last_used``
#: on every token issued) without bumping anything.
INERT_FIELDS = frozenset({"last_used"})


class InvalidatingQuerySet(QuerySet[M]):
    """``update()`` and ``bulk_update()`` send no signals: they bump the generations of the
    organizations of the rows they change, as they were and as they are (a row may move to
    another organization), in the same transaction."""

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) <= INERT_FIELDS:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            rows = self.model._base_manager.using(self.db).filter(
                pk__in=list(self.values_list("pk", flat=True))
            )
            before, hostnames = organizations_of(rows), _hostnames(rows)
            changed = super().update(**kwargs)
            _changed(before | organizations_of(rows), hostnames)
        return changed

    update.alters_data = True  # type: ignore[attr-defined]  # as Django marks its own

    def bulk_update(self, objs: Iterable[M], fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        if set(fields) <= INERT_FIELDS:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        with transaction.atomic(using=self.db):
            rows = self.model._base_manager.using(self.db).filter(pk__in=[obj.pk for obj in objs])
            before, hostnames = organizations_of(rows), _hostnames(rows)
            changed = super().bulk_update(objs, fields, batch_size=batch_size)
            _changed(before | organizations_of(rows), hostnames)
        return changed

    bulk_update.alters_data = True  # type: ignore[attr-defined]


def _changed(organizations: set[int], hostnames: set[str]) -> None:
    rows_changed.send(sender=InvalidatingQuerySet, organizations=organizations, hostnames=hostnames)


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _hostnames(queryset: QuerySet[Any]) -> set[str]:
    """The host names a domain answered at before the change (it may answer at no other)."""
    if not _has_field(queryset.model, "hostname"):
        return set()
    return set(queryset.values_list("hostname", flat=True))


#: The organization whose host is being served: ``tenancy.gates`` sets it (a primary key) for
#: each request of an OAuth endpoint. Read by ``ApplicationQuerySet.get`` only.
host_organization: ContextVar[int | None] = ContextVar("perscom_oauth_host_organization", default=None)


@contextmanager
def serving_host_of(organization: int) -> Iterator[None]:
    """Within it, an application looked up by ``client_id`` alone is this organization's."""
    token = host_organization.set(organization)
    try:
        yield
    finally:
        host_organization.reset(token)


class ApplicationQuerySet(InvalidatingQuerySet[M]):
    """On an organization's host, ``get(client_id=...)`` finds that organization's application.

    A client ID metadata document URL is one ``client_id`` for every organization that lets the
    client in, each with its own row (``registration.documents``); the base library's views look
    applications up by ``client_id`` alone (its consent form's ``form_valid``), which would
    then find several. Every other ``client_id`` is unique anyway, so for it this only means
    that another organization's application is never loaded on this host.
    """

    def get(self, *args: Any, **kwargs: Any) -> M:
        organization = host_organization.get()
        if organization is not None and not args and set(kwargs) == {"client_id"}:
            return QuerySet.get(self.filter(organization_id=organization), **kwargs)
        return super().get(*args, **kwargs)
