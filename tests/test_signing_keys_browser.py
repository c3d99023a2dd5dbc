"""The admin's signing keys (issue 24, item 2) as an organization administrator sees them, in
Chromium at 1400x900 and 390x844, with axe: each key's kid, algorithm and state, never the
private key. Screenshots: artifacts/screenshots/admin-signing-keys-<size>.png."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.axe import require_axe, violations
from tests.chromium import TIMEOUT_MS, chromium_context, screenshot
from tests.test_admin_browser import admin_login, demo  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_signing_keys_list(demo: dict[str, Any], size: str) -> None:  # noqa: F811
    require_axe()
    base = demo["base"]
    jwks = requests.get(f"{base}/oauth/jwks", timeout=10).json()["keys"]  # the first keys, on demand
    with chromium_context(viewport=SIZES[size]) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        admin_login(page, base, "alice", demo["password"]["alice"])
        page.goto(f"{base}/admin/perscom_oauth/signingkey/")
        text = page.locator("#result_list").inner_text()
        for key in jwks:
            assert f"{key['kid'][:12]}…" in text and key["alg"] in text
        assert "PRIVATE KEY" not in page.content()
        assert violations(page) == []
        screenshot(page, f"admin-signing-keys-{size}")
