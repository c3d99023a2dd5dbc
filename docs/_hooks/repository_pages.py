"""MkDocs hook: pages whose text lives in a file of the repository's root, kept there because
that is where GitHub and readers look for it (SECURITY.md), included here at build time so the
site never holds a second copy that could drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: docs page -> the repository file that is its text.
INCLUDED = {"security.md": "SECURITY.md"}


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    source = INCLUDED.get(page.file.src_uri)
    return (ROOT / source).read_text() if source else markdown
