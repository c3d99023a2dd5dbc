"""What the live conformance tests share (tests/test_conformance.py,
tests/test_conformance_oauth4webapi.py): the Node runners in tests/conformance, the organization
that answers at both loopback names, and the user's browser that signs in and consents.

A runner is one step per call, `node <script> '<json step>'`, printing one JSON answer; the
library does the checking, and a failed check comes back as ``{"failed": ..., "code": ...}``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from perscom_oauth.models import Application, Organization
from tests.browser import Browser
from tests.conftest import make_member, role
from tests.factories import REDIRECT_URI, ApplicationFactory, DomainFactory, OrganizationFactory

RUNNERS = Path(__file__).parent / "conformance"
#: The two names of the loopback interface; the organization answers at both, and each is its
#: own issuer (RFC 8414 §3.3: the issuer is the URL the document was fetched from).
LOOPBACK_NAMES = ["localhost", "127.0.0.1"]


def node_or_skip(package: str) -> str:
    """Node.js, once the npm package is installed; skipped with a message, never in CI."""
    node = shutil.which("node")
    if node and (RUNNERS / "node_modules" / package).is_dir():
        return node
    message = f"{package} not installed: run `bash .ci/npm.sh` (needs Node.js and npm)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the conformance tests: {message}")
    pytest.skip(message)


def run_step(script: str, package: str, command: dict[str, Any]) -> dict[str, Any]:
    """One step of a runner; its JSON answer."""
    done = subprocess.run(
        [node_or_skip(package), script, json.dumps(command)],
        cwd=RUNNERS,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def passed(answer: dict[str, Any]) -> dict[str, Any]:
    assert "failed" not in answer, answer
    return answer


def live_organization(**app_fields: Any) -> tuple[Organization, Application]:
    """One organization at both loopback names, a member `pilot` (password `pw`) and a
    confidential client `rp` registered at REDIRECT_URI."""
    org = OrganizationFactory(slug="live", name="Live Unit", domain=None)
    DomainFactory(organization=org, hostname="localhost", is_primary=True)
    DomainFactory(organization=org, hostname="127.0.0.1")
    user = make_member(org, "pilot", role("Viewer", "view"))
    user.set_password("pw")
    user.first_name, user.last_name, user.email = "Pat", "Pilot", "pat@example.test"
    user.save()
    return org, ApplicationFactory(organization=org, client_id="rp", **app_fields)


class UserAgent(Browser):
    """The user's browser: signs in and approves (or cancels) when asked."""

    def visit(self, url: str, decision: str = "allow") -> str:
        """Open an authorization URL, sign in and consent if shown; the redirect to the client."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _ in range(6):
            location = response.headers.get("Location", "")
            if response.status_code == 302 and location.startswith(REDIRECT_URI):
                return location
            if response.status_code == 302:
                response = self.session.get(
                    requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10
                )
            elif 'name="password"' in response.text:
                response = self.submit(response, {"username": "pilot", "password": "pw"})
            elif 'name="allow"' in response.text:
                button = {"allow": "Authorize"} if decision == "allow" else {"cancel": "cancel"}
                response = self.submit(response, button)
            else:
                raise AssertionError(f"unexpected page {response.status_code}: {response.text[:300]}")
        raise AssertionError("too many steps")
