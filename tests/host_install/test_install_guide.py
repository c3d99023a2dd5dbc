"""The README's install section, run as written against this bare project.

Each line of the section's shell blocks is carried out: ``python manage.py ...`` through
``call_command``, ``curl`` through Django's test client, ``sed`` and ``python -c`` for real; the
prose steps (the admin's organization form, signing in and authorizing in a browser) are done
with the values the README gives, through the same pages. A README edit that breaks the guide
fails here. Self-contained (no tests/conftest.py fixtures) so that ``.ci/wheel_check.sh`` can
run it against the installed wheel, with ``DEBUG=False`` and hashed static files.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "a-long-password-for-the-guide"


def install_section() -> str:
    text = README.read_text()
    start = text.index("## Install into an existing project")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


class Guide:
    """A shell of sorts: variables, pipelines, and the site behind http://localhost:8000."""

    def __init__(self, section: str) -> None:
        self.section = section
        self.variables: dict[str, str] = {}
        self.last_output = ""
        #: What the set-up lines did: the virtualenv, the project's name, the server's address.
        self.setup: list[str] = []
        self.project = ""
        self.server_host = ""

    # --- the prose steps ---------------------------------------------------------------
    def create_role(self) -> int:
        found = re.search(
            r"a\s+role\s+named\s+`(?P<role>[^`]+)`\s+with\s+the\s+permission\s+`(?P<permission>[^`]+)`",
            self.section,
        )
        assert found, "the README's role step names no role and permission"
        from django.contrib.auth.models import Group, Permission

        permission = Permission.objects.get(name=found["permission"], content_type__app_label="auth")
        admin = self.browser()
        assert admin.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
        response = admin.post(
            "/admin/auth/group/add/", {"name": found["role"], "permissions": [permission.pk]}
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        return Group.objects.get(name=found["role"]).pk

    def create_organization(self) -> None:
        role = self.create_role()
        found = re.search(
            r"name\s+`(?P<name>[^`]+)`,\s+slug\s+`(?P<slug>[^`]+)`[^,]*,\s+plan\s+`(?P<plan>[^`]+)`.*?"
            r"domain\s+`(?P<domain>[^`]+)`.*?membership\s+for\s+the\s+user\s+`(?P<user>[^`]+)`\s+with\s+the\s+role",
            self.section,
            re.S,
        )
        assert found, "the README's organization step names no name, slug, plan, domain and member"
        from django.contrib.auth import get_user_model

        from perscom_oauth.models import Organization

        plans = {str(label): value for value, label in Organization.Plan.choices}
        admin = self.browser()
        signed_in = admin.post("/admin/login/", {"username": found["user"], "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.content
        assert admin.get("/admin/perscom_oauth/organization/add/").status_code == 200
        user = get_user_model().objects.get(username=found["user"])
        response = admin.post(
            "/admin/perscom_oauth/organization/add/",
            {
                "name": found["name"],
                "slug": found["slug"],
                "plan": plans[found["plan"]],
                "domains-TOTAL_FORMS": "1",
                "domains-INITIAL_FORMS": "0",
                "domains-0-hostname": found["domain"],
                "domains-0-is_primary": "on",
                "memberships-TOTAL_FORMS": "1",
                "memberships-INITIAL_FORMS": "0",
                "memberships-0-user": str(user.pk),
                "memberships-0-roles": [str(role)],
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        organization = Organization.objects.get(slug=found["slug"])
        assert organization.domains.get().hostname == found["domain"]
        assert organization.memberships.get().user == user
        # The address runserver prints is where the reader opens the site: one of the
        # organization's domains, or every endpoint there answers "Unknown organization".
        domains = set(organization.domains.values_list("hostname", flat=True))
        assert self.server_host in domains, f"runserver serves {self.server_host}, the domains are {domains}"
        # The form's plan starts elsewhere (Basic): the guide says so, naming it.
        default = Organization._meta.get_field("plan").default
        if default != plans[found["plan"]]:
            assert f"starts at {Organization.Plan(default).label}" in self.section
        add_page = admin.get("/admin/perscom_oauth/organization/add/").content.decode()
        for inline in ("Domain", "Membership"):
            # The admin shows no empty row: the guide names the button that adds one.
            assert f"Add another {inline}" in self.section, inline
            assert f"Add another {inline}" in add_page.replace("\\u0020", " "), inline

    def authorize_in_a_browser(self) -> str:
        """Open the README's authorization URL, sign in, Authorize; return the code."""
        url = re.search(r"<(http://localhost:8000/oauth/authorize\?[^>]+)>", self.section)
        user = re.search(r"sign in as `([^`]+)`, click \*\*Authorize\*\*", self.section)
        assert url and user, "the README's token step has no authorization URL or user"
        browser = self.browser()
        to_login = browser.get(url[1])
        assert to_login.status_code == 302 and to_login["Location"].startswith("/accounts/login/?next=")
        assert browser.get(to_login["Location"]).status_code == 200  # the sign-in page renders
        next_url = parse_qs(urlsplit(to_login["Location"]).query)["next"][0]
        credentials = {"username": user[1], "password": PASSWORD, "next": next_url}
        signed_in = browser.post(to_login["Location"], credentials)
        assert signed_in.status_code == 302 and signed_in["Location"] == next_url
        consent = browser.get(next_url)
        assert consent.status_code == 200
        params = {key: values[0] for key, values in parse_qs(urlsplit(next_url).query).items()}
        approved = browser.post(
            "/oauth/authorize", {**params, "approved_scopes": params["scope"].split(), "allow": "Authorize"}
        )
        assert approved.status_code == 302, approved.content
        callback = urlsplit(approved["Location"])
        query = {key: values[0] for key, values in parse_qs(callback.query).items()}
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == params["redirect_uri"]
        assert query["state"] == "xyz" and query["iss"] == "http://localhost:8000"
        return query["code"]

    # --- the shell ---------------------------------------------------------------------
    def run(self, line: str) -> None:
        if line in ("python3 -m venv .venv", ". .venv/bin/activate"):
            self.setup.append("venv")  # this test runs in a virtualenv already
            return
        if line.startswith("python -m pip install "):
            self.setup.append("install")  # installed already (the wheel, in CI)
            return
        started = re.fullmatch(r"django-admin startproject (\w+)", line)
        if started:
            self.setup.append("startproject")  # this bare project is what it makes
            self.project = started[1]
            return
        if line == f"cd {self.project}":
            self.setup.append("cd")
            return
        if line == "CODE=paste-the-code-here":
            self.variables["CODE"] = self.authorize_in_a_browser()
            return
        captured = re.fullmatch(r"([A-Z_]+)=\$\((.*)\)", line)
        if captured:
            self.variables[captured[1]] = self.pipeline(captured[2]).strip()
            assert self.variables[captured[1]], f"{captured[1]} came out empty: {line}"
            return
        self.last_output = self.pipeline(line)

    def pipeline(self, line: str) -> str:
        output = ""
        for command in line.split(" | "):
            words = [self.expand(word) for word in shlex.split(command)]
            output = self.command(words, output)
        return output

    def expand(self, word: str) -> str:
        return re.sub(r"\$([A-Z_]+)", lambda match: self.variables[match[1]], word)

    def command(self, words: list[str], stdin: str) -> str:
        if words[:2] == ["python", "manage.py"]:
            return self.manage(words[2:])
        if words[:2] == ["python", "-c"]:
            result = subprocess.run(
                [sys.executable, "-c", words[2]], input=stdin, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, result.stderr
            return result.stdout
        if words[:2] == ["sed", "-n"]:
            pattern, replacement = re.fullmatch(r"s/(.*)/(.*)/p", words[2]).groups()  # type: ignore[union-attr]
            lines = stdin.splitlines(True)
            return "".join(re.sub(pattern, replacement, line) for line in lines if re.search(pattern, line))
        if words[0] == "curl":
            return self.curl(words[1:])
        raise AssertionError(f"the guide runs a command this test does not know: {words}")

    def manage(self, args: list[str]) -> str:
        if args[0] == "runserver":
            # The test client is the server from here on; the admin step comes next in the README.
            address = args[1] if len(args) > 1 else "127.0.0.1:8000"  # runserver's default
            self.server_host = address.rsplit(":", 1)[0] if ":" in address else "127.0.0.1"
            self.create_organization()
            return ""
        if args[0] == "createsuperuser":
            args = [*args, "--noinput"]  # the password comes from DJANGO_SUPERUSER_PASSWORD
        out = StringIO()
        call_command(*args, stdout=out, stderr=StringIO())
        return out.getvalue()

    def curl(self, args: list[str]) -> str:
        data: list[str] = []
        headers: dict[str, str] = {}
        url = ""
        words = iter(args)
        for word in words:
            if word == "-s":
                continue
            if word == "-d":
                data.append(next(words))
            elif word == "-H":
                name, value = next(words).split(": ", 1)
                headers["HTTP_" + name.upper().replace("-", "_")] = value
            else:
                url = word
        parts = urlsplit(url)
        assert parts.netloc == "localhost:8000", url
        client = self.browser()
        if data:  # curl -d: a form-encoded POST of the values as written
            body = "&".join(data)
            response = client.post(
                parts.path, body, content_type="application/x-www-form-urlencoded", **headers
            )
        else:
            response = client.get(parts.path, **headers)
        assert response.status_code == 200, (url, response.status_code, response.content)
        return response.content.decode()

    def browser(self) -> Client:
        return Client(HTTP_HOST="localhost:8000")


@pytest.mark.django_db
def test_the_readme_install_guide_works_on_a_bare_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    section = install_section()
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert len(blocks) >= 4, "the install section lost a shell block"
    guide = Guide(section)
    expected: list[tuple[str, Any]] = []
    for block in blocks:
        for line in block.splitlines():
            if line.startswith("# "):
                # The output the README shows for the command above it.
                expected.append((guide.last_output, json.loads(line[2:])))
                continue
            guide.run(line)
    assert {"CLIENT_SECRET", "CODE", "ACCESS_TOKEN"} <= set(guide.variables)
    # A virtualenv is made and the package installed before the project exists.
    assert guide.setup == ["venv", "venv", "install", "startproject", "cd"], guide.setup
    # The settings file the guide edits is the one startproject made.
    assert f"Append to `{guide.project}/settings.py`" in section
    assert expected, "the guide shows no API answer"
    for output, shown in expected:
        assert json.loads(output) == shown
