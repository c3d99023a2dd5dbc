"""Client ID Metadata Documents per organization (draft-ietf-oauth-client-id-metadata-document),
through the authorization and token endpoints, against a real https server on 127.0.0.1.

Each organization decides (``RegistrationPolicy.metadata_documents``); the fetch is the base
library's hardened one, which these tests reach on this machine only through the test-only
``TEST_METADATA_DOCUMENTS_CA`` (``check --deploy`` refuses it: perscom_oauth.E040).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from perscom_oauth.models import Application, AuditEvent, Organization, RegistrationPolicy
from tests.conftest import make_member, role
from tests.factories import REDIRECT_URI, ApplicationFactory, OrganizationFactory
from tests.https_documents import Answer, DocumentServer
from tests.oauth import OAuthClient, host_of, pkce_pair
from tests.signing_support import es256_claims

Mode = RegistrationPolicy.MetadataDocuments
BOUNDED = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
#: Every member a document may have (RFC 7591 §2 and the draft), and values that reach deep.
FIELDS = [
    "client_id", "client_name", "redirect_uris", "grant_types", "response_types", "scope",
    "token_endpoint_auth_method", "client_secret", "client_uri", "logo_uri", "policy_uri", "tos_uri",
    "jwks_uri", "software_id", "contacts",
]  # fmt: skip
FIELD_VALUES = [
    "none", "authorization_code", "implicit", "client_credentials", "refresh_token", "javascript:alert(1)",
    REDIRECT_URI, "https://agent.example/cb#x", "http://[::1", "view:user", "*", "\x00", "x" * 600,
]  # fmt: skip


@pytest.fixture(scope="module")
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def trust_test_ca(settings: Any, documents: DocumentServer) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TEST_METADATA_DOCUMENTS_CA": documents.ca_file}


@pytest.fixture
def viewer(org: Any) -> Any:
    return make_member(org, "viewer", role("Viewer", "view"))


def allow(organization: Organization, mode: str = Mode.LISTED, **fields: Any) -> RegistrationPolicy:
    fields = {
        "metadata_document_domains": "127.0.0.1",
        "allowed_scopes": "openid view:user view:award",
        **fields,
    }
    policy, _ = RegistrationPolicy.objects.update_or_create(
        organization=organization, defaults={"metadata_documents": mode, **fields}
    )
    return policy


def ask(oauth: OAuthClient, user: Any, client_id: str, scope: str = "view:user", **extra: str) -> Any:
    """The consent screen (GET), as the member sees it."""
    _verifier, challenge = pkce_pair()
    params = {"client_id": client_id, "scope": scope, "state": "s", "code_challenge": challenge}
    return oauth.authorization_request(user, "get", **{**params, "code_challenge_method": "S256", **extra})


def signed_in(oauth: OAuthClient, user: Any, client_id: str, scope: str = "view:user") -> dict[str, Any]:
    """Code + PKCE S256 as a public client: the token response. The screen first (the consent
    form posts only what the screen's request validated)."""
    assert ask(oauth, user, client_id, scope).status_code == 200
    verifier, challenge = pkce_pair()
    response = oauth.authorization_request(
        user,
        "post",
        client_id=client_id,
        scope=scope,
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
        approved_scopes=scope.split(),
        allow="Authorize",
    )
    assert response.status_code == 302, response.content
    code = response["Location"].split("code=")[1].split("&")[0]
    answer = oauth.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        client_id=client_id,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.content
    return dict(answer.json())


def unknown_client(response: Any) -> bool:
    """RFC 6749 §4.1.2.1: an invalid client_id is never redirected to; the member gets a page."""
    return (
        response.status_code == 400
        and b"invalid_request" in response.content
        and not response.has_header("Location")
    )


# --- the policy ---------------------------------------------------------------------------------


def test_off_by_default_and_nothing_is_fetched(
    oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    url = documents.serve_document("/off.json")
    assert unknown_client(ask(oauth, viewer, url))
    assert documents.hits.get("/off.json") is None
    assert not Application.objects.filter(client_id=url).exists()


def test_a_listed_domain_signs_in_as_a_public_client_with_pkce(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve_document(
        "/agent.json", client_name="Agent Smith", logo_uri="https://127.0.0.1/logo.png"
    )
    screen = ask(oauth, viewer, url)
    assert screen.status_code == 200, screen.content
    page = screen.content.decode()
    assert "Identified by 127.0.0.1:" in page and "Alpha Unit has not verified it" in page
    token = signed_in(oauth, viewer, url)
    assert oauth.api(token["access_token"]).status_code == 200
    application = Application.objects.get(organization=org, client_id=url)
    assert (application.client_type, application.registration_source, application.review) == (
        "public",
        "cimd",
        "approved",
    )
    assert application.client_secret == ""
    assert application.allowed_scopes == "openid view:award view:user"
    assert application.metadata_fetched is not None
    registered = AuditEvent.objects.get(event="client_registered", application=application)
    assert registered.details == {"source": "client_id_metadata_document", "review": "approved"}


def test_a_domain_not_listed_is_an_unknown_client(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org, metadata_document_domains="agents.example.com\n.trusted.example")
    url = documents.serve_document("/unlisted.json")
    assert unknown_client(ask(oauth, viewer, url))
    assert documents.hits.get("/unlisted.json") is None  # refused before any fetch


def test_a_bare_star_lists_nothing(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org, metadata_document_domains="*")
    assert unknown_client(ask(oauth, viewer, documents.serve_document("/star.json")))


def test_approval_first_then_the_admin_approves(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer, admin: Any
) -> None:
    allow(org, Mode.APPROVAL, metadata_document_domains="")
    url = documents.serve_document("/waiting.json", client_name="Waiting Agent")
    waiting = ask(oauth, viewer, url)
    assert waiting.status_code == 400 and b"Awaiting approval" in waiting.content
    application = Application.objects.get(organization=org, client_id=url)
    assert application.review == "pending"
    listed = admin.get("/admin/perscom_oauth/application/?review__exact=pending")
    assert url in listed.content.decode()
    approved = admin.post(
        "/admin/perscom_oauth/application/",
        {"action": "approve", "_selected_action": [application.pk]},
        follow=True,
    )
    assert b"Approved 1 client." in approved.content
    assert ask(oauth, viewer, url).status_code == 200
    assert AuditEvent.objects.filter(event="client_approved", application=application).exists()


def test_blocking_revokes_its_tokens_and_a_new_document_does_not_unblock(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer, admin: Any
) -> None:
    allow(org)
    url = documents.serve_document("/blocked.json", client_name="Rogue Agent")
    token = signed_in(oauth, viewer, url)["access_token"]
    application = Application.objects.get(organization=org, client_id=url)
    blocked = admin.post(
        "/admin/perscom_oauth/application/",
        {"action": "block", "_selected_action": [application.pk]},
        follow=True,
    )
    assert b"Blocked 1 client." in blocked.content
    assert oauth.api(token).status_code == 401
    Application.objects.filter(pk=application.pk).update(cimd_expires_at=None)  # due a re-fetch
    page = ask(oauth, viewer, url)
    assert page.status_code == 400 and b"Application blocked" in page.content
    assert Application.objects.get(pk=application.pk).review == "blocked"


def test_the_same_url_is_one_client_per_organization(
    org: Any, other_org: Any, viewer: Any, documents: DocumentServer, admin: Any
) -> None:
    """Each organization keeps its own row for a URL: its own review, its own block."""
    allow(org)
    allow(other_org)
    url = documents.serve_document("/shared.json")
    other_member = make_member(other_org, "other", role("Viewer", "view"))
    alpha, bravo = OAuthClient(host_of(org)), OAuthClient(host_of(other_org))
    alpha_token = signed_in(alpha, viewer, url)["access_token"]
    bravo_token = signed_in(bravo, other_member, url)["access_token"]
    rows = Application.objects.filter(client_id=url)
    assert {row.organization_id for row in rows} == {org.pk, other_org.pk}
    # One organization blocking it changes nothing for the other.
    admin.post(
        "/admin/perscom_oauth/application/",
        {"action": "block", "_selected_action": [rows.get(organization=org).pk]},
    )
    assert alpha.api(alpha_token).status_code == 401
    assert bravo.api(bravo_token).status_code == 200
    # A token is only ever valid at its own organization's host.
    assert alpha.api(bravo_token).status_code == 401


def test_the_basic_plan_refuses_before_fetching(viewer: Any, documents: DocumentServer) -> None:
    basic = OrganizationFactory(slug="basic", plan=Organization.Plan.BASIC)
    allow(basic)
    member = make_member(basic, "carol", role("Viewer", "view"))
    url = documents.serve_document("/basic.json")
    page = ask(OAuthClient(host_of(basic)), member, url)
    assert page.status_code == 403
    assert documents.hits.get("/basic.json") is None


def test_scopes_beyond_the_policy_are_refused(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org, allowed_scopes="view:user")
    url = documents.serve_document("/narrow.json", scope="view:user delete:user")
    assert ask(oauth, viewer, url, scope="view:user").status_code == 200
    refused = ask(oauth, viewer, url, scope="delete:user")
    assert refused.status_code == 302 and "error=invalid_scope" in refused["Location"]
    assert Application.objects.get(client_id=url).allowed_scopes == "view:user"


def test_tightening_the_policy_narrows_existing_clients(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    policy = allow(org)
    url = documents.serve_document("/tighten.json")
    assert ask(oauth, viewer, url, scope="view:award").status_code == 200
    policy.allowed_scopes = "view:user"
    policy.save()
    assert Application.objects.get(client_id=url).allowed_scopes == "view:user"
    refused = ask(oauth, viewer, url, scope="view:award")
    assert refused.status_code == 302 and "error=invalid_scope" in refused["Location"]


def test_pkce_s256_is_required(org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer) -> None:
    allow(org)
    url = documents.serve_document("/pkce.json")
    without = oauth.authorization_request(viewer, "get", client_id=url, scope="view:user", state="s")
    assert without.status_code == 302 and "error=invalid_request" in without["Location"]
    plain = oauth.authorization_request(
        viewer,
        client_id=url,
        scope="view:user",
        state="s",
        code_challenge="a" * 43,
        code_challenge_method="plain",
        approved_scopes=["view:user"],
        allow="Authorize",
    )  # RFC 9700 §2.1.1: S256 only (refused when the code would be issued)
    assert plain.status_code == 302 and "error=invalid_request" in plain["Location"]
    assert "code=" not in plain["Location"]


def test_the_token_endpoint_takes_no_secret_from_it(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    """A metadata-document client is public: it cannot use a confidential client's grant."""
    allow(org)
    url = documents.serve_document("/m2m.json")
    ask(oauth, viewer, url)
    answer = oauth.token(grant_type="client_credentials", client_id=url, client_secret="")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_document_chooses_es256_id_tokens(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve_document("/es256.json", id_token_signed_response_alg="ES256")
    token = signed_in(oauth, viewer, url, scope="openid view:user")["id_token"]
    assert es256_claims(oauth, token)["aud"] == url


def test_es256_needs_per_organization_keys(
    settings: Any, org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "SIGNING_KEY_ENCRYPTION_KEYS": []}
    allow(org)
    url = documents.serve_document("/es256-no-kek.json", id_token_signed_response_alg="ES256")
    assert unknown_client(ask(oauth, viewer, url))
    assert not Application.objects.filter(client_id=url).exists()


# --- what a document may not be -----------------------------------------------------------------


BAD_DOCUMENTS = {
    "client_secret": {"client_secret": "hunter2"},
    "confidential": {"token_endpoint_auth_method": "client_secret_basic"},
    "client_credentials": {"grant_types": ["client_credentials"]},
    "implicit": {"grant_types": ["implicit"]},
    "no_redirect_uris": {"redirect_uris": []},
    "javascript_redirect": {"redirect_uris": ["javascript:alert(1)"]},
    "fragment_redirect": {"redirect_uris": ["https://agent.example/cb#frag"]},
    "redirect_not_a_list": {"redirect_uris": "https://agent.example/cb"},
    "logo_not_web": {"logo_uri": "ftp://agent.example/logo.png"},
    "name_not_text": {"client_name": ["A"]},
    "scope_not_text": {"scope": 7},
    # OpenID Connect Dynamic Client Registration 1.0 §2, under the same rule as a registration's.
    "alg_hs256": {"id_token_signed_response_alg": "HS256"},
    "alg_none": {"id_token_signed_response_alg": "none"},
    "alg_not_text": {"id_token_signed_response_alg": ["ES256"]},
}


@pytest.mark.parametrize("name", BAD_DOCUMENTS)
def test_an_invalid_document_is_an_unknown_client(
    name: str, org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve_document(f"/bad-{name}.json", **BAD_DOCUMENTS[name])
    assert unknown_client(ask(oauth, viewer, url))
    assert not Application.objects.filter(client_id=url).exists()


@pytest.mark.parametrize(
    "answer",
    [
        Answer(status=302, headers={"Location": "https://127.0.0.1/elsewhere.json"}),
        Answer(status=500, body=b"{}"),
        Answer(body=b"{not json"),
        Answer(body=b"[1, 2]"),
        Answer(body=b'{"client_id": "x"}', headers={"Content-Type": "text/html"}),
        Answer(body=b" " * (17 * 1024)),
    ],
    ids=["redirect", "error-status", "malformed", "not-an-object", "not-json-type", "oversized"],
)
def test_a_bad_answer_is_an_unknown_client(
    answer: Answer, org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    path = f"/answer-{id(answer)}.json"
    url = documents.serve(path, answer)
    assert unknown_client(ask(oauth, viewer, url))
    assert documents.hits[path] == 1


def test_a_document_speaking_for_another_url_is_refused(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve(
        "/impostor.json",
        Answer(
            body=json.dumps(
                {"client_id": documents.url("/victim.json"), "redirect_uris": [REDIRECT_URI]}
            ).encode()
        ),
    )
    assert unknown_client(ask(oauth, viewer, url))


def test_a_slow_document_times_out(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer, settings: Any
) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CIMD_FETCH_TIMEOUT_SECONDS": 1}
    allow(org)
    url = documents.serve("/slow.json", Answer(body=b"{}", delay=3))
    assert unknown_client(ask(oauth, viewer, url))


def test_a_failure_backs_off(org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer) -> None:
    """A URL that failed is not fetched again within CIMD_FAILURE_BACKOFF_SECONDS: a flood of
    requests for a bad URL costs one fetch."""
    allow(org)
    url = documents.serve("/flaky.json", Answer(status=503))
    for _ in range(5):
        assert unknown_client(ask(oauth, viewer, url))
    assert documents.hits["/flaky.json"] == 1


def test_a_failed_refetch_keeps_the_last_good_document(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve_document("/refetch.json")
    assert ask(oauth, viewer, url).status_code == 200
    Application.objects.filter(client_id=url).update(cimd_expires_at=None)
    documents.serve("/refetch.json", Answer(status=500))
    assert ask(oauth, viewer, url).status_code == 200
    assert "HTTP 500" in Application.objects.get(client_id=url).metadata_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/plain-http.json",
        "https://10.1.2.3/private.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/mapped.json",
        "https://user:pw@agent.example/userinfo.json",
        "https://agent.example/a/../b.json",
        "https://agent.example",
    ],
)
def test_the_hardened_fetcher_refuses(url: str, org: Any, oauth: OAuthClient, viewer: Any) -> None:
    allow(org, Mode.APPROVAL)
    assert unknown_client(ask(oauth, viewer, url))
    assert not Application.objects.filter(client_id=url).exists()


def test_without_the_test_ca_this_machine_is_out_of_reach(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer, settings: Any
) -> None:
    """The production behaviour: loopback addresses are refused (SSRF), however valid the document."""
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TEST_METADATA_DOCUMENTS_CA": None}
    allow(org)
    url = documents.serve_document("/loopback.json")
    assert unknown_client(ask(oauth, viewer, url))
    assert documents.hits.get("/loopback.json") is None


def test_check_deploy_refuses_the_test_setting() -> None:
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E040"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_the_test_setting_must_be_a_path(settings: Any) -> None:
    settings.PERSCOM_OAUTH = {**settings.PERSCOM_OAUTH, "TEST_METADATA_DOCUMENTS_CA": 42}
    with pytest.raises(SystemCheckError, match=r"perscom_oauth\.E032"):
        call_command("check", "--fail-level", "ERROR")


def test_a_manual_client_is_never_taken_over(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    """An application registered by hand whose client ID is an https URL stays what it is."""
    allow(org)
    url = documents.serve_document("/manual.json", redirect_uris=["https://evil.example/cb"])
    manual = ApplicationFactory(organization=org, client_id=url, name="Registered by hand")
    assert ask(oauth, viewer, url).status_code == 200
    manual.refresh_from_db()
    assert (manual.registration_source, manual.redirect_uris) == ("manual", REDIRECT_URI)
    assert documents.hits.get("/manual.json") is None


@override_settings(ALLOWED_HOSTS=["*"])
def test_redirect_uri_must_be_one_the_document_lists(
    org: Any, oauth: OAuthClient, viewer: Any, documents: DocumentServer
) -> None:
    allow(org)
    url = documents.serve_document("/redirects.json")
    for other in (
        "https://evil.example/callback",
        "http://127.0.0.1:8765/callback#x",
        "http://127.0.0.1:8765/other",
    ):
        response = ask(oauth, viewer, url, redirect_uri=other)
        assert response.status_code == 400 and not response.has_header("Location"), other
    # RFC 8252 §7.3: a loopback IP redirect URI may use any port.
    assert ask(oauth, viewer, url, redirect_uri="http://127.0.0.1:9999/callback").status_code == 200


# --- fuzz ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(FIELD_VALUES),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
documents_fields = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))


@BOUNDED
@given(fields=documents_fields, raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_no_document_yields_a_server_error(
    fields: dict[str, Any],
    raw: bytes | None,
    org: Any,
    oauth: OAuthClient,
    viewer: Any,
    documents: DocumentServer,
) -> None:
    """Whatever a document holds (any JSON at each field, or bytes that are not JSON), the
    authorization endpoint answers the screen, an error page or an error redirect: never a 5xx."""
    allow(org, Mode.APPROVAL)
    documents.hits.clear()
    path = f"/fuzz-{len(documents.answers)}.json"
    url = documents.url(path)
    body = raw if raw is not None else json.dumps({"client_id": url, **fields}).encode()
    documents.serve(path, Answer(body=body))
    response = ask(oauth, viewer, url)
    assert response.status_code in (200, 302, 400), response.status_code
