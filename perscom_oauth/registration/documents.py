"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), per organization.

A client whose ``client_id`` is an https URL identifies itself by the JSON document at that URL.
The base library resolves such clients globally (``oauth2_provider.cimd``); here each
organization decides (``RegistrationPolicy.metadata_documents``) and keeps its own row for the
URL, with its own review state and scope cap. The fetch itself is the base library's
SSRF-hardened one (``CIMD_METADATA_FETCHER``: https only, public addresses only, no redirects,
size and time limits), with its failure backoff and in-flight cap.

What a document may make: a public client (§4: no secret), of the authorization code grant only
(PKCE S256 is then required by ``COMPLIANT_BCP_RFC9700_PKCE_METHOD``, RFC 9700 §2.1.1), whose
redirect URIs come from the document and pass the same validation as the admin's
(``Application.full_clean``), whose scopes are the policy's cap, and whose ID tokens are signed
as its ``id_token_signed_response_alg`` asks, under Dynamic Client Registration's rule
(``metadata.id_token_algorithm``).
"""

from __future__ import annotations

import logging
import ssl
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import urllib3
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider import cimd
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from .. import compat
from ..audit import Actor, Event, record
from ..conf import oauth_settings
from .metadata import MetadataError, id_token_algorithm
from .policy import MetadataDocuments, capped_scopes, document_host_listed, policy_of

if TYPE_CHECKING:
    from ..models import RegistrationPolicy
    from ..typing import Application, OAuthlibRequest, Organization

logger = logging.getLogger("perscom_oauth.registration")

CIMDError = cimd.CIMDError
is_metadata_document_url = cimd.is_cimd_client_id

#: The document's optional RFC 7591 §2 fields the consent screen shows (model fields of the same name).
DISPLAY_FIELDS = ("client_uri", "logo_uri", "policy_uri", "tos_uri")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class DocumentFetcher(cimd.SafeMetadataFetcher):
    """The base library's hardened fetcher; with ``TEST_METADATA_DOCUMENTS_CA`` set (tests
    only: ``check --deploy`` refuses it, perscom_oauth.E040), documents on this machine are
    fetched too, verified against that CA alone."""

    def fetch(self, client_id: str) -> tuple[dict[str, Any], int]:
        test_ca = oauth_settings.TEST_METADATA_DOCUMENTS_CA
        parsed = urlparse(client_id)
        if test_ca and (parsed.hostname or "") in LOOPBACK_HOSTS:
            return self.fetch_from_this_machine(client_id, test_ca)
        answer: tuple[dict[str, Any], int] = super().fetch(client_id)
        return answer

    def fetch_from_this_machine(self, client_id: str, ca_file: str) -> tuple[dict[str, Any], int]:
        parsed = compat.validate_client_id_url(client_id)
        timeout = oauth2_settings.CIMD_FETCH_TIMEOUT_SECONDS
        context = ssl.create_default_context(cafile=ca_file)
        pool = urllib3.HTTPSConnectionPool(
            host=parsed.hostname,
            port=parsed.port or 443,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            maxsize=1,
            ssl_context=context,
        )
        path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        try:
            response = pool.urlopen("GET", path, redirect=False, preload_content=False)
            try:
                answer = compat.read_document(self, response)
                return answer
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as error:
            raise CIMDError(f"could not fetch client_id document: {error}") from error
        finally:
            pool.close()


def client_for(client_id: str, organization: Organization, request: OAuthlibRequest) -> Application | None:
    """The organization's application for the metadata-document URL ``client_id``, fetched
    (or fetched again, once its document's cache lifetime is over) as the policy allows; None
    when the policy refuses it or no valid document could be read (an unknown client: RFC 6749
    §4.1.2.1, §5.2 ``invalid_client``)."""
    model = get_application_model()
    known: Application | None = model.objects.filter(organization=organization, client_id=client_id).first()
    if known is not None and (
        known.registration_source != model.RegistrationSource.CIMD
        or known.review == model.Review.BLOCKED
        or (known.cimd_expires_at is not None and timezone.now() <= known.cimd_expires_at)
    ):
        return known
    policy = policy_of(organization)
    if policy.metadata_documents == MetadataDocuments.OFF:
        return None
    host = urlparse(client_id).hostname or ""
    if policy.metadata_documents == MetadataDocuments.LISTED and not document_host_listed(policy, host):
        return None
    fetched = _fetch(client_id, organization)
    if isinstance(fetched, str):
        if known is not None:  # keep the last good document (the draft forbids caching an error)
            model.objects.filter(pk=known.pk).update(metadata_error=fetched[:255])
        return known
    return _store(client_id, organization, policy, fetched, known, request)


def _fetch(client_id: str, organization: Organization) -> tuple[dict[str, Any], int] | str:
    """The document and its cache lifetime, or why it could not be had."""
    backoff = compat.backoff_key(client_id)
    if cache.get(backoff):
        return "in failure backoff"
    with compat.fetch_slot() as acquired:
        if not acquired:
            return "too many documents being fetched"
        try:
            document, max_age = DocumentFetcher().fetch(client_id)
            if document.get("client_id") != client_id:
                # §4.1: the document names itself, so it cannot speak for another URL.
                raise CIMDError("the document's client_id is not its URL")
            return document, max_age
        except CIMDError as error:
            reason = str(error)
        except Exception as error:  # a client-controlled URL: never a 500 (logged with its traceback)
            logger.exception("Fetching %r for organization %s failed", client_id, organization.pk)
            reason = type(error).__name__
    logger.info("Client ID metadata document %r refused: %s", client_id, reason)
    cache.set(backoff, True, oauth2_settings.CIMD_FAILURE_BACKOFF_SECONDS)
    return reason


def _store(
    client_id: str,
    organization: Organization,
    policy: RegistrationPolicy,
    fetched: tuple[dict[str, Any], int],
    known: Application | None,
    request: OAuthlibRequest,
) -> Application | None:
    document, max_age = fetched
    model = get_application_model()
    try:
        fields = _fields_from(document, policy)
    except CIMDError as error:
        logger.info("Client ID metadata document %r refused: %s", client_id, error)
        return _failed(known, str(error), client_id)
    first_sight = known is None
    application = known if known is not None else model(client_id=client_id, organization=organization)
    for name, value in fields.items():
        setattr(application, name, value)
    application.client_type = model.CLIENT_PUBLIC
    application.registration_source = model.RegistrationSource.CIMD
    application.cimd_expires_at = timezone.now() + timedelta(seconds=max_age)
    application.metadata_fetched = timezone.now()
    application.metadata_error = ""
    if first_sight:
        approval = policy.metadata_documents == MetadataDocuments.APPROVAL
        application.review = model.Review.PENDING if approval else model.Review.APPROVED
    try:
        application.full_clean(exclude=["client_secret"], validate_unique=False)
    except ValidationError as error:
        return _failed(known, "invalid client metadata: " + "; ".join(error.messages), client_id)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # The same URL seen twice at once in this organization: the other request stored it.
        found: Application | None = model.objects.filter(
            organization=organization, client_id=client_id
        ).first()
        return found
    if first_sight:
        record(
            Event.CLIENT_REGISTERED,
            organization=organization,
            actor_type=Actor.CLIENT,
            application=application,
            request=request,
            source="client_id_metadata_document",
            review=application.review,
        )
    return application


def _failed(known: Application | None, reason: str, client_id: str) -> Application | None:
    cache.set(compat.backoff_key(client_id), True, oauth2_settings.CIMD_FAILURE_BACKOFF_SECONDS)
    if known is not None:
        get_application_model().objects.filter(pk=known.pk).update(metadata_error=reason[:255])
    return known


def _fields_from(document: dict[str, Any], policy: RegistrationPolicy) -> dict[str, Any]:
    """The application's fields from the document: the base library's reading (public only, no
    secret, redirect URIs required, one grant), restricted to the authorization code grant."""
    fields = compat.application_fields(document)
    if fields["authorization_grant_type"] != get_application_model().GRANT_AUTHORIZATION_CODE:
        raise CIMDError("only the authorization_code grant is offered to metadata-document clients")
    scope = document.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise CIMDError("scope must be a string")
    for name in DISPLAY_FIELDS:
        value = document.get(name, "")
        if not isinstance(value, str):
            raise CIMDError(f"{name} must be a string")
        fields[name] = value
    host = urlparse(document["client_id"]).hostname or ""
    fields["name"] = (fields["name"] or host)[:255]
    # Not the host: the consent screen names the document's domain as a fact of its own,
    # while a publisher is shown as the developer's claim.
    fields["publisher"] = ""
    fields["allowed_scopes"] = capped_scopes(policy, scope)
    fields["description"] = ""
    # The document is RFC 7591 §2 client metadata, OpenID Connect's included. Unlike a dynamic
    # registration's (fixed: ``dynamic.refuse_algorithm_change``), it follows the document when
    # that is fetched again, as every field here does: the document is the client's only way to
    # say anything, and no administrator set it. Tokens signed before stay verifiable: the
    # organization's JWKS publishes its RS256 and ES256 keys alike, each named by its kid.
    try:
        fields["algorithm"] = id_token_algorithm(document)
    except MetadataError as problem:
        raise CIMDError(problem.description) from None
    return fields


__all__ = ["DocumentFetcher", "client_for", "is_metadata_document_url"]
