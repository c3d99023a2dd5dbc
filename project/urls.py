from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.html import format_html
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from .api import AwardViewSet, MeView, RankViewSet, UserViewSet

# The admin under PERSCOM's name (Django's AdminSite attributes: a host sets its own).
admin.site.site_header = "PERSCOM administration"
admin.site.site_title = "PERSCOM admin"
admin.site.index_title = "PERSCOM administration"

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("ranks", RankViewSet, basename="rank")
router.register("awards", AwardViewSet, basename="award")


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI under the site's own Cross-Origin-Opener-Policy.

    Swagger UI signs in through a popup that calls back into this page via ``window.opener``.
    drf-spectacular sends ``unsafe-none`` here (for identity providers on another origin), but
    our login and consent pages carry Django's ``same-origin``: the popup would be moved to
    another browsing context group and lose its opener. Same policy on every page instead.
    """

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """At ``localhost``, the same page at ``127.0.0.1`` (same port) instead.

        Swagger UI's redirect_uri is ``<this page's origin>/api/oauth2-redirect.html``, and the
        seed registers it for port 8000. For a loopback IP literal, RFC 8252 §7.3 (which the base
        library follows) accepts any port; for the name ``localhost`` it does not (§8.3), so the
        demo run on another port failed with "Mismatching redirect URI" there. The popup must
        share the page's origin (it calls back through ``window.opener``), hence a redirect of
        the page rather than another redirect_uri. Other hosts register their own callback.
        """
        if request.get_host().partition(":")[0] == "localhost":
            port = request.get_port()
            return HttpResponseRedirect(f"{request.scheme}://127.0.0.1:{port}{request.get_full_path()}")
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        del response["Cross-Origin-Opener-Policy"]  # SecurityMiddleware sets the site's policy
        return response

    # A plain HttpResponse, which DRF's finalize_response accepts: the stubs expect a Response.
    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        """The methods allowed (DRF adds the ``Allow`` header), no body: Django's ``View.options``.

        DRF's own answer is the view's metadata, rendered by the view's only renderer: the Swagger
        UI template, which without the context ``get()`` gives it has no ``template_name_js`` to
        include (TemplateDoesNotExist, a 500). A page has no metadata worth describing.
        """
        return HttpResponse(headers={"Content-Length": "0"})


@require_safe
def swagger_oauth2_redirect(request: HttpRequest) -> HttpResponse:
    """Swagger UI's ``oauth2-redirect.html`` (its default redirect_uri, beside /api/docs),
    served by Django so it carries the same COOP as the pages before it in the popup.

    A page the popup is redirected to: GET and HEAD only (anything else is a 405), as the
    static file it replaces would be."""
    script = static("drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.js")
    page = '<!doctype html><html lang="en-US"><body><script src="{}"></script></body></html>'
    return HttpResponse(format_html(page, script))


urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/me", MeView.as_view(), name="api-me"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/oauth2-redirect.html", swagger_oauth2_redirect, name="swagger-oauth2-redirect"),
    path("api/", include(router.urls)),
    path("", include("perscom_oauth.urls")),
]
