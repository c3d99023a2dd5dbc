"""MkDocs hook: pages whose text lives in the repository's root, kept there because that is where
GitHub and readers look for it (SECURITY.md, CHANGELOG.md, the README's install guide), included
here at build time so the site never holds a second copy that could drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/perscom/perscom-oauth/blob/main/"

#: docs page -> the repository file that is its text.
INCLUDED = {"security.md": "SECURITY.md", "changelog.md": "CHANGELOG.md"}
#: docs page -> (the repository file, the heading of its section that is the page's text). The
#: README's install guide stays in the README (tests/host_install runs it from there, also
#: against the wheel) and is the site's Install page too.
SECTIONS = {"install.md": ("README.md", "## Install into an existing project")}
#: Repository files the README links to that the site carries as pages of its own.
AS_PAGES = {"SECURITY.md": "security.md", "CHANGELOG.md": "changelog.md"}


def section(text: str, heading: str) -> str:
    """The section under ``heading`` up to the next heading of its level, one level up."""
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + 1)
    body = text[start : end if end != -1 else None]
    return re.sub(r"^#(#+) ", r"\1 ", body, flags=re.M)


def site_links(markdown: str) -> str:
    """The README's links, as seen from docs/: its pages by name, other files on GitHub."""

    def rewrite(match: re.Match[str]) -> str:
        target = match[1]
        if re.match(r"[a-z]+:|#", target):
            return match[0]
        if target.startswith("docs/"):
            return f"]({target.removeprefix('docs/')})"
        return f"]({AS_PAGES.get(target) or REPOSITORY + target})"

    return re.sub(r"\]\(([^)\s]+)\)", rewrite, markdown)


def included(src_uri: str) -> str | None:
    """The page's text from the repository, or None for a page written in docs/."""
    if src_uri in INCLUDED:
        return (ROOT / INCLUDED[src_uri]).read_text()
    if src_uri in SECTIONS:
        source, heading = SECTIONS[src_uri]
        return site_links(section((ROOT / source).read_text(), heading))
    return None


#: ``<!-- include examples/x.py -->`` in a page: the file of docs/ shown there as a code block,
#: so the example a test runs (tests/test_docs_examples.py) is the example a reader copies.
INCLUDE_FILE = re.compile(r"^<!-- include (examples/\S+\.py) -->$", re.M)


def with_files(markdown: str) -> str:
    def block(match: re.Match[str]) -> str:
        path = match[1]
        code = (ROOT / "docs" / path).read_text().rstrip("\n")
        return f"`docs/{path}`:\n\n```python\n{code}\n```"

    return INCLUDE_FILE.sub(block, markdown)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    text = included(page.file.src_uri)
    return with_files(markdown if text is None else text)
