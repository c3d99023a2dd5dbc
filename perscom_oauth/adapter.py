"""The one place a host project plugs its tenants, plans and members into perscom-oauth.

Subclass ``OrganizationAdapter``, name it in ``PERSCOM_OAUTH["ADAPTER"]``, and override what
differs in your project:

- ``organization_for_host(hostname)``: which organization answers at a host (default: the
  ``Domain`` table, ``organization_for_domain``, then ``default_organization()``, the
  ``DEFAULT_ORGANIZATION``). Its answers are cached by host name while ``caches_hosts`` is
  true, so an adapter that resolves hosts itself also overrides ``hostnames_of``.
- ``hostnames_of(organization_ids)``: the host names at which each of these organizations
  answers (default: their ``Domain`` rows): where a change to one of them is published
  (``cache.generations``). ``caches_hosts = False`` when your adapter cannot say: then nothing is
  cached and every request resolves its host and checks its token in the database.
- ``has_oauth(organization)``: whether its plan includes OAuth 2.0 (default: its ``plan`` is
  in ``PLANS_WITH_OAUTH``).
- ``plan_name(organization)``: the plan's display name, used in error messages.
- ``is_member(user, organization)``: whether the user may authorize apps for it (default:
  a ``Membership`` row; superusers are members everywhere).
- ``delegates_superuser(user, organization)``: whether a superuser's tokens may carry every
  scope there (default: False: a superuser's tokens carry what their membership's roles and
  their own permissions grant, like anyone's; platform-wide powers are not delegated to
  third-party applications).
- ``get_permissions(user, organization)``: the ``app_label.codename`` permissions the user
  holds there (default: for members, Django's own ``user.get_all_permissions()`` plus the
  permissions of the membership's roles, which are groups that apply in that organization
  only). Scopes are derived from these whenever a token's state is not cached.
- ``member_permissions(user, organization)``: both at once, None for a non-member (default:
  one query when neither of the two above is overridden, else the two composed).
- ``administered_organization_ids(user)``: the organizations a staff user runs in the admin
  (default: memberships with ``is_admin``; superusers: all, ``None``).
- ``primary_hostname(organization)``: the host its clients use (default: its primary ``Domain``).

Pair it with ``PERSCOM_OAUTH_ORGANIZATION_MODEL`` to use your own tenant model. When
membership, permissions, plans or hosts come from your own models, call
``perscom_oauth.invalidate(...)`` in the transaction that changes them (docs/token-cache.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from django.apps import apps
from django.db.models import Exists, OuterRef
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .conf import oauth_settings, organization_model_label

if TYPE_CHECKING:
    from .models import Domain, Membership
    from .typing import AnyUser, Organization, User

#: Where ``remember_membership`` keeps what ``membership_subquery`` read, on a user instance.
MEMBERSHIP_MEMO = "_perscom_membership"


class OrganizationAdapter:
    def get_organization_model(self) -> type[Organization]:
        return cast("type[Organization]", apps.get_model(organization_model_label()))

    def organization_for_host(self, hostname: str) -> Organization | None:
        return self.organization_for_domain(hostname) or self.default_organization()

    def default_organization(self) -> Organization | None:
        """The organization that answers on hosts no ``Domain`` names (single tenant)."""
        slug = oauth_settings.DEFAULT_ORGANIZATION
        if slug:
            return self.get_organization_model()._default_manager.filter(slug=slug).first()
        return None

    def organization_for_domain(self, hostname: str) -> Organization | None:
        """The organization a ``Domain`` row names for this host (what the host cache holds)."""
        hostname = hostname.lower().rstrip(".")
        domain = domain_model().objects.select_related("organization").filter(hostname=hostname).first()
        return domain.organization if domain is not None else None

    #: Whether ``organization_for_host``'s answers, and with them hot tokens' state, may be
    #: cached by host name: ``hostnames_of`` must then name every host an organization answers
    #: at (check ``perscom_oauth.W007`` warns when it is left to the ``Domain`` table while
    #: ``organization_for_host`` is overridden).
    caches_hosts: bool = True

    def hostnames_of(self, organization_ids: Collection[int]) -> Mapping[int, Iterable[str]]:
        """The host names at which each of these organizations answers, by primary key."""
        found: dict[int, list[str]] = {}
        rows = (
            domain_model()
            .objects.filter(organization_id__in=organization_ids)
            .values_list("organization_id", "hostname")
        )
        for organization_id, hostname in rows:
            found.setdefault(organization_id, []).append(hostname)
        return found

    def has_oauth(self, organization: Organization) -> bool:
        return organization.plan in oauth_settings.PLANS_WITH_OAUTH

    def plan_name(self, organization: Organization) -> str:
        display = getattr(organization, "get_plan_display", None)
        return str(display() if display else organization.plan)

    def required_plan_name(self) -> str:
        plans = [str(plan).capitalize() for plan in oauth_settings.PLANS_WITH_OAUTH]
        return " or ".join(plans) or "?"

    def plan_refusal_message(self, organization: Organization) -> str:
        """Why OAuth is refused for this organization: names the cause and the fix."""
        return _(
            "OAuth 2.0 requires the %(required)s plan; organization '%(organization)s' is on the "
            "%(plan)s plan."
        ) % {
            "required": self.required_plan_name(),
            "organization": organization,
            "plan": self.plan_name(organization),
        }

    def is_member(self, user: User, organization: Organization) -> bool:
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        known = user.__dict__.get(MEMBERSHIP_MEMO, {}).get(organization.pk)
        if known is not None:
            return bool(known)
        return membership_model().objects.filter(user=user, organization=organization).exists()

    def membership_subquery(self, organization: Organization, user_ref: str = "user") -> Exists | None:
        """Whether the user a row names has a membership in ``organization``, to read with that
        row (the code being exchanged names its user): ``remember_membership`` then spares
        ``is_member`` its query. None when ``is_member`` is overridden: it is asked instead."""
        if type(self).is_member is not OrganizationAdapter.is_member:
            return None
        return Exists(membership_model().objects.filter(user=OuterRef(user_ref), organization=organization))

    def remember_membership(self, user: User, organization: Organization, exists: bool) -> None:
        """Keep a ``membership_subquery`` answer on the user instance, as Django keeps
        permissions (``_perm_cache``): it lives as long as the instance, one request."""
        user.__dict__.setdefault(MEMBERSHIP_MEMO, {})[organization.pk] = exists

    def get_permissions(self, user: User, organization: Organization) -> set[str]:
        # One query: a row per permission of the membership's roles, or one row of NULLs for a
        # membership without roles, or no row at all for a non-member.
        rows = (
            membership_model()
            .objects.filter(user=user, organization=organization)
            .values_list("roles__permissions__content_type__app_label", "roles__permissions__codename")
        )
        roles = {f"{app_label}.{codename}" for app_label, codename in rows if codename}
        if not rows:
            return set()
        return own_permissions(user) | roles

    def delegates_superuser(self, user: User, organization: Organization) -> bool:
        """Whether ``user``, a superuser, may delegate every scope in ``organization`` to an
        application. Off by default: a token never carries more than the user's role there
        unless the host decides so here."""
        return False

    def member_permissions(self, user: User, organization: Organization) -> set[str] | None:
        """What the user holds there (``get_permissions``), or None for someone who is not an
        active member (``is_member``). Asked when a token's state is not cached.

        With the default ``is_member`` and ``get_permissions``: one query, the membership, its
        roles' permissions and the user's own and group permissions together (Django's model
        permissions). An adapter that overrides either gets the two composed."""
        cls = type(self)
        if cls.is_member is not OrganizationAdapter.is_member or (
            cls.get_permissions is not OrganizationAdapter.get_permissions
        ):
            return self.get_permissions(user, organization) if self.is_member(user, organization) else None
        if not user.is_active:
            return None
        permissions = self._member_permissions(user, organization)
        if permissions is None and user.is_superuser:
            return own_permissions(user)  # a member everywhere (is_member), without a role
        return permissions

    def _member_permissions(self, user: User, organization: Organization) -> set[str] | None:
        from django.contrib.auth.models import Permission
        from django.db.models import Exists, Q

        membership = membership_model().objects.filter(user=user, organization=organization)
        # A row per role permission (one row of NULLs for a membership without roles) ...
        roles = membership.values_list(
            "roles__permissions__content_type__app_label", "roles__permissions__codename"
        )
        # ... and per own or group permission, only if the membership exists.
        own = (
            Permission.objects.filter(Q(user=user) | Q(group__user=user))
            .filter(Exists(membership))
            .values_list("content_type__app_label", "codename")
        )
        rows = list(roles.order_by().union(own.order_by()))
        if not rows:
            return None
        return {f"{app_label}.{codename}" for app_label, codename in rows if codename}

    def administered_organization_ids(self, user: AnyUser) -> frozenset[int] | None:
        if not (user.is_active and user.is_staff):
            return frozenset()
        if user.is_superuser:
            return None
        ids = (
            membership_model()
            .objects.filter(user=user, is_admin=True)
            .values_list("organization_id", flat=True)
        )
        return frozenset(ids)

    def primary_hostname(self, organization: Organization) -> str | None:
        domains = domain_model().objects.filter(organization=organization).order_by("-is_primary", "hostname")
        return domains.values_list("hostname", flat=True).first()


def own_permissions(user: User) -> set[str]:
    """The permissions a user holds directly and through their groups, as Django's
    ``ModelBackend`` would list them for a user who is not a superuser: a superuser's
    "every permission" is a platform-wide power, not one to delegate to an application."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    rows = Permission.objects.filter(Q(user=user) | Q(group__user=user)).values_list(
        "content_type__app_label", "codename"
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


# Our models by label, as the host's organization model: the models consult the adapter (the
# plan rule of ``Application.clean()``), so the adapter never imports them (no import cycle).
def domain_model() -> type[Domain]:
    return apps.get_model("perscom_oauth", "Domain")


def membership_model() -> type[Membership]:
    return apps.get_model("perscom_oauth", "Membership")


@lru_cache(maxsize=4)
def _adapter_for(path: str) -> OrganizationAdapter:
    adapter: OrganizationAdapter = import_string(path)()
    return adapter


def get_adapter() -> OrganizationAdapter:
    """The configured adapter (one instance per dotted path: adapters hold no request state)."""
    return _adapter_for(oauth_settings.ADAPTER)
