"""The test URLs with the sign-in page a bare project gets from the install guide: Django's
LoginView with our template, ``perscom_oauth/login.html`` (issue 20, item 6)."""

from django.contrib.auth.views import LoginView
from django.urls import path

from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [
    path("accounts/login/", LoginView.as_view(template_name="perscom_oauth/login.html"), name="login"),
    *test_urlpatterns,
]
