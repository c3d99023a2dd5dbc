"""The README's walk-through, as a program.

``python -m project.walkthrough`` runs the walk-through's shell blocks, as written in the README,
in one bash session against the running demo (``--base-url``, default http://localhost:8000),
signs in as ``alice`` where a reader would use a browser, and checks every answer the README
shows (the ``# ...`` lines under a command). It exits non-zero on the first difference, so the
README cannot drift from what the demo does (``tests/test_walkthrough.py`` runs it against a
live demo server).

``python -m project.walkthrough catch-code AUTHORIZE_URL`` is the walk-through's step 1 for a
reader: it listens at the authorization URL's loopback redirect URI, prints the code when the
browser arrives there, after checking ``state`` and ``iss`` (RFC 9207): the browser is told
"Done" only then, and an error page otherwise. With
``WALKTHROUGH_SIGN_IN=user:password`` in the environment it plays the browser itself.

``python -m project.walkthrough approve-device VERIFICATION_URI_COMPLETE`` is the member's side
of the device flow (RFC 8628 §3.3): it prints the address to open, sign in at and approve, and
waits for Enter; with ``WALKTHROUGH_SIGN_IN`` it signs in and approves itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Walk-through"
README_BASE = "http://localhost:8000"
README_REDIRECT_PORT = "8765"
MARK = "@@walkthrough-step "


# --- catch-code: the redirect URI's listener ---------------------------------------------


def callback_problem(arrived: dict[str, str], query: dict[str, str], issuer: str) -> str | None:
    """What is wrong with the redirect's parameters, or None: the checks a client makes before it
    trusts a code (and before it tells the user anything)."""
    if "error" in arrived:
        return f"the authorization failed: {arrived}"
    if not query.get("state") or arrived.get("state") != query["state"]:
        # RFC 6749 §10.12: a code without the request's state may be an attacker's (CSRF).
        return f"state {arrived.get('state')!r} is not the request's {query.get('state')!r}"
    if arrived.get("iss") != issuer:  # RFC 9207 §2.4: the response comes from the server we asked
        return f"iss {arrived.get('iss')!r} is not {issuer!r}"
    if not arrived.get("code"):
        return "the redirect carries no code"
    return None


def catch_code(authorize_url: str, timeout: float = 300) -> str:
    query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
    redirect = urlsplit(query["redirect_uri"])
    if redirect.hostname not in ("127.0.0.1", "localhost") or redirect.port is None:
        raise SystemExit(f"catch-code listens on a loopback redirect URI only, not {query['redirect_uri']}")
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    arrived: dict[str, str] = {}
    problems: list[str] = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name for it
            if urlsplit(self.path).path != redirect.path:
                self.send_error(404)
                return
            arrived.update({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
            # Checked before the browser hears anything: "Done" only for a code we will use.
            problem = callback_problem(arrived, query, issuer)
            if problem:
                problems.append(problem)
                body = f"catch-code refused this redirect: {problem}\nNo code was taken.\n"
            else:
                body = "Done: the code is in your terminal. You may close this tab.\n"
            self.send_response(400 if problem else 200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer((redirect.hostname, redirect.port), Callback)
    server.timeout = timeout
    print(f"Open this URL in a browser, sign in and click Authorize:\n  {authorize_url}", file=sys.stderr)
    sign_in = os.environ.get("WALKTHROUGH_SIGN_IN")
    if sign_in:
        username, password = sign_in.split(":", 1)
        threading.Thread(target=play_browser, args=(authorize_url, username, password), daemon=True).start()
    while not arrived:
        server.handle_request()
        if not arrived:
            raise SystemExit("catch-code: no redirect arrived in time")
    server.server_close()
    if problems:
        raise SystemExit(f"catch-code: {problems[0]}")
    return arrived["code"]


class Forms(HTMLParser):
    """The inputs of each form of a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "inputs": []})
        elif tag in ("input", "button") and self.forms:
            self.forms[-1]["inputs"].append(attributes)


