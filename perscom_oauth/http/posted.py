"""Protocol requests sent by POST, told apart from the decision one of our pages posts back.

OpenID Connect Core §3.1.2.1 (the authorization endpoint) and RP-Initiated Logout 1.0 §2 (the
logout endpoint): the server MUST support GET and POST; by POST, the request's parameters are
form-serialized in the body. A relying party's page sends such a POST, so it carries no CSRF
token of ours, and it needs none: it is handled exactly as the same GET would be, which
changes nothing until the user decides on our page.

The decision itself (the consent screen's or the logout confirmation's buttons, boxes and CSRF
token) changes something, so it stays CSRF-protected: ``PostedRequestMixin.post`` checks
the token itself, since the view as a whole has to be ``csrf_exempt`` for the relying party's
POST to reach it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect

#: What only our own forms post: their CSRF token, buttons (``allow``, ``cancel``) and boxes
#: (the consent screen's ``approved_scopes``, the logout page's ``everywhere``). A POST carrying
#: any of them is a decision, CSRF-checked; a relying party adding one only gets a 403.
DECISION_FIELDS = frozenset({"csrfmiddlewaretoken", "allow", "cancel", "approved_scopes", "everywhere"})


def is_decision(request: HttpRequest) -> bool:
    """Whether the request is a POST of one of our forms (rather than a protocol request)."""
    return request.method == "POST" and any(name in request.POST for name in DECISION_FIELDS)


def is_protocol_request(request: HttpRequest) -> bool:
    """A GET, or a POST that is no decision: a request of the protocol (not OPTIONS, HEAD...)."""
    return request.method == "GET" or (request.method == "POST" and not is_decision(request))


def protocol_parameters(request: HttpRequest) -> QueryDict:
    """The parameters of a protocol request: its form body when sent by POST, else its query.
    (A decision's form fields are not protocol parameters: its query, as for GET.)"""
    if request.method == "POST" and not is_decision(request):
        return request.POST
    return request.GET


class PostedRequestMixin:
    """For a view (``csrf_exempt`` as a whole) whose ``get()`` answers a protocol request from
    ``protocol_parameters`` and whose base ``post()`` handles its form's decision: a POST
    without a decision is answered by ``get()``; a decision is CSRF-checked, then posted."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_decision(request):
            response: HttpResponse = self.get(request, *args, **kwargs)  # type: ignore[attr-defined]
            return response
        return self.decide(request, *args, **kwargs)

    @method_decorator(csrf_protect)
    def decide(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response: HttpResponse = super().post(request, *args, **kwargs)  # type: ignore[misc]
        return response
