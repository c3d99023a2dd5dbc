from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.Reports.as_view()),
    path("ranks/", views.ranks),
]
