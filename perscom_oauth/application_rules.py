"""What makes an application valid beyond its fields, checked by ``Application.clean()`` for
every path that creates one (the admin's form, ``manage.py create_oauth_application``,
``applications.create_application``, and registration endpoints to come)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from .adapter import get_adapter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .typing import Application

#: Grants whose client must authenticate with its secret: RFC 6749 §4.4 (client credentials
#: "MUST only be used by confidential clients") and §4.3.2 (a client issued credentials must
#: authenticate; a Resource Owner application here always is). A public client has none.
CONFIDENTIAL_ONLY_GRANTS = (AbstractApplication.GRANT_CLIENT_CREDENTIALS, AbstractApplication.GRANT_PASSWORD)
#: The same grants as a token request names them (``grant_type``; the model spells one with a
#: hyphen).
CONFIDENTIAL_ONLY_GRANT_TYPES = ("client_credentials", "password")

CONFIDENTIAL_ONLY_MESSAGES = {
    AbstractApplication.GRANT_CLIENT_CREDENTIALS: _(
        "A Machine-to-Machine application must be confidential: it signs in with its secret."
    ),
    AbstractApplication.GRANT_PASSWORD: _(
        "A Resource Owner application must be confidential: it signs in with its secret."
    ),
}


def violations(application: Application) -> list[tuple[str, StrOrPromise]]:
    """(field, message) for each rule ``application`` breaks, on the field to change."""
    found: list[tuple[str, StrOrPromise]] = []
    grant_type, client_type = application.authorization_grant_type, application.client_type
    if grant_type in CONFIDENTIAL_ONLY_GRANTS and client_type != AbstractApplication.CLIENT_CONFIDENTIAL:
        found.append(("client_type", CONFIDENTIAL_ONLY_MESSAGES[grant_type]))
    if grant_type == AbstractApplication.GRANT_IMPLICIT and client_type != AbstractApplication.CLIENT_PUBLIC:
        # RFC 6749 §4.2: the implicit grant is for clients in a browser, which keep no secret.
        message = _("Single Page and Native applications are public: they cannot keep a secret.")
        found.append(("client_type", message))
    # (Redirect URIs: the base library's clean() requires and checks them for browser grants.)
    # The plan is checked when the application is created: an organization that downgrades
    # keeps its applications, refused at every endpoint instead (gates.TenantGateMixin).
    organization = getattr(application, "organization", None)  # None: not chosen yet
    if application._state.adding and organization is not None:
        adapter = get_adapter()
        if not adapter.has_oauth(organization):
            found.append(("organization", adapter.plan_refusal_message(organization)))
    return found
