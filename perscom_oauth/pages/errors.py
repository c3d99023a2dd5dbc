"""Our error page: what happened and what to do, in words for the member who reached it
(``error_context`` rewords what views and gates wrote for operators), the technical cause and the
protocol's code in small print for whoever the member reports it to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ..tenancy.hosts import organization_for_request
from .context import switch_account_url

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django_stubs_ext import StrOrPromise
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    from ..typing import Application, Organization


def authorization_error(error: OAuth2Error | None, unapproved: Application | None = None) -> dict[str, str]:
    """Plain words for an oauthlib error the authorization endpoint shows instead of
    redirecting (RFC 6749 §4.1.2.1: never to an unverified client or redirect URI). The
    protocol's own description goes in the page's small print (the view passes it as ``error``).
    ``unapproved``: the client is this organization's, but awaiting approval or blocked."""
    from oauthlib.oauth2.rfc6749 import errors

    if unapproved is not None and unapproved.review == unapproved.Review.PENDING:
        return {
            "title": _("Awaiting approval"),
            "description": _(
                "%(app)s has not been approved by an administrator of %(organization)s yet. Ask "
                "one to approve it, then try again. Nothing was shared."
            )
            % {"app": unapproved, "organization": unapproved.organization},
        }
    if unapproved is not None:
        return {
            "title": _("Application blocked"),
            "description": _("An administrator of %(organization)s has blocked %(app)s. Nothing was shared.")
            % {"app": unapproved, "organization": unapproved.organization},
        }
    if isinstance(error, errors.InvalidClientIdError | errors.MissingClientIdError):
        return {
            "title": _("Unknown application"),
            "description": _(
                "The app that sent you here is not registered here, so it cannot ask for access "
                "to your account. Nothing was shared."
            ),
        }
    if isinstance(
        error,
        errors.InvalidRedirectURIError | errors.MissingRedirectURIError | errors.MismatchingRedirectURIError,
    ):
        return {
            "title": _("This request cannot be completed"),
            "description": _(
                "The app asked to send you back to an address it has not registered. To protect "
                "your account, nothing was shared and you were not sent there."
            ),
        }
    return {
        "title": _("This request cannot be completed"),
        "description": _("The app sent a request that cannot be accepted, so nothing was shared."),
    }


class ErrorContext(TypedDict):
    """What ``perscom_oauth/error.html`` shows (``error_context``)."""

    organization: Organization | None
    title: str
    description: str
    advice: str
    link_url: str
    link_text: str
    detail: str
    error: str


@dataclass(frozen=True)
class Rewording:
    """A refusal reworded for members: ``%(org)s`` and ``%(account)s`` are filled in. The
    caller's own words go to the small print: its description alone, or with its title."""

    title: StrOrPromise
    description: StrOrPromise
    advice: StrOrPromise
    detail_with_title: bool = False
    switch_account: bool = False


TELL_THE_APP = _lazy(
    "Trying again will not help: the app needs fixing. Tell the people who run it, and quote the "
    "details below."
)
GO_BACK = _lazy(
    "Go back to the app you came from. If this keeps happening, tell the people who run it, and "
    "quote the details below."
)


