"""``{% load perscom_oauth_links %}``: ``{{ url|web_url }}`` is the URL if it is an http(s) one,
else empty, so that a template renders an application's links only when they are web links
(see ``perscom_oauth.web_urls``). Autoescaping still applies to what is rendered."""

from __future__ import annotations

from django import template

from ..web_urls import is_web_url

register = template.Library()


@register.filter
def web_url(value: object) -> str:
    return value if isinstance(value, str) and is_web_url(value) else ""
