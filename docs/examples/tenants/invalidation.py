"""Telling perscom-oauth when a tenant's plan, members, roles or host change.

perscom-oauth caches what a token may do and which tenant answers at a host, and cannot see
changes to these models: each receiver below calls ``perscom_oauth.invalidate(...)`` in the
transaction of the change, and every process refuses or narrows the tokens concerned on its next
request. A queryset ``update()`` or ``delete()`` sends no signal: call ``invalidate`` yourself
beside it (docs/token-cache.md)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

import perscom_oauth

from .models import Role, Subscription, Tenant, TenantUser


@receiver([post_save, post_delete], sender=Subscription)
def plan_changed(sender: Any, instance: Subscription, **kwargs: Any) -> None:
    perscom_oauth.invalidate(organization=instance.tenant_id)


@receiver([post_save, post_delete], sender=TenantUser)
def membership_changed(sender: Any, instance: TenantUser, **kwargs: Any) -> None:
    perscom_oauth.invalidate(organization=instance.tenant_id)


@receiver(m2m_changed, sender=Role.permissions.through)
def role_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    roles = [instance.pk] if isinstance(instance, Role) else list(pk_set or ())
    tenants = TenantUser.objects.filter(role__in=roles).values_list("tenant_id", flat=True).distinct()
    for tenant in tenants:
        perscom_oauth.invalidate(organization=tenant)


@receiver(pre_save, sender=Tenant)
def remember_host(sender: Any, instance: Tenant, **kwargs: Any) -> None:
    old = Tenant.objects.filter(pk=instance.pk).values_list("hostname", flat=True).first()
    instance._old_hostname = old if instance.pk is not None else None  # type: ignore[attr-defined]


@receiver(post_save, sender=Tenant)
def host_changed(sender: Any, instance: Tenant, created: bool, **kwargs: Any) -> None:
    old = getattr(instance, "_old_hostname", None)
    if not created and old is not None and old != instance.hostname:
        # After the write, so that no request caches the old host under the new generation:
        # the old host no longer answers for this tenant.
        perscom_oauth.invalidate(organization=instance.pk, hostnames=[old])
