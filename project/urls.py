from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from rest_framework.routers import DefaultRouter

from .api import AwardViewSet, MeView, RankViewSet, UserViewSet

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("ranks", RankViewSet, basename="rank")
router.register("awards", AwardViewSet, basename="award")

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/me", MeView.as_view(), name="api-me"),
    path("api/", include(router.urls)),
    path("", include("perscom_oauth.urls")),
]