def submit(session: Any, page: Any, fill: dict[str, str], press: str | None = None) -> Any:
    """Submit the page's first form: hidden inputs, ticked boxes, ``fill``, and button ``press``."""
    parser = Forms()
    parser.feed(page.text)
    form = parser.forms[0]
    data: list[tuple[str, str]] = []
    for field in form["inputs"]:
        name, kind = field.get("name"), (field.get("type") or "text").lower()
        if not name or "disabled" in field:
            continue
        if name in fill:
            # Once per name, as a browser sends it: two buttons named "action" are one choice
            # (and a parameter sent twice is refused, RFC 6749 §3.1).
            if all(sent != name for sent, _value in data):
                data.append((name, fill[name]))
        elif kind == "hidden":
            data.append((name, field.get("value") or ""))
        elif kind == "checkbox" and "checked" in field:
            data.append((name, field.get("value") or "on"))
        elif kind == "submit" and name == press:
            data.append((name, field.get("value") or ""))
    action = urljoin(page.url, form["action"]) if form["action"] else page.url
    return session.post(action, data=data, headers={"Referer": page.url}, allow_redirects=True)


def play_browser(authorize_url: str, username: str, password: str) -> None:
    """Sign in on the login page the authorization request leads to, then click Authorize."""
    import requests

    with requests.Session() as session:
        login = session.get(authorize_url)
        consent = submit(session, login, {"username": username, "password": password})
        submit(session, consent, {}, press="allow")  # the redirect lands on catch_code's listener


# --- the walk-through runner -------------------------------------------------------------


def walkthrough_blocks(readme: str) -> list[str]:
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + 1)
    section = readme[start : end if end != -1 else None]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)


def commands(blocks: list[str]) -> list[tuple[str, list[str]]]:
    """Each command (continuation lines joined) with the output lines the README shows under it."""
    steps: list[tuple[str, list[str]]] = []
    for block in blocks:
        pending = ""
        for line in block.splitlines():
            if line.startswith("# ") and steps and not pending:
                steps[-1][1].append(line[2:])
                continue
            pending += line + "\n"
            if not line.endswith("\\"):
                steps.append((pending, []))
                pending = ""
    return steps


def script(steps: list[tuple[str, list[str]]], base_url: str, redirect_port: str) -> str:
    lines = ["set -euo pipefail"]
    for number, (command, _shown) in enumerate(steps):
        command = command.replace(README_BASE, base_url).replace(
            f":{README_REDIRECT_PORT}/", f":{redirect_port}/"
        )
        lines.append(f"printf '\\n{MARK}{number}\\n'")
        lines.append(command.rstrip("\n"))
    return "\n".join(lines) + "\n"


def matches(expected: Any, actual: Any) -> bool:
    """README JSON with ``"..."`` for any value and a trailing ``...`` for more keys."""
    if expected == "...":
        return True
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        keys = set(expected) - {"..."}
        keys_ok = keys <= set(actual) if "..." in expected else keys == set(actual)
        return keys_ok and all(matches(expected[key], actual[key]) for key in keys)
    if isinstance(expected, list):
        return (
            isinstance(actual, list) and len(expected) == len(actual) and all(map(matches, expected, actual))
        )
    return bool(expected == actual)


def check(shown: str, output: str) -> str | None:
    """None if the output has the line the README shows, else what differs."""
    lines = [line.rstrip("\r") for line in output.splitlines()]
    if shown.startswith("{"):
        expected = json.loads(re.sub(r",\s*\.\.\.\s*}", ', "...": true}', shown))
        bodies = [json.loads(line) for line in lines if line.startswith("{")]
        if any(matches(expected, body) for body in bodies):
            return None
        return f"expected {shown}\n     got {bodies}"
    header = re.fullmatch(r"([A-Za-z-]+): (.*)", shown)
    if header:
        found = [line for line in lines if line.lower().startswith(header[1].lower() + ":")]
        if any(line.split(":", 1)[1].strip() == header[2] for line in found):
            return None
        return f"expected {shown}\n     got {found or 'no such header'}"
    return None if shown in lines else f"expected the line {shown!r} in:\n{output}"


