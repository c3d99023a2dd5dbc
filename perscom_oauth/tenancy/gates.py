"""What every OAuth endpoint checks first: the organization of the host, then its plan.

``TenantGateMixin`` goes first in a view's bases. An unknown host is a 404 on every endpoint;
an organization whose plan lacks OAuth 2.0 is refused (and audited) on every endpoint that
issues or honours a token; a parameter that no column could hold (``parameters``) is refused
before it reaches the database, and so is a parameter sent twice (RFC 6749 §3.1, §3.2), through
``refuse_repeated``: the authorization endpoint sends that error to the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..audit import Actor, Event, record
from ..http.parameters import parameter_problem, repeated_message, repeated_parameter
from ..http.posted import is_decision
from ..http.responses import oauth_error
from ..querysets import serving_host_of
from .hosts import organization_for_request

if TYPE_CHECKING:
    from ..typing import Organization


def unknown_host_message(request: HttpRequest) -> str:
    return _("No organization answers at host '%(host)s'.") % {"host": request.get_host()}


def record_plan_refusal(organization: Organization, request: HttpRequest, endpoint: str) -> None:
    record(
        Event.PLAN_REFUSED,
        organization=organization,
        actor_type=Actor.CLIENT,
        request=request,
        endpoint=endpoint,
    )


class TenantGateMixin:
    """Checks the host's organization (and, when ``plan_gated``, its plan) before the view runs.

    Refusals are an RFC 6749 §5.2 JSON body; views people see put
    ``pages.errors.PageRefusalMixin`` first, for an HTML error page. ``plan_refusal`` is the
    (status, error code) of a refusal for want of the plan.
    """

    plan_gated = True
    #: True where a page's form posts back to the page's own URL, whose query is the request the
    #: page answers (``http.posted``): the form's fields repeat that query and are not counted
    #: as repeated parameters (RFC 6749 §3.1); each part still may not repeat one.
    form_posts_to_its_page = False
    plan_refusal = (403, "access_denied")

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        organization = organization_for_request(request)
        if organization is None:
            return self.refuse(
                404, "invalid_request", _("Unknown organization"), unknown_host_message(request)
            )
        problem = parameter_problem(request)
        if problem is not None:
            return self.refuse(400, "invalid_request", _("Invalid request"), problem)
        adapter = get_adapter()
        if self.plan_gated and not adapter.has_oauth(organization):
            record_plan_refusal(organization, request, request.path)
            status, error = self.plan_refusal
            message = adapter.plan_refusal_message(organization)
            return self.refuse(status, error, _("OAuth 2.0 is not available"), message)
        with serving_host_of(organization.pk):
            own_form = self.form_posts_to_its_page and is_decision(request)
            repeated = repeated_parameter(request, across_query_and_body=not own_form)
            if repeated is not None:
                return self.refuse_repeated(repeated)
            response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def refuse_repeated(self, parameter: str) -> HttpResponse:
        """RFC 6749 §3.1, §3.2 (RFC 6750 §3.1 at a resource): ``invalid_request``."""
        return self.refuse(400, "invalid_request", _("Invalid request"), repeated_message(parameter))

    def refuse(self, status: int, error: str, title: str, description: str) -> HttpResponse:
        return oauth_error(status, error, description)
