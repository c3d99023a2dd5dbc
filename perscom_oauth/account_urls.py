"""The signed-in user's own pages (see ``pages.account``), under ``/oauth/``."""

from django.urls import re_path

from .pages import account

urlpatterns = [
    re_path(r"^authorized-apps/?$", account.AuthorizedAppsView.as_view(), name="authorized-apps"),
]
