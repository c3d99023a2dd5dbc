"""perscom-oauth's adapter over the models of ``models.py``: which tenant answers at a host,
whether its subscription includes OAuth 2.0, who its members are and what their role lets them
do. Named in ``PERSCOM_OAUTH["ADAPTER"]``."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from perscom_oauth.adapter import OrganizationAdapter, own_permissions

from .models import Subscription, Tenant, TenantUser


class TenantAdapter(OrganizationAdapter):
    # --- hosts: asked on every request whose host answer is not cached -------------------

    def organization_for_host(self, hostname: str) -> Tenant | None:
        # The subscription comes with the tenant: has_oauth, asked on every request, reads it
        # from memory (and from the cache, which keeps the tenant as read here).
        return Tenant.objects.select_related("subscription").filter(hostname=hostname).first()

    def hostnames_of(self, organization_ids: Collection[int]) -> Mapping[int, Iterable[str]]:
        # Where each tenant answers: perscom-oauth invalidates its cached answers there.
        rows = Tenant.objects.filter(pk__in=organization_ids).values_list("pk", "hostname")
        return {pk: [hostname] for pk, hostname in rows}

    def primary_hostname(self, organization: Tenant) -> str | None:
        return organization.hostname

    # --- the plan: asked on every request ------------------------------------------------

    def has_oauth(self, organization: Tenant) -> bool:
        subscription = subscription_of(organization)
        return bool(
            subscription and subscription.active and subscription.product == Subscription.Product.ENTERPRISE
        )

    def plan_name(self, organization: Tenant) -> str:
        subscription = subscription_of(organization)
        if subscription is None:
            return "no subscription"
        label = subscription.get_product_display()
        return label if subscription.active else f"{label} (suspended)"

    def required_plan_name(self) -> str:
        return Subscription.Product.ENTERPRISE.label

    def plan_refusal_message(self, organization: Tenant) -> str:
        # The default names the required plan and the current one; add where to change it.
        return (
            super().plan_refusal_message(organization) + " The tenant's owner can upgrade it under Billing."
        )

    # --- members: asked when a token's state is not cached --------------------------------

    def is_member(self, user: Any, organization: Tenant) -> bool:
        # No superuser exception: a platform superuser authorizes apps only where a member.
        return bool(user.is_active) and TenantUser.objects.filter(user=user, tenant=organization).exists()

    def get_permissions(self, user: Any, organization: Tenant) -> set[str]:
        roles = TenantUser.objects.filter(user=user, tenant=organization).values_list(
            "role__permissions__content_type__app_label", "role__permissions__codename"
        )
        from_role = {f"{app_label}.{codename}" for app_label, codename in roles if codename}
        return from_role | own_permissions(user)

    # delegates_superuser is left alone (False): a superuser's token carries their role, no more.

    # --- the admin ----------------------------------------------------------------------

    def administered_organization_ids(self, user: Any) -> frozenset[int] | None:
        if not (user.is_active and user.is_staff):
            return frozenset()
        if user.is_superuser:
            return None  # every tenant
        owned = TenantUser.objects.filter(user=user, is_owner=True).values_list("tenant_id", flat=True)
        return frozenset(owned)


def subscription_of(tenant: Tenant) -> Subscription | None:
    try:
        return tenant.subscription
    except Subscription.DoesNotExist:
        return None
