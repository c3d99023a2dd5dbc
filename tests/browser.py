"""A scripted user in front of a live server: plain HTTP with cookies, forms and CSRF."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import requests


class FormParser(HTMLParser):
    """Collects the named inputs of the first <form> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self.forms_seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.forms_seen += 1
        named = dict(attrs)
        name = named.get("name")
        if tag != "input" or self.forms_seen != 1 or not name or named.get("type") == "submit":
            return
        if named.get("type") == "checkbox":
            # Like a browser: only ticked, enabled boxes are sent, each name possibly many times.
            if "checked" in named and "disabled" not in named:
                self.fields.setdefault(name, []).append(named.get("value") or "on")
        else:
            self.fields[name] = named.get("value") or ""


def form_fields(html: str) -> dict[str, Any]:
    parser = FormParser()
    parser.feed(html)
    return parser.fields


class Browser:
    """Use as a context manager: an open keep-alive connection outliving the live server makes
    its request thread fail noisily at shutdown."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()

    def open(self, url: str) -> requests.Response:
        return self.session.get(url, timeout=10)

    def submit(self, page: requests.Response, data: dict[str, Any]) -> requests.Response:
        """Submit the page's first form with these values; redirects are not followed."""
        fields = {**form_fields(page.text), **data}
        # Django's CSRF check wants a Referer on https only; plain http needs the token alone.
        return self.session.post(page.url, data=fields, allow_redirects=False, timeout=10)

    def follow(self, response: requests.Response) -> requests.Response:
        return self.open(urljoin(response.url, response.headers["Location"]))
