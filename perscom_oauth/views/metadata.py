"""RFC 9728 protected-resource metadata, per organization: what its APIs accept and which
authorization server (the organization's own issuer) issues their tokens.

``/.well-known/oauth-protected-resource`` describes the host's APIs as one resource, the host
itself; ``/.well-known/oauth-protected-resource/<path>`` each path of ``RESOURCE_PATHS`` (RFC
9728 §3.1). Every 401 of a protected view points at the right one (``http.challenges``). The
base library's view derives ``resource`` and ``authorization_servers`` from the request's own
host, so each organization gets its own; ours adds the gates and publishes configured paths
only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from oauth2_provider.compat import login_not_required
from oauth2_provider.views.metadata import OAuthProtectedResourceMetadataView

from ..http import challenges
from ..http.responses import oauth_error
from ..tenancy.gates import TenantGateMixin


@method_decorator(login_not_required, name="dispatch")
class ProtectedResourceMetadataView(TenantGateMixin, OAuthProtectedResourceMetadataView):
    """RFC 9728 §3.2, on the organization's host, behind the tenant and plan gate."""

    def get(self, request: HttpRequest, *args: Any, resource_path: str = "", **kwargs: Any) -> HttpResponse:
        if resource_path and challenges.resource_path(resource_path) != resource_path.strip("/"):
            # §3.1: a path names a resource only if one is published there; no document is
            # made up for any other (it would advertise a resource that does not exist).
            return oauth_error(404, "invalid_request", _("No protected resource is published at this path."))
        response: HttpResponse = super().get(request, *args, **kwargs)
        return response

    def get_resource_documentation(self) -> str:
        """``OAUTH2_PROTECTED_RESOURCE_DOCUMENTATION``, made absolute on the organization's host
        when it is a path (``"/api/docs/"``): §2 wants a URL."""
        documentation: str = super().get_resource_documentation()
        return (
            self.request.build_absolute_uri(documentation) if documentation.startswith("/") else documentation
        )
