"""The signed-in user's own pages (see ``account_views``), under ``/oauth/``."""

from django.urls import re_path

from . import account_views

urlpatterns = [
    re_path(r"^authorized-apps/?$", account_views.AuthorizedAppsView.as_view(), name="authorized-apps"),
]
