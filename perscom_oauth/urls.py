"""The OAuth endpoints at PERSCOM's paths. Include at the root: ``path("", include(...))``.

Paths take no trailing slash (as PERSCOM documents them) but tolerate one. The namespace is
django-oauth-toolkit's own, so the base library's views reverse their siblings correctly;
include this module instead of ``oauth2_provider.urls``, not beside it.
"""

from django.urls import include, re_path

from . import account_urls
from .oidc import discovery, logout
from .registration import dynamic
from .views import device, metadata, oauth

app_name = "oauth2_provider"

urlpatterns = [
    re_path(r"^oauth/authorize/?$", oauth.AuthorizationView.as_view(), name="authorize"),
    re_path(r"^oauth/token/?$", oauth.TokenView.as_view(), name="token"),
    re_path(
        r"^oauth/device_authorization/?$",
        device.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    re_path(r"^oauth/device/?$", device.DeviceUserCodeView.as_view(), name="device"),
    re_path(r"^oauth/device/confirm/?$", device.DeviceConfirmView.as_view(), name="device-confirm"),
    re_path(r"^oauth/revoke/?$", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    re_path(r"^oauth/introspect/?$", oauth.IntrospectTokenView.as_view(), name="introspect"),
    re_path(r"^oauth/userinfo/?$", oauth.UserInfoView.as_view(), name="user-info"),
    re_path(r"^oauth/logout/?$", logout.LogoutView.as_view(), name="rp-initiated-logout"),
    re_path(r"^oauth/jwks/?$", discovery.JwksView.as_view(), name="jwks-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        discovery.OpenIDConfigurationView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    re_path(
        r"^\.well-known/oauth-authorization-server/?$",
        discovery.ServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    re_path(
        r"^\.well-known/oauth-protected-resource/?$",
        metadata.ProtectedResourceMetadataView.as_view(),
        name="oauth-resource-metadata",
    ),
    re_path(
        r"^\.well-known/oauth-protected-resource/(?P<resource_path>[^?#]+?)/?$",
        metadata.ProtectedResourceMetadataView.as_view(),
        name="oauth-resource-metadata-path",
    ),
    # RFC 7591 registration and RFC 7592 management; the names are the base library's (its
    # response builder reverses "dcr-register-management").
    re_path(r"^oauth/register/?$", dynamic.RegistrationView.as_view(), name="dcr-register"),
    re_path(
        r"^oauth/register/(?P<client_id>[^/]+)/?$",
        dynamic.RegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
    re_path(r"^oauth/", include(account_urls)),
]