def rewordings() -> dict[str, Rewording]:
    """By the callers' own titles (views.py, gates.py, logout.py), in the active language."""
    return {
        _("Unknown organization"): Rewording(
            _("This address is not set up for sign-in"),
            _("No organization uses this web address for signing in to apps, so nothing can be done here."),
            _(
                "Check the address you were given. If an app sent you here, it is set up with the "
                "wrong address: tell the people who run it."
            ),
        ),
        _("OAuth 2.0 is not available"): Rewording(  # the detail: the adapter's plan_refusal_message
            _("Apps cannot use %(org)s accounts"),
            _(
                "%(org)s has not turned on signing in to other apps with its accounts, so this app "
                "cannot get access to your account."
            ),
            _("Trying again will not change this. If you need the app, ask an administrator of %(org)s."),
        ),
        # The device flow's verification page (views.device, RFC 8628 §3.3).
        _("Too many wrong codes"): Rewording(
            _("Too many wrong codes"),
            _(
                "Too many wrong codes were entered from your account or from this network, so codes "
                "are not checked for now."
            ),
            _(
                "Wait a few minutes, then enter the code your device shows. Never enter a code that "
                "someone sent you."
            ),
        ),
        _("This code can no longer be used"): Rewording(
            _("This code can no longer be used"),
            _("It has expired, or it was already approved or denied. Nothing more was shared."),
            _("On your device, start signing in again: it will show a new code to enter here."),
        ),
        _("Invalid sign-out request"): Rewording(
            _("This sign-out cannot be completed"),
            _("The app asked to sign you out in a way that cannot be accepted, so nothing was changed."),
            _(
                "To sign out, use the app's sign-out button again. If you get this page again, tell "
                "the people who run the app, and quote the details below."
            ),
            detail_with_title=True,
        ),
        _("Invalid request"): Rewording(
            _("This link did not work"),
            _(
                "The address or form that brought you here was incomplete or changed on the way, so "
                "it cannot be used. Nothing was shared with any app."
            ),
            _(
                "Go back to the app and start again from its sign-in button. If you get this page "
                "again, tell the people who run the app, and quote the details below."
            ),
            detail_with_title=True,
        ),
    }


def error_context(
    request: HttpRequest, status: int, title: str, description: str, error: str = ""
) -> ErrorContext:
    """The error page in words for the member who reached it, from what a view refused with.

    Views and gates refuse with a title and a description in their own terms; those written for
    operators or developers (an unknown host, a plan, a malformed parameter) are reworded here
    (``rewordings``), and their words move to the small print (``detail``), with the protocol's
    code (``error``), for whoever the member reports the problem to. ``advice`` says what the
    member can do and whom to ask; it never suggests trying again where that cannot help.
    """
    organization = organization_for_request(request)
    names = {
        "org": str(organization) if organization is not None else _("your organization"),
        "account": request.user.get_username(),
    }
    words: ErrorContext = {
        "organization": organization,  # the header's name, as on every other page
        "title": title,
        "description": description,
        "advice": str(GO_BACK),
        "link_url": "",
        "link_text": "",
        "detail": "",
        "error": error,
    }
    if title == _("Not a member"):
        words["title"] = _("You are not a member of %(org)s") % names
        words["description"] = (
            _(
                "Only members of %(org)s can let apps use their account here, and the account you "
                "are signed in with, %(account)s, is not one."
            )
            % names
        )
        words["advice"] = (
            _(
                "If you should be, ask an administrator of %(org)s to add you. If you have another "
                "account, sign in with it."
            )
            % names
        )
        words["link_url"] = switch_account_url(request)
        words["link_text"] = _("Sign in with another account")
    elif title in (_("Unknown application"), _("This request cannot be completed")):
        words["advice"] = str(TELL_THE_APP)
    elif (rewording := rewordings().get(title)) is not None:
        words["title"] = str(rewording.title) % names
        words["description"] = str(rewording.description) % names
        words["advice"] = str(rewording.advice) % names
        words["detail"] = f"{title}: {description}" if rewording.detail_with_title else description
    return words


def error_page(
    request: HttpRequest, status: int, title: str, description: str, error: str = ""
) -> HttpResponse:
    """The error page for a refusal written in a view's own terms (``error_context``)."""
    context = error_context(request, status, title, description, error)
    return render(request, "perscom_oauth/error.html", dict(context), status=status)


class PageRefusalMixin:
    """For views people see (before ``TenantGateMixin`` in the bases): the gates' refusals as
    this error page instead of an RFC 6749 §5.2 JSON body. The gates live in the security core,
    which renders no page."""

    def refuse(self, status: int, error: str, title: str, description: str) -> HttpResponse:
        return error_page(self.request, status, title, description, error)  # type: ignore[attr-defined]
