from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from perscom_oauth.adapter import OrganizationAdapter

from .models import Tenant

DOMAIN = ".tenants.test"
OAUTH_TIER = 3


class TenantAdapter(OrganizationAdapter):
    """Tenants answer at ``<subdomain>.tenants.test``; OAuth comes with tier 3 and up."""

    def organization_for_host(self, hostname: str) -> Tenant | None:
        hostname = hostname.lower().rstrip(".")
        if not hostname.endswith(DOMAIN):
            return None
        return Tenant.objects.filter(subdomain=hostname.removesuffix(DOMAIN)).first()

    def hostnames_of(self, organization_ids: Collection[int]) -> Mapping[int, Iterable[str]]:
        # Where each tenant answers: what the cached host answers are invalidated by.
        rows = Tenant.objects.filter(pk__in=organization_ids).values_list("pk", "subdomain")
        return {pk: [f"{subdomain}{DOMAIN}"] for pk, subdomain in rows}

    def has_oauth(self, organization: Any) -> bool:
        return organization.tier >= OAUTH_TIER

    def plan_name(self, organization: Any) -> str:
        return f"tier {organization.tier}"

    def required_plan_name(self) -> str:
        return f"tier {OAUTH_TIER}"

    def is_member(self, user: Any, organization: Any) -> bool:
        return user.is_active

    def get_permissions(self, user: Any, organization: Any) -> set[str]:
        # No per-tenant roles here: the user's own Django permissions apply in every tenant.
        return set(user.get_all_permissions())
