from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from .api import MeView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/me", MeView.as_view(), name="api-me"),
    path("", include("perscom_oauth.urls")),
]
