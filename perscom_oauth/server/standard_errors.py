"""Where oauthlib answers with another error than the standard prescribes, or lets through
what a standard forbids: the validator hooks that put it right (issue 24).

- an unsupported ``response_type`` (``code id_token``, ``none``, ...) is
  ``unsupported_response_type`` (RFC 6749 §4.1.2.1); oauthlib says ``unauthorized_client``
  when ``validate_response_type`` returns False, which is for a client not allowed a type the
  server does support;
- ``response_mode=query`` with a response type that returns a token (``token``, ``id_token``,
  ``id_token token``) is ``invalid_request``: OAuth 2.0 Multiple Response Type Encoding
  Practices §5 forbids query encoding for them (the token would reach server logs and
  ``Referer`` headers); oauthlib would encode the token in the query;
- a code exchanged with another ``redirect_uri`` than its authorization request's is
  ``invalid_grant`` (RFC 6749 §5.2); oauthlib says ``invalid_request``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

if TYPE_CHECKING:
    from ..typing import Application, OAuthlibRequest


def supported_response_types() -> set[frozenset[str]]:
    """The response types the metadata advertises (RFC 8414 §2; OpenID Connect Discovery 1.0
    §3 when OpenID Connect is on), each as its set of words: their order carries no meaning
    (Multiple Response Type Encoding Practices §3)."""
    if oauth2_settings.OIDC_ENABLED:
        advertised = oauth2_settings.OIDC_RESPONSE_TYPES_SUPPORTED
    else:
        advertised = oauth2_settings.OAUTH2_RESPONSE_TYPES_SUPPORTED
    return {frozenset(value.split()) for value in advertised}


class StandardErrors:
    """Mixed into ``server.validator.OAuth2Validator``, before the base library's validator."""

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Application,
        request: OAuthlibRequest,
        *args: object,
        **kwargs: object,
    ) -> bool:
        words = frozenset(response_type.split())
        if words not in supported_response_types():
            raise errors.UnsupportedResponseTypeError(request=request)
        if words != {"code"} and request.response_mode == "query":
            raise errors.InvalidRequestError(
                description=_(
                    "response_mode=query cannot be used with response_type=%(response_type)s: "
                    "tokens are never sent in the query (OAuth 2.0 Multiple Response Type "
                    "Encoding Practices §5)."
                )
                % {"response_type": response_type},
                request=request,
            )
        allowed: bool = super().validate_response_type(  # type: ignore[misc]
            client_id, response_type, client, request, *args, **kwargs
        )
        return allowed

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Application | None,
        *args: object,
        **kwargs: object,
    ) -> bool:
        confirmed: bool = super().confirm_redirect_uri(  # type: ignore[misc]
            client_id, code, redirect_uri, client, *args, **kwargs
        )
        if confirmed:
            return True
        # oauthlib passes the request after the client, by position or by keyword.
        request = kwargs.get("request") or (args[0] if args else None)
        raise errors.InvalidGrantError(
            description=_("The redirect_uri is not the one of the authorization request."),
            request=request,
        )
