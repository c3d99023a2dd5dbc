"""The documentation site (docs/, mkdocs.yml) documents everything a host project can set or see.

A setting, a PERSCOM_OAUTH key, an OAUTH2_PROVIDER default, a system check id or a management
command added without its line in the docs fails here, as does a page left out of the site.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from perscom_oauth.conf import DEFAULTS, ORGANIZATION_MODEL_SETTING
from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Pages other branches write; they join the navigation when merged.
WRITTEN_ELSEWHERE: set[str] = set()


def page(name: str) -> str:
    return (DOCS / name).read_text()


def table_keys(text: str) -> set[str]:
    """The first column of every Markdown table row: ``| `KEY` | ...``."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, re.M))


def nav_pages() -> set[str]:
    # mkdocs.yml has no custom tags; the hooks key is a plain list.
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def walk(node: object) -> set[str]:
        if isinstance(node, str):
            return {node}
        if isinstance(node, list):
            return set().union(*(walk(item) for item in node))
        if isinstance(node, dict):
            return set().union(*(walk(value) for value in node.values()))
        return set()

    return walk(config["nav"])


def test_every_perscom_oauth_key_is_documented_with_its_default() -> None:
    assert set(DEFAULTS) - table_keys(page("settings.md")) == set()


def test_every_oauth2_provider_default_is_documented() -> None:
    assert set(OAUTH2_PROVIDER_DEFAULTS) - table_keys(page("settings.md")) == set()


def test_every_top_level_setting_is_documented() -> None:
    documented = table_keys(page("settings.md"))
    top_level = {
        ORGANIZATION_MODEL_SETTING,
        "OAUTH2_PROVIDER_APPLICATION_MODEL",
        "OAUTH2_PROVIDER_GRANT_MODEL",
        "OAUTH2_PROVIDER",
        "PERSCOM_OAUTH",
    }
    assert top_level - documented - {"PERSCOM_OAUTH"} == set()
    assert "## `PERSCOM_OAUTH`" in page("settings.md")


def test_every_system_check_id_is_documented() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "perscom_oauth").rglob("*.py"))
    ids = set(re.findall(r"""id=["'](perscom_oauth\.[EW]\d{3})["']""", source))
    assert len(ids) >= 15
    assert ids - table_keys(page("checks.md")) == set()


def test_every_management_command_is_documented() -> None:
    commands = {
        path.stem
        for path in (ROOT / "perscom_oauth" / "management" / "commands").glob("*.py")
        if not path.stem.startswith("_")
    }
    headings = set(re.findall(r"^## `(\w+)`", page("management-commands.md"), re.M))
    assert commands - headings == set()


def test_every_page_is_in_the_navigation_and_every_entry_exists() -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    nav = nav_pages()
    assert nav - pages == set(), "the navigation names a page that does not exist"
    assert pages - nav - WRITTEN_ELSEWHERE == set(), "add the page to mkdocs.yml's nav"


@pytest.mark.skipif(not (Path(sys.executable).parent / "mkdocs").exists(), reason="mkdocs is not installed")
def test_the_site_builds_without_a_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The security page carries SECURITY.md (the hook), not its placeholder.
    security = (tmp_path / "security" / "index.html").read_text()
    assert "Reporting a vulnerability" in security
    # The changelog is CHANGELOG.md, and the install page is the README's install section,
    # every command of it (the hook), with the README's links turned into the site's.
    changelog = (tmp_path / "changelog" / "index.html").read_text()
    assert "Keep a Changelog" in changelog
    install = html.unescape((tmp_path / "install" / "index.html").read_text())
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Install into an existing project")
    section = readme[start : readme.index("\n## ", start + 1)]
    commands = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert len(commands) >= 4
    for block in commands:
        for line in block.splitlines():
            assert line in install, f"the site's install page lacks: {line}"
    assert 'href="../troubleshooting/"' in install and 'href="docs/' not in install
    # The adapter page shows the example's code that tests/tenant_example runs.
    adapter = html.unescape((tmp_path / "adapter" / "index.html").read_text())
    assert "class TenantAdapter(OrganizationAdapter):" in adapter
