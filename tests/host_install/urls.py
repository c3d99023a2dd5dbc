from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from .views import MeView

urlpatterns = [
    path("admin/", admin.site.urls),
    # A bare project has no sign-in page: Django's own view, with perscom-oauth's template.
    path("accounts/login/", LoginView.as_view(template_name="perscom_oauth/login.html")),
    path("api/me", MeView.as_view()),
    # The OAuth endpoints, at the root (instead of oauth2_provider.urls, not beside it).
    path("", include("perscom_oauth.urls")),
]
