"""The demo's API, in PERSCOM's shape: every endpoint protected by scope in one line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import ScopePermissions
from perscom_oauth.models import Membership
from perscom_oauth.tenancy.hosts import organization_for_request

from .demo.models import Award, Rank

User = get_user_model()


class MeView(APIView):
    """The caller: the token's user (null for a machine-to-machine token), organization and
    effective scopes (null for a browser session)."""

    permission_classes = [ScopePermissions]
    required_scopes: list[str] = []  # any valid token or signed-in user

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        organization = organization_for_request(request._request)
        token = request.auth if hasattr(request.auth, "effective_scopes") else None
        user = request.user
        return Response(
            {
                "user": {"id": user.pk, "username": user.get_username()} if user.is_authenticated else None,
                "organization": {
                    "slug": organization.slug,
                    "name": organization.name,
                    "plan": organization.plan,
                },
                "client_id": token.application.client_id if token else None,
                "scopes": sorted(token.effective_scopes) if token else None,
            }
        )


class OrganizationScopedViewSet(viewsets.ModelViewSet):
    """CRUD on one model, limited to the organization of the request's host."""

    permission_classes = [ScopePermissions]

    @property
    def organization(self) -> Any:
        return organization_for_request(self.request._request)

    def get_queryset(self) -> QuerySet[Any]:
        return self.queryset.filter(organization=self.organization)

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save(organization=self.organization)


class RankSerializer(serializers.ModelSerializer[Rank]):
    class Meta:
        model = Rank
        fields = ["id", "name", "abbreviation", "order"]


class AwardSerializer(serializers.ModelSerializer[Award]):
    class Meta:
        model = Award
        fields = ["id", "name", "description"]


class UserSerializer(serializers.ModelSerializer[Any]):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name"]


class RankViewSet(OrganizationScopedViewSet):
    queryset = Rank.objects.all()
    serializer_class = RankSerializer


class AwardViewSet(OrganizationScopedViewSet):
    queryset = Award.objects.all()
    serializer_class = AwardSerializer


class UserViewSet(OrganizationScopedViewSet):
    """The organization's members, managed through its memberships.

    An account is global: the same user may belong to other organizations, and a superuser or
    staff account runs the whole site. An organization's token must not reach beyond its own
    memberships, or it could rename a member of another organization (locking them out there)
    or set a superuser's email and take the account over through a password reset. So:

    - list and retrieve show the organization's members;
    - create makes a new account and its membership here (an existing username is a 400);
    - update changes an account only if it belongs to this organization alone and is neither
      superuser nor staff, and answers 403 otherwise;
    - delete ends the membership here; the account and its other memberships remain.
    """

    queryset = User.objects.all()
    serializer_class = UserSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return User.objects.filter(perscom_memberships__organization=self.organization).order_by("pk")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        # get_object() calls this before the serializer validates anything: a refused update
        # is a 403 whatever the data, not a 400 that suggests fixing the data would do.
        super().check_object_permissions(request, obj)
        if request.method in ("PUT", "PATCH"):
            if obj.is_superuser or obj.is_staff:
                raise PermissionDenied(
                    _("This is a superuser or staff account of the site: an organization cannot change it.")
                )
            if obj.perscom_memberships.exclude(organization=self.organization).exists():
                raise PermissionDenied(
                    _(
                        "This account also belongs to another organization: changing it here would "
                        "change it there too. Only its own organization can change it."
                    )
                )

    @transaction.atomic
    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        # Atomic: an account without its membership would belong to no one.
        user = serializer.save()
        Membership.objects.create(user=user, organization=self.organization)

    def perform_destroy(self, instance: Any) -> None:
        Membership.objects.filter(user=instance, organization=self.organization).delete()
