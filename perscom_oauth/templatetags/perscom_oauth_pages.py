"""Template tags of our pages: ``{% load perscom_oauth_pages %}`` (see ``perscom_oauth.pages.context``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlparse

from django import template
from django.template import Context

from ..pages import context as pages

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_screen(context: Context) -> pages.ConsentContext:
    """``{% consent_screen as consent %}`` on the authorization view's template."""
    return pages.consent_context(context)


@register.simple_tag(takes_context=True)
def sign_in_request(context: Context, next_url: str = "") -> pages.SignInRequest:
    """``{% sign_in_request next as asked %}``: ``asked.organization``, ``asked.application``."""
    return pages.sign_in_request(context["request"], next_url)


@register.simple_tag
def permission_groups(scopes: Iterable[str]) -> list[pages.PermissionGroup]:
    """``{% permission_groups authorization.scopes as groups %}``."""
    return pages.permission_groups(scopes)


@register.filter
def human_time(value: datetime | None) -> str:
    """``just now``, ``5 minutes ago``, ``3 hours ago``, ``2 days ago``, else ``on 28 Nov 2026``."""
    return pages.human_time(value) if value is not None else ""


@register.filter
def hostname(url: str) -> str:
    """``https://example.com/about`` -> ``example.com``."""
    return urlparse(url or "").netloc or url
