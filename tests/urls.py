"""The demo's URLs plus a plain Django view, for tests of the ``scopes_required`` decorator."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from perscom_oauth.decorators import scopes_required
from project.urls import urlpatterns as project_urlpatterns


@scopes_required("view:rank")
def rank_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.get_username() or None})


urlpatterns = [path("plain/ranks", rank_count), *project_urlpatterns]