def run(base_url: str, redirect_port: str, sign_in: str, readme: Path = README) -> int:
    steps = commands(walkthrough_blocks(readme.read_text()))
    environment = {**os.environ, "WALKTHROUGH_SIGN_IN": sign_in}
    result = subprocess.run(
        ["bash", "-c", script(steps, base_url, redirect_port)],
        cwd=README.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outputs = dict.fromkeys(range(len(steps)), "")
    parts = re.split(rf"^{re.escape(MARK)}(\d+)$", result.stdout, flags=re.M)
    for number, output in zip(parts[1::2], parts[2::2], strict=True):
        outputs[int(number)] = output
    reached = max((int(n) for n in parts[1::2]), default=-1)
    failures = 0
    for number, (command, shown) in enumerate(steps):
        if number > reached:
            break
        first_line = command.splitlines()[0]
        # A shown URL (a challenge's resource_metadata) is on the demo actually running.
        problems = [
            problem
            for line in shown
            if (problem := check(line.replace(README_BASE, base_url), outputs[number]))
        ]
        failed = problems or (number == reached and result.returncode != 0)
        print(f"{'FAIL' if failed else 'ok  '} {first_line[:100]}")
        for problem in problems:
            print(f"     {problem}")
        failures += bool(failed)
    if result.returncode != 0:
        print(f"bash exited {result.returncode} at the last command above:\n{result.stderr[-2000:]}")
        failures += 1
    checked = sum(len(shown) for _command, shown in steps)
    print(f"walk-through: {len(steps)} commands, {checked} shown outputs checked, {failures} failures")
    return 1 if failures else 0


# --- approve-device: the member's side of the device flow ----------------------------------


def approve_device(verification_url: str) -> None:
    """Sign in at the verification URI, continue with the code it prefills, approve."""
    sign_in = os.environ.get("WALKTHROUGH_SIGN_IN")
    print(
        f"Open this URL in a browser, sign in, check the code and approve:\n  {verification_url}",
        file=sys.stderr,
    )
    if not sign_in:
        input("Then press Enter here. ")
        return
    import requests

    username, password = sign_in.split(":", 1)
    user_code = parse_qs(urlsplit(verification_url).query)["user_code"][0]
    with requests.Session() as session:
        login = session.get(verification_url)
        entry = submit(session, login, {"username": username, "password": password})
        confirm = submit(session, entry, {"user_code": user_code})
        done = submit(session, confirm, {"action": "approve"})
    if done.status_code != 200 or "device-confirm" in done.url:
        raise SystemExit(
            f"approve-device: the approval did not go through ({done.status_code} at {done.url})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m project.walkthrough", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command")
    catch = sub.add_parser("catch-code", help="Wait at the redirect URI; print the authorization code.")
    catch.add_argument("authorize_url")
    device = sub.add_parser("approve-device", help="Sign in at a device flow's verification URI; approve.")
    device.add_argument("verification_url")
    parser.add_argument("--base-url", default=README_BASE, help="The running demo (%(default)s).")
    parser.add_argument(
        "--redirect-port", default=README_REDIRECT_PORT, help="Loopback port for the redirect (%(default)s)."
    )
    parser.add_argument(
        "--sign-in", default="", help="user:password (default: alice, from seed_demo --json)."
    )
    parser.add_argument("--readme", type=Path, default=README, help="The README whose walk-through to run.")
    options = parser.parse_args(argv)
    if options.command == "catch-code":
        print(catch_code(options.authorize_url))
        return 0
    if options.command == "approve-device":
        approve_device(options.verification_url)
        return 0
    sign_in = options.sign_in or alice()
    return run(options.base_url.rstrip("/"), options.redirect_port, sign_in, options.readme)


def alice() -> str:
    seed = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--json"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    user = next(user for user in json.loads(seed.stdout)["users"] if user["username"] == "alice")
    return f"alice:{user['password']}"


if __name__ == "__main__":
    sys.exit(main())
