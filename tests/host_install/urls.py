from django.contrib import admin
from django.urls import include, path

from .views import MeView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/me", MeView.as_view()),
    path("", include("perscom_oauth.urls")),
]
