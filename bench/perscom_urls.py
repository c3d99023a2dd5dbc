"""bench/e2e.py's URL conf for perscom-oauth: the demo's URLs plus the open baseline."""

from django.urls import path

from bench.open_view import OpenView, open_copy
from project.api import MeView
from project.urls import urlpatterns as demo_urlpatterns

urlpatterns = [
    path("bench/open", OpenView.as_view()),
    path("bench/open-me", open_copy(MeView).as_view()),
    *demo_urlpatterns,
]
