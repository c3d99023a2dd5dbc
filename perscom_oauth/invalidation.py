"""What makes cached token and host state stale (``token_cache``), connected in ``apps.ready``.

Every change that could alter whether a token is honoured, or what it may do, marks the
affected entries stale when its transaction commits:

- an access token saved or deleted (revocation, rotation, cleanup, cascades): its entry, and
  the entry of its previous value when it is updated under a new one;
- an application saved or deleted (suspension, allowed scopes): its tokens;
- an organization saved or deleted (plan), a domain saved or deleted: their hosts;
- a membership saved or deleted, its roles changed: the user's tokens there;
- a user saved (active flag, superuser) or their permissions or groups changed: their tokens;
- a group's permissions changed, or the group deleted: the tokens of its users and of the
  members who hold it as a role.

A host project whose adapter decides membership or permissions from its own models calls
``forget_user`` or ``forget_organization`` when those change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from . import token_cache
from .conf import organization_model_label
from .models import Domain, Membership

if TYPE_CHECKING:
    from .typing import AccessToken, Application, Organization, User

M = TypeVar("M", bound=Model)

# Signal receivers take Django's keyword arguments (**kwargs: Any). An m2m_changed receiver's
# ``instance`` is either side of the relation, which one depending on ``reverse``: Any.


def forget_tokens(filters: Q) -> None:
    """Mark stale the cached state of every live access token matching ``filters``."""
    checksums = (
        get_access_token_model()
        .objects.filter(filters, expires__gt=timezone.now())
        .values_list("token_checksum", flat=True)
    )
    token_cache.mark_stale(token_cache.token_key(value) for value in checksums)


def forget_user(user: User) -> None:
    forget_tokens(Q(user=user))


def forget_organization(organization: Organization) -> None:
    """Its hosts and every token of its applications."""
    hostnames = Domain.objects.filter(organization=organization).values_list("hostname", flat=True)
    token_cache.mark_stale(token_cache.host_key(hostname) for hostname in hostnames)
    forget_tokens(Q(application__organization=organization))


def _access_token_changed(instance: AccessToken, created: bool = False, **kwargs: Any) -> None:
    # A token just created has no cached state yet (it is cached on first use).
    if instance.token_checksum and not created:
        token_cache.mark_stale([token_cache.token_key(instance.token_checksum)])


def _access_token_renamed(instance: AccessToken, **kwargs: Any) -> None:
    # A token updated in place under a new value (the base library's refresh without
    # rotation): the entry of the value it had is marked too. The base library computes the
    # new checksum after this signal, so the instance still holds the old one here.
    if not instance._state.adding and instance.token_checksum:
        token_cache.mark_stale([token_cache.token_key(instance.token_checksum)])


def _application_changed(instance: Application, **kwargs: Any) -> None:
    if instance.pk is not None:
        forget_tokens(Q(application_id=instance.pk))


def _organization_changed(instance: Organization, **kwargs: Any) -> None:
    if instance.pk is not None:
        forget_organization(instance)


def _domain_renamed(instance: Domain, **kwargs: Any) -> None:
    if instance.pk is not None:
        old = Domain.objects.filter(pk=instance.pk).values_list("hostname", flat=True).first()
        if old:
            token_cache.mark_stale([token_cache.host_key(old)])


def _domain_changed(instance: Domain, **kwargs: Any) -> None:
    token_cache.mark_stale([token_cache.host_key(instance.hostname)])


def _membership_changed(instance: Membership, **kwargs: Any) -> None:
    forget_tokens(Q(user_id=instance.user_id, application__organization_id=instance.organization_id))


def _user_changed(instance: User, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
    # A sign-in only updates last_login: nothing a token depends on.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    forget_user(instance)


def _user_relation_changed(relation: str) -> Callable[..., None]:
    """user.groups / user.user_permissions changed, from either side."""

    def receiver(instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any) -> None:
        if not reverse:
            if action.startswith("post_"):
                forget_user(instance)
            return
        users = _reverse_targets(get_user_model()._default_manager.all(), relation, instance, action, pk_set)
        if users is not None:
            forget_tokens(Q(user__in=users))

    return receiver


def _group_changed(instance: Group, **kwargs: Any) -> None:
    members = Membership.objects.filter(roles=instance).values("user_id")
    forget_tokens(Q(user__groups=instance) | Q(user_id__in=members))


def _forward_changed(
    changed: Callable[[Any], None], forward: Callable[[], QuerySet[Any]], relation: str
) -> Callable[..., None]:
    """An m2m_changed receiver that calls ``changed`` for each object on the relation's forward
    side (a membership for its roles, a group for its permissions), from either side."""

    def receiver(instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any) -> None:
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


def connect() -> None:
    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_access_token_changed, sender=get_access_token_model(), dispatch_uid="po-tok")
        signal.connect(_application_changed, sender=get_application_model(), dispatch_uid="po-app")
        signal.connect(
            _organization_changed, sender=apps.get_model(organization_model_label()), dispatch_uid="po-org"
        )
        signal.connect(_domain_changed, sender=Domain, dispatch_uid="po-domain")
        signal.connect(_membership_changed, sender=Membership, dispatch_uid="po-member")
    pre_save.connect(_domain_renamed, sender=Domain, dispatch_uid="po-domain-renamed")
    pre_save.connect(_access_token_renamed, sender=get_access_token_model(), dispatch_uid="po-tok-renamed")
    # Deleting a group deletes its rows in the relations below without m2m_changed: the
    # users concerned are forgotten first. (Deleted users, applications and organizations
    # delete their tokens, each seen above.)
    pre_delete.connect(_group_changed, sender=Group, dispatch_uid="po-group-deleted")
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
