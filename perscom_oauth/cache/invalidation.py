"""What the package's own models tell ``cache.generations`` when they change, connected in
``apps.ready``. Each change bumps the generation of the organizations it concerns, in its own
transaction: O(1) in the number of live tokens.

- an access token saved or deleted (revocation, rotation, cleanup, cascades): its nonce, and
  the nonce of its previous value when it is updated under a new one;
- an application saved or deleted (suspension, allowed scopes): its organization;
- an organization saved or deleted (plan); a domain saved, renamed or deleted: its
  organization, and the host names it no longer answers at;
- a membership saved or deleted, its roles changed: its organization;
- a user saved (active flag, superuser) or deleted, their permissions or groups changed: the
  organizations where they are a member or hold tokens;
- a group's permissions changed, or the group deleted: the organizations of its users and of
  the memberships that hold it as a role.

Querysets of these models do the same on ``update()`` and ``bulk_update()``
(``querysets.InvalidatingQuerySet``). Changes the package cannot see (raw SQL, a host's own membership,
role or plan models) call ``perscom_oauth.invalidate(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from oauth2_provider.models import get_access_token_model, get_application_model

from ..conf import organization_model_label
from ..querysets import INERT_FIELDS, rows_changed
from . import generations

if TYPE_CHECKING:
    from ..models import Domain, Membership
    from ..typing import AccessToken, Application, Organization, User

M = TypeVar("M", bound=Model)

# Signal receivers take Django's keyword arguments, which they ignore (**kwargs: object).


def _access_token_changed(instance: AccessToken, created: bool = False, **kwargs: object) -> None:
    # A token just created has no cached state yet (it is cached on first use).
    if instance.token_checksum and not created:
        generations.forget_tokens([instance.token_checksum])


def _access_token_renamed(instance: AccessToken, **kwargs: object) -> None:
    # A token updated in place under a new value (the base library's refresh without
    # rotation): the entry of the value it had is dropped too. The base library computes the
    # new checksum after this signal, so the instance still holds the old one here.
    if not instance._state.adding and instance.token_checksum:
        generations.forget_tokens([instance.token_checksum])


def _application_changed(
    instance: Application, update_fields: Iterable[str] | None = None, **kwargs: object
) -> None:
    if update_fields is not None and set(update_fields) <= INERT_FIELDS:
        return
    if instance.organization_id is not None:
        generations.invalidate(application=instance)


def _organization_changed(instance: Organization, **kwargs: object) -> None:
    if instance.pk is not None:
        generations.invalidate(organization=instance)


def _domain_renamed(instance: Domain, **kwargs: object) -> None:
    # The host name it had, and the organization it belonged to, no longer answer as before.
    if instance.pk is not None:
        old = type(instance).objects.filter(pk=instance.pk).values_list("hostname", "organization_id").first()
        if old:
            generations.bump([old[1]], [old[0]])


def _domain_changed(instance: Domain, **kwargs: object) -> None:
    generations.bump([instance.organization_id], [instance.hostname])


def _membership_changed(instance: Membership, **kwargs: object) -> None:
    generations.invalidate(organization=instance.organization_id)


def _user_changed(instance: User, update_fields: Iterable[str] | None = None, **kwargs: object) -> None:
    # A sign-in only updates last_login: nothing a token depends on.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    generations.invalidate(user=instance)


def _users_changed(users: QuerySet[Model]) -> None:
    organizations: set[int] = set()
    for pk in users.values_list("pk", flat=True):
        organizations |= generations.organizations_of_user(pk)
    generations.bump(organizations)


def _user_relation_changed(relation: str) -> Callable[..., None]:
    """user.groups / user.user_permissions changed, from either side."""

    # Any: Django's m2m_changed sends either side of the relation as ``instance`` (a user, or a
    # group or permission), which one depending on ``reverse``.
    def receiver(
        instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: object
    ) -> None:
        if not reverse:
            if action.startswith("post_"):
                generations.invalidate(user=instance)
            return
        users = _reverse_targets(get_user_model()._default_manager.all(), relation, instance, action, pk_set)
        if users is not None:
            _users_changed(get_user_model()._default_manager.filter(pk__in=[u.pk for u in users]))

    return receiver


def _group_changed(instance: Group, **kwargs: object) -> None:
    from ..models import Membership

    roles = set(Membership.objects.filter(roles=instance).values_list("organization_id", flat=True))
    generations.bump(roles)
    _users_changed(get_user_model()._default_manager.filter(groups=instance))


def _forward_changed(
    changed: Callable[[M], None], forward: Callable[[], QuerySet[M]], relation: str
) -> Callable[..., None]:
    """An m2m_changed receiver that calls ``changed`` for each object on the relation's forward
    side (a membership for its roles, a group for its permissions), from either side."""

    # Any: Django's m2m_changed sends either side of the relation as ``instance`` (a user, or a
    # group or permission), which one depending on ``reverse``.
    def receiver(
        instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: object
    ) -> None:
        if not reverse:
            if action.startswith("post_"):
                changed(instance)
            return
        for target in _reverse_targets(forward(), relation, instance, action, pk_set) or []:
            changed(target)

    return receiver


def _reverse_targets(
    queryset: QuerySet[M], relation: str, instance: Model, action: str, pk_set: set[int] | None
) -> QuerySet[M] | list[M] | None:
    """The objects on the forward side of an m2m change made from the reverse side: those
    named (add, remove), or before a clear, all those still related."""
    if action in ("post_add", "post_remove"):
        return queryset.filter(pk__in=pk_set or [])
    if action == "pre_clear":
        return list(queryset.filter(**{relation: instance}))
    return None


def _rows_changed(organizations: Iterable[int], hostnames: Iterable[str], **kwargs: object) -> None:
    generations.bump(organizations, hostnames)


def connect() -> None:
    from ..models import Domain, Membership

    user_model = get_user_model()
    rows_changed.connect(_rows_changed, dispatch_uid="po-rows")
    for signal in (post_save, post_delete):
        signal.connect(_access_token_changed, sender=get_access_token_model(), dispatch_uid="po-tok")
        signal.connect(_application_changed, sender=get_application_model(), dispatch_uid="po-app")
        signal.connect(_domain_changed, sender=Domain, dispatch_uid="po-domain")
        signal.connect(_membership_changed, sender=Membership, dispatch_uid="po-member")
    # An organization deleted: before its domains go with it, so that its hosts are known.
    organization_model = apps.get_model(organization_model_label())
    post_save.connect(_organization_changed, sender=organization_model, dispatch_uid="po-org")
    pre_delete.connect(_organization_changed, sender=organization_model, dispatch_uid="po-org-deleted")
    pre_save.connect(_domain_renamed, sender=Domain, dispatch_uid="po-domain-renamed")
    pre_save.connect(_access_token_renamed, sender=get_access_token_model(), dispatch_uid="po-tok-renamed")
    # Deleting a group deletes its rows in the relations below without m2m_changed: the
    # organizations concerned are bumped first. A user's deletion deletes their tokens and
    # memberships first (the cascade): where they were is read before it.
    pre_delete.connect(_group_changed, sender=Group, dispatch_uid="po-group-deleted")
    pre_delete.connect(_user_changed, sender=user_model, dispatch_uid="po-user-deleted")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="po-user")
    m2m_changed.connect(
        _forward_changed(_membership_changed, Membership.objects.all, "roles"),
        sender=Membership.roles.through,
        dispatch_uid="po-roles",
        weak=False,
    )
    m2m_changed.connect(
        _forward_changed(_group_changed, Group.objects.all, "permissions"),
        sender=Group.permissions.through,
        dispatch_uid="po-gperm",
        weak=False,
    )
    for relation in ("groups", "user_permissions"):
        m2m_changed.connect(
            _user_relation_changed(relation),
            sender=getattr(user_model, relation).through,
            dispatch_uid=f"po-user-{relation}",
            weak=False,
        )
