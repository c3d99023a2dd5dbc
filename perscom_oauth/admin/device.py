"""Device grants (RFC 8628): the codes devices asked for, pending, approved (not yet exchanged
for tokens), denied or expired; listed per organization and revoked through
``tokens.revocation.revoke``. Replaces django-oauth-toolkit's own admin for the model, which
sees every organization and edits rows by hand.

A device grant names its client by ``client_id`` (no foreign key): its organization is its
application's (``tokens.device.of_organization``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import get_application_model, get_device_grant_model

from ..audit import Actor
from ..tokens import device
from ..tokens.revocation import revoke
from .administered import administered
from .scoping import ReadOnlyAdmin, replace_admin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..typing import Application


class DeviceGrantAdmin(ReadOnlyAdmin):
    list_display = ["display_code", "application_name", "user", "status", "scope", "expires", "live"]
    list_filter = ["status"]
    # Non-secret identifiers only: never the device code (it would land in ?q= and logs).
    search_fields = ["client_id", "user_code"]
    list_select_related = ["user"]
    fields = ("display_code", "client_id", "application", "user", "status", "scope", "expires")
    readonly_fields = fields
    actions = ["revoke_selected"]
    ordering = ["-expires"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Model]:
        # The application's name in the same query (no foreign key to follow: one per row else).
        name = get_application_model().objects.filter(client_id=OuterRef("client_id")).values("name")[:1]
        queryset: QuerySet[Model] = self.model._default_manager.annotate(application_name=Subquery(name))
        ids = administered(request)
        if ids is None:
            return queryset
        applications = get_application_model().objects.filter(organization__in=ids)
        return queryset.filter(client_id__in=applications.values("client_id"))

    def organization_id_of(self, obj: Model) -> int | None:
        application = self.application(obj)
        return application.organization_id if application is not None else None

    @admin.display(description=_("application"))
    def application(self, obj: Model) -> Application | None:
        found: Application | None = (
            get_application_model().objects.filter(client_id=getattr(obj, "client_id", "")).first()
        )
        return found

    @admin.display(description=_("application"))
    def application_name(self, obj: Model) -> str:
        return str(getattr(obj, "application_name", "") or getattr(obj, "client_id", ""))

    @admin.display(description=_("user code"))
    def display_code(self, obj: Model) -> str:
        return device.display_user_code(getattr(obj, "user_code", ""))

    @admin.display(description=_("live"), boolean=True)
    def live(self, obj: Model) -> bool:
        grant = cast("device.DeviceGrant", obj)
        return grant.status in (device.PENDING, device.AUTHORIZED) and grant.expires > timezone.now()

    @admin.action(description=_("Revoke selected"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Model]) -> None:
        # One revocation (and one audit event) per application of the selection.
        by_client: dict[str, list[int]] = defaultdict(list)
        for pk, client_id in queryset.values_list("pk", "client_id"):
            by_client[client_id].append(pk)
        count = 0
        for client_id, pks in by_client.items():
            application = self.application_of(client_id)
            result = revoke(
                organization=application.organization_id if application is not None else None,
                device_grants=self.model._default_manager.filter(pk__in=pks),
                actor_type=Actor.ADMIN,
                actor=request.user,
                application=application,
                request=request,
                reason="admin",
            )
            count += result.device_grants
        message: StrOrPromise = _("Revoked %(count)d device codes: their devices get no token.") % {
            "count": count
        }
        self.message_user(request, str(message), messages.SUCCESS)

    @staticmethod
    def application_of(client_id: str) -> Application | None:
        found: Application | None = get_application_model().objects.filter(client_id=client_id).first()
        return found


# django-oauth-toolkit (listed first in INSTALLED_APPS) registered its own admin for it.
replace_admin(admin.site, get_device_grant_model(), DeviceGrantAdmin)
