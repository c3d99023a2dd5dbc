"""The OpenAPI schema (drf-spectacular): the organization's OAuth 2.0 scheme, scopes per operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from perscom_oauth.contrib.rest_framework import OAuth2Authentication, ScopePermissions
from perscom_oauth.scopes.registry import registry

pytestmark = pytest.mark.django_db


class OpenView(APIView):
    """Authenticated, but protected by no scope."""

    authentication_classes = [OAuth2Authentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response({})


class HostAuthentication(OAuth2Authentication):
    """A host project's own subclass: the same scheme."""


class ReportSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()


class ReportViewSet(viewsets.ViewSet):
    authentication_classes = [HostAuthentication]
    permission_classes = [ScopePermissions]
    serializer_class = ReportSerializer
    required_scopes = {"list": ["view:rank", "view:award"], "create": ["create:award"]}

    def list(self, request: Request) -> Response:
        return Response([])

    def create(self, request: Request) -> Response:
        return Response({})


def generated(patterns: list[URLPattern]) -> dict[str, Any]:
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


def schema(host: str = "localhost", **headers: str) -> dict[str, Any]:
    response = Client(HTTP_HOST=host, **headers).get("/api/schema", {"format": "json"})
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def oauth2_scopes(document: dict[str, Any], path: str, method: str) -> list[str] | None:
    """The scopes the operation's oauth2 requirement lists, or None without one."""
    for requirement in document["paths"][path][method].get("security", []):
        if "oauth2" in requirement:
            return requirement["oauth2"]
    return None


def test_the_schema_is_valid_openapi() -> None:
    validate_schema(schema())


def test_security_scheme_is_the_organizations_authorization_code_flow() -> None:
    scheme = schema()["components"]["securitySchemes"]["oauth2"]

    assert scheme["type"] == "oauth2"
    assert list(scheme["flows"]) == ["authorizationCode"]
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "http://localhost/oauth/authorize"
    assert flow["tokenUrl"] == "http://localhost/oauth/token"
    assert flow["refreshUrl"] == "http://localhost/oauth/token"
    assert flow["scopes"] == {name: str(scope.description) for name, scope in registry().items()}
    assert flow["scopes"]["view:user"] == "Can view user"
    assert {"create:award", "delete:rank", "openid"} <= set(flow["scopes"])


def test_urls_follow_the_host_that_asked() -> None:
    """Each organization's dashboard publishes its own endpoints."""
    flow = schema("basic.localhost:8000")["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flow["authorizationCode"]["authorizationUrl"] == "http://basic.localhost:8000/oauth/authorize"
    assert flow["authorizationCode"]["tokenUrl"] == "http://basic.localhost:8000/oauth/token"


def test_behind_a_tls_proxy_the_urls_are_https(settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    document = schema("127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    assert flow["tokenUrl"] == "https://127.0.0.1/oauth/token"


def test_without_a_request_the_urls_are_relative() -> None:
    """`manage.py spectacular` has no host to name: the URLs resolve against the server's."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == ("/oauth/authorize", "/oauth/token")


@pytest.mark.parametrize(
    ("path", "method", "scopes"),
    [
        ("/api/users/", "get", ["view:user"]),
        ("/api/users/", "post", ["create:user"]),
        ("/api/users/{id}/", "get", ["view:user"]),
        ("/api/awards/", "post", ["create:award"]),
        ("/api/awards/{id}/", "put", ["update:award"]),
        ("/api/awards/{id}/", "patch", ["update:award"]),
        ("/api/ranks/{id}/", "delete", ["delete:rank"]),
        ("/api/me", "get", []),
    ],
)
def test_each_operation_requires_what_scope_permissions_requires(
    path: str, method: str, scopes: list[str]
) -> None:
    assert oauth2_scopes(schema(), path, method) == scopes


def test_views_without_scope_permissions_require_no_scope() -> None:
    document = generated([path("open", OpenView.as_view())])
    assert document["paths"]["/open"]["get"]["security"] == [{"oauth2": []}]


def test_declared_scopes_per_action_and_subclassed_authentication() -> None:
    document = generated([path("reports/", ReportViewSet.as_view({"get": "list", "post": "create"}))])
    operations = document["paths"]["/reports/"]
    assert operations["get"]["security"] == [{"oauth2": ["view:rank", "view:award"]}]
    assert operations["post"]["security"] == [{"oauth2": ["create:award"]}]


def test_every_api_operation_names_its_scopes() -> None:
    document = schema()
    for url, operations in document["paths"].items():
        for method in operations:
            assert oauth2_scopes(document, url, method) is not None, (method, url)
