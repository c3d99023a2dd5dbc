"""mypy really checks the token path: the Protocols of ``perscom_oauth.typing`` (issue 21).

django-oauth-toolkit and oauthlib ship no type information, so before these Protocols every
token, application and oauthlib request was ``Any`` and mypy accepted anything done with
them. Here mypy, with the project's configuration (``pyproject.toml``, the django-stubs
plugin), checks two small modules: one with mistakes it must report, each for the right
reason, and the same code written correctly, which must pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (it comes with the dev dependencies)")
pytest.importorskip("mypy_django_plugin", reason="django-stubs is not installed (dev dependencies)")

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from perscom_oauth.typing import AccessToken, Application, IDToken, OAuthlibRequest, RefreshToken
"""

#: Each mistake, and what mypy must say about it (a fragment of its message).
MISTAKES = {
    "def expiry(token: AccessToken) -> int:\n    return token.expires\n": (
        'Incompatible return value type (got "datetime", expected "int")'
    ),
    "def expiry(token: AccessToken) -> datetime:\n    return token.expirse\n": (
        '"AccessToken" has no attribute "expirse"'
    ),
    "def active(token: AccessToken) -> bool:\n    return token.user.is_active\n": (
        'Item "None" of "User | None" has no attribute "is_active"'
    ),
    "def family(token: RefreshToken) -> str:\n    return token.token_family\n": (
        'Incompatible return value type (got "UUID | None", expected "str")'
    ),
    "def public(application: Application) -> bool:\n    return application.client_tpye == 'public'\n": (
        '"Application" has no attribute "client_tpye"'
    ),
    "def issued_to(token: IDToken) -> int:\n    return token.application.organisation_id\n": (
        '"Application" has no attribute "organisation_id"'
    ),
    "def client_of(request: OAuthlibRequest) -> Application:\n    return request.cilent\n": (
        '"OAuthlibRequest" has no attribute "cilent"'
    ),
    "def refuse(request: OAuthlibRequest) -> None:\n    request.oauth2_error = 'invalid_token'\n": (
        'Incompatible types in assignment (expression has type "str", variable has type "dict[str, str]")'
    ),
}

#: The same functions written correctly.
CORRECT = [
    "def expiry(token: AccessToken) -> datetime:\n    return token.expires\n",
    "def active(token: AccessToken) -> bool:\n    return token.user is not None and token.user.is_active\n",
    "def family(token: RefreshToken) -> str:\n    return str(token.token_family)\n",
    "def public(application: Application) -> bool:\n    return application.client_type == 'public'\n",
    "def issued_to(token: IDToken) -> int:\n    return token.application.organization_id\n",
    "def client_of(request: OAuthlibRequest) -> Application:\n    return request.client\n",
    "def refuse(request: OAuthlibRequest) -> None:\n"
    "    request.oauth2_error = {'error': 'invalid_token', 'error_description': ''}\n",
]


def module(functions: list[str]) -> str:
    # Each function numbered, so that a message is matched to the mistake on its line.
    return HEADER + "".join(
        f"\n\n{code.replace('def ', f'def f{i}_', 1)}" for i, code in enumerate(functions)
    )


def test_mypy_reports_mistakes_against_the_protocols(tmp_path: Path) -> None:
    mistakes, correct = tmp_path / "mistakes.py", tmp_path / "correct.py"
    mistakes.write_text(module(list(MISTAKES)))
    correct.write_text(module(CORRECT))
    # MYPYPATH first: the perscom_oauth of this checkout, not an installed copy. The plugin
    # loads the settings named in pyproject.toml ([tool.django-stubs]) from the checkout too.
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            "--no-error-summary",
            "--show-error-codes",
            str(mistakes),
            str(correct),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # 1: type errors found (2 would be a crash or bad usage)
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert not [line for line in errors if "correct.py" in line], output
    lines = mistakes.read_text().splitlines()
    by_function: dict[str, list[str]] = {}
    for line in errors:
        match = re.match(r".*mistakes\.py:(\d+): error: (.*)", line)
        assert match, f"an error outside the mistakes: {line}\n{output}"
        number, message = int(match.group(1)), match.group(2)
        # The function whose body holds the line: the nearest "def f<i>_" above it.
        above = next(lines[i] for i in range(number - 1, -1, -1) if lines[i].startswith("def f"))
        by_function.setdefault(above.split("_", 1)[0], []).append(message)
    for i, expected in enumerate(MISTAKES.values()):
        messages = by_function.get(f"def f{i}", [])
        # The reason expected, and nothing else (a misspelt attribute is also Any, returned).
        assert [message for message in messages if expected in message], (expected, messages, output)
        others = [message for message in messages if expected not in message]
        assert all("has no attribute" in expected and "Returning Any" in m for m in others), output
