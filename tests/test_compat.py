"""Issue 19 point 9: the private parts of django-oauth-toolkit we override or call are listed in
``perscom_oauth.compat`` with the signature we were written for; these tests fail when an
upgrade changes one, or when the code starts using one the module does not list."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import oauth2_provider
import pytest
from oauth2_provider import cimd, oauth2_backends

from perscom_oauth import compat

PACKAGE = Path(compat.__file__).parent
REQUIREMENTS = PACKAGE.parent / "requirements.txt"


def test_the_installed_base_library_is_the_one_compat_was_written_for() -> None:
    pinned = re.search(r"^django-oauth-toolkit==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned is not None
    assert pinned.group(1) == compat.BASE_VERSION, "requirements.txt and compat.BASE_VERSION disagree"
    assert oauth2_provider.__version__ == compat.BASE_VERSION, (
        f"django-oauth-toolkit {oauth2_provider.__version__} is installed; perscom_oauth.compat was "
        f"written for {compat.BASE_VERSION}: re-read each method it lists, then update it"
    )


@pytest.mark.parametrize("name", sorted(compat.SIGNATURES))
def test_each_private_method_has_the_signature_we_were_written_for(name: str) -> None:
    method = getattr(compat.Base, name, None)
    assert method is not None, f"django-oauth-toolkit no longer has OAuth2Validator.{name}"
    assert str(inspect.signature(method)) == compat.SIGNATURES[name]


@pytest.mark.parametrize("name", sorted(compat.CIMD_SIGNATURES))
def test_each_metadata_document_helper_has_the_signature_we_were_written_for(name: str) -> None:
    owner: object = cimd
    for part in name.split("."):
        owner = getattr(owner, part, None)
        assert owner is not None, f"oauth2_provider.cimd no longer has {name}"
    assert str(inspect.signature(owner)) == compat.CIMD_SIGNATURES[name]  # type: ignore[arg-type]


def test_every_private_metadata_document_helper_we_use_is_listed() -> None:
    helpers = {name for name in dir(cimd) if name.startswith("_") and not name.startswith("__")}
    helpers |= private_names(cimd.SafeMetadataFetcher)
    listed = {name.rpartition(".")[2] for name in compat.CIMD_SIGNATURES}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "compat.py" or "migrations" in path.parts:
            continue
        used = set(re.findall(r"\b_[a-z]\w*", path.read_text())) & helpers
        assert not used, f"{path.relative_to(PACKAGE)} uses {used} of oauth2_provider.cimd: go through compat"
    assert listed <= helpers


def private_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if name.startswith("_") and not name.startswith("__")}


def test_every_private_name_of_the_base_library_we_use_is_listed() -> None:
    # Any name of the base validator's or backend's private surface written anywhere in the
    # package, as an override or a call, must be in compat's table (and so pinned above).
    base = private_names(compat.Base) | private_names(oauth2_backends.OAuthLibCore)
    used: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for name in set(re.findall(r"\b_[a-z]\w*", path.read_text())) & base:
            used.setdefault(name, set()).add(str(path.relative_to(PACKAGE)))
    unlisted = {name: sorted(files) for name, files in used.items() if name not in compat.SIGNATURES}
    assert not unlisted, f"private base-library names used but not in perscom_oauth.compat: {unlisted}"
    assert set(compat.SIGNATURES) <= set(used), "compat lists a name nothing uses any more"


#: The calls of private base-library methods outside compat, by module. The validator: our
#: ``_load_application`` hands every other client ID to the base library's (``super()``), and
#: ``save_bearer_token`` calls our own override (the base library's design); the ID token hint
#: check calls our ``_get_key_for_token`` (every published key of the organization).
DIRECT_CALLS = {
    "server/validator.py": ["_load_application", "_save_bearer_token"],
    "oidc/claims.py": ["_get_key_for_token"],
}


def test_calls_go_through_compat() -> None:
    called = re.compile(r"\.(" + "|".join(compat.SIGNATURES) + r")\(")
    found = {}
    for path in PACKAGE.rglob("*.py"):
        calls = called.findall(path.read_text())
        if calls and path.name != "compat.py":
            found[str(path.relative_to(PACKAGE))] = calls
    assert found == DIRECT_CALLS
    overridden = {
        "_check_secret",
        "_extract_basic_auth",
        "_save_bearer_token",
        "_load_application",
        "_get_key_for_token",
    }
    validators = (PACKAGE / "server" / "validator.py").read_text()
    assert {name for name in compat.SIGNATURES if f"def {name}(" in validators} == overridden
