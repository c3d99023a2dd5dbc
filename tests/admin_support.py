"""Helpers for the admin, audit and cleanup tests: staff actors, an admin client, tokens."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from perscom_oauth.models import AuditEvent, Membership
from tests.factories import MembershipFactory, UserFactory

CHANGELISTS = {
    "applications": "/admin/perscom_oauth/application/",
    "access tokens": "/admin/oauth2_provider/accesstoken/",
    "refresh tokens": "/admin/oauth2_provider/refreshtoken/",
    "codes": "/admin/perscom_oauth/grant/",
    "id tokens": "/admin/oauth2_provider/idtoken/",
    "audit": "/admin/perscom_oauth/auditevent/",
    "authorizations": "/admin/perscom_oauth/application/authorizations/",
    "organizations": "/admin/perscom_oauth/organization/",
}


def superuser(username: str = "root") -> Any:
    return get_user_model().objects.create_superuser(username, f"{username}@example.test", "pw")


def org_admin(organization: Any, username: str) -> Any:
    """A staff user who administers ``organization`` (and only it), with no Django permission."""
    user = UserFactory(username=username, is_staff=True)
    MembershipFactory(user=user, organization=organization, is_admin=True)
    return user


def admin_client(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def events(event: str | None = None, **filters: Any) -> list[AuditEvent]:
    queryset = AuditEvent.objects.order_by("pk")
    if event is not None:
        queryset = queryset.filter(event=event)
    return list(queryset.filter(**filters))


def admin_of(user: Any, organization: Any) -> None:
    Membership.objects.filter(user=user, organization=organization).update(is_admin=True)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def text(response: Any) -> str:
    """The page's visible text, tags stripped (assertions on words, not markup)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


class _FormData(HTMLParser):
    """The values a browser would submit from one form (by id), buttons excluded."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = named.get("id") == self.form_id
        if not self.inside or "disabled" in named:
            return
        name = named.get("name")
        if tag == "input" and name and named.get("type") not in ("submit", "button", "file"):
            if named.get("type") in ("checkbox", "radio") and "checked" not in named:
                return
            self.data.setdefault(name, []).append(named.get("value", "on"))
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in named:
            self.data[self.select].append(named.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][-1] += data


def form_data(response: Any, form_id: str) -> dict[str, list[str]]:
    parser = _FormData(form_id)
    parser.feed(response.content.decode())
    return parser.data
