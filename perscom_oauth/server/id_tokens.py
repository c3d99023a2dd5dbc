"""ID tokens signed with the organization's own key, and verified with its published keys.

The base library signs with ``Application.jwk_key`` and names the key (``kid``) only for RS256,
by the key's thumbprint. With per-organization keys, every asymmetric token names its key
(ES256 too: a relying party picks the key of a JWKS by ``kid``, RFC 7515 §4.1.4), and a token
being verified (an ``id_token_hint``) may have been signed by any key still published, not
only by the one that signs now.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, cast

from django.db import router, transaction
from django.utils.translation import gettext as _
from jwcrypto import jwk, jws, jwt
from oauth2_provider.models import get_id_token_model
from oauthlib.oauth2.rfc6749 import errors

from .. import compat
from ..models import ORGANIZATION_KEY_ALGORITHMS
from ..signing import encryption
from ..signing.keys import Signer, SigningKeyUnavailable, record_signed, signer, verification_keys

if TYPE_CHECKING:
    from oauth2_provider.oauth2_validators import OAuth2Validator
    from oauthlib.oauth2.rfc6749.tokens import TokenBase

    from ..typing import AccessToken, Application, OAuthlibRequest, OAuthlibToken

logger = logging.getLogger("perscom_oauth.signing")


def signing_key(
    application: Application, request: OAuthlibRequest
) -> tuple[Signer | None, jwk.JWK, str | None]:
    """The key that signs ``application``'s ID token now, and the kid to name in its header,
    with the organization's ``Signer`` (None on the base library's path).

    A key that cannot be decrypted (a lost key-encryption key, system check E035) is
    oauthlib's ``temporarily_unavailable`` (RFC 6749 §4.1.2.1, §5.2) with status 503: JSON at
    the token endpoint, an error redirect at the authorization endpoint; never a stack trace."""
    if application.algorithm in ORGANIZATION_KEY_ALGORITHMS and encryption.managed():
        try:
            found = signer(application.organization, application.algorithm)
        except SigningKeyUnavailable:
            logger.exception("ID token not signed: the organization's signing key cannot be decrypted.")
            raise errors.TemporarilyUnavailableError(
                description=_("The server cannot sign ID tokens right now. Try again later."),
                status_code=503,
                request=request,
            ) from None
        return found, found.key, found.kid
    key = application.jwk_key  # the base library's: the global RSA key, or HS256's secret
    return None, key, key.thumbprint() if application.algorithm == application.RS256_ALGORITHM else None


def finalize(
    validator: OAuth2Validator,
    id_token: dict[str, object],
    token: OAuthlibToken,
    token_handler: TokenBase,
    request: OAuthlibRequest,
) -> str:
    """The base library's ``finalize_id_token``, with the organization's key and its kid."""
    claims, expires = validator.get_id_token_dictionary(token, token_handler, request)
    id_token.update(**claims)
    # oauthlib #746: the nonce is not always copied (as the base library works around).
    if "nonce" not in id_token and request.nonce:
        id_token["nonce"] = request.nonce
    found, key, kid = signing_key(request.client, request)
    if found is not None:  # the key stays published until this token expires (rotation docs)
        record_signed(found, expires)
    header = {"typ": "JWT", "alg": request.client.algorithm, **({"kid": kid} if kid else {})}
    signed = jwt.JWT(header=json.dumps(header, default=str), claims=json.dumps(id_token, default=str))
    signed.make_signed_token(key)
    with transaction.atomic(using=router.db_for_write(get_id_token_model())):
        saved = compat.save_id_token(validator, str(id_token["jti"]), request, expires)
    # As the base library does (Django REST framework reads request.access_token).
    request.access_token = cast("AccessToken", saved)  # as the base library does
    request.id_token = saved
    serialized: str = signed.serialize()
    return serialized


def key_for_token(validator: OAuth2Validator, token: str) -> jwk.JWK | jwk.JWKSet | None:
    """The key(s) that verify an ID token of ours (for ``id_token_hint``, RP-Initiated Logout):
    every published key of its audience's organization, or the base library's key (HS256, or
    the global RSA key without per-organization keys). None when it names no audience."""
    unverified = jws.JWS()
    unverified.deserialize(token)  # InvalidJWSObject propagates, as the base library's does
    payload = json.loads(unverified.objects["payload"].decode("utf-8"))
    audience = payload.get("aud") if isinstance(payload, dict) else None
    if not audience:
        return None
    application = compat.client_by_audience(validator, audience)
    if application is None:
        return None
    if application.algorithm in ORGANIZATION_KEY_ALGORITHMS and encryption.managed():
        return verification_keys(application.organization)
    return application.jwk_key
