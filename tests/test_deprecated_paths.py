"""Issue 21: the dotted paths 0.2 documented for settings still load, warn, and name the very
class of the new layout (CHANGELOG, "Deprecated"); the defaults name the new paths."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from django.utils.module_loading import import_string

from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS

MOVED = {
    "perscom_oauth.validators.OAuth2Validator": "perscom_oauth.server.validator.OAuth2Validator",
    "perscom_oauth.backends.OAuthLibCore": "perscom_oauth.server.backend.OAuthLibCore",
    "perscom_oauth.redis_cache.RedisCache": "perscom_oauth.cache.backend.RedisCache",
    "perscom_oauth.outage.DatabaseOutageMiddleware": "perscom_oauth.http.outage.DatabaseOutageMiddleware",
}


@pytest.mark.parametrize(("old", "new"), MOVED.items())
def test_an_old_settings_path_warns_and_loads_the_new_class(old: str, new: str) -> None:
    module = old.rpartition(".")[0]
    sys.modules.pop(module, None)  # the warning is the module's import
    with pytest.warns(DeprecationWarning, match=new.rpartition(".")[0]):
        loaded = import_string(old)
    assert loaded is import_string(new)


def test_the_defaults_name_the_new_paths() -> None:
    assert (
        OAUTH2_PROVIDER_DEFAULTS["OAUTH2_VALIDATOR_CLASS"]
        == MOVED["perscom_oauth.validators.OAuth2Validator"]
    )
    assert OAUTH2_PROVIDER_DEFAULTS["OAUTH2_BACKEND_CLASS"] == MOVED["perscom_oauth.backends.OAuthLibCore"]


def test_nothing_of_the_package_or_the_demo_names_a_deprecated_path() -> None:
    # Only a host's old settings may warn: our own code and the demo's settings name the new
    # paths (every import, and every dotted path written in a string; the system checks alone
    # name the old ones, to accept them).
    root = Path(__file__).resolve().parent.parent
    shims = {old.rpartition(".")[0] for old in MOVED}
    written = []
    for path in [*(root / "perscom_oauth").rglob("*.py"), *(root / "project").rglob("*.py")]:
        if ".".join(path.relative_to(root).with_suffix("").parts) in {*shims, "perscom_oauth.checks"}:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            named = []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                named = [node.module or ""]
            elif isinstance(node, ast.ImportFrom):  # relative: resolved from the file's package
                package = path.relative_to(root).parent.parts[
                    : len(path.relative_to(root).parts) - node.level
                ]
                named = [".".join([*package, node.module or ""]).rstrip(".")]
                named += [f"{named[0]}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in MOVED:
                named = [node.value]  # a logger's name, "perscom_oauth.outage", is no path
            written += [
                (str(path), name) for name in named if name in shims or name.rpartition(".")[0] in shims
            ]
    assert written == []
