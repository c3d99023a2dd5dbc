"""bench/e2e.py's URL conf for vanilla django-oauth-toolkit: bench.vanilla.urls plus the open baseline."""

from django.urls import path

from bench.open_view import OpenView, open_copy
from bench.vanilla.urls import MeView
from bench.vanilla.urls import urlpatterns as vanilla_urlpatterns

urlpatterns = [
    path("bench/open", OpenView.as_view()),
    path("bench/open-me", open_copy(MeView).as_view()),
    *vanilla_urlpatterns,
]
