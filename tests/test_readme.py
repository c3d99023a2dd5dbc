"""The README tells the truth: its install files are tests/host_install's (whose own test runs the
README's install commands), and it starts with the two set-up commands CI reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"^# --- perscom-oauth ---\n.*?^# --- end perscom-oauth ---$", re.S | re.M)
#: A Python block the README says is the same as a file of the test project.
SAME_AS = re.compile(r"^<!-- same as (?P<path>\S+) -->\n```python\n(?P<code>.*?)^```$", re.S | re.M)


def shown_files() -> dict[str, str]:
    return {match["path"]: match["code"] for match in SAME_AS.finditer(README)}


def test_the_install_guide_shows_the_test_projects_files() -> None:
    assert set(shown_files()) == {
        "tests/host_install/settings.py",
        "tests/host_install/urls.py",
        "tests/host_install/views.py",
    }
    for path in ("tests/host_install/urls.py", "tests/host_install/views.py"):
        assert shown_files()[path] == (ROOT / path).read_text(), f"README and {path} differ"


def test_the_install_block_is_the_host_install_settings() -> None:
    shown = shown_files()["tests/host_install/settings.py"]
    settings = (ROOT / "tests" / "host_install" / "settings.py").read_text()
    readme_block, host_block = BLOCK.search(shown), BLOCK.search(settings)
    assert readme_block and host_block
    assert readme_block.group(0) == host_block.group(0)
    # What the README shows above the block (the import) is in the settings module too.
    before = [line for line in shown[: readme_block.start()].splitlines() if line]
    assert before and all(line in settings.splitlines() for line in before), before


def test_the_install_section_never_shows_an_unquoted_or_published_package() -> None:
    # Not on PyPI, and zsh reads unquoted brackets as a glob.
    assert not re.search(r"pip install [^'\"\n]*\[", README)
    assert not re.search(r"pip install ['\"]?perscom-oauth\b", README)


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = re.findall(r"^python3 -m venv \.venv && .*$", README, re.M)
    assert len(commands) == 2
    assert commands[0].endswith("manage.py runserver")
    assert commands[1].endswith("-m pytest -n auto")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_is_short_with_a_table_of_contents_that_resolves() -> None:
    assert len(README.splitlines()) < 300
    contents = README[README.index("## Contents") : README.index("\n## ", README.index("## Contents") + 1)]
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = {github_anchor(h) for h in re.findall(r"^##+ (.*)$", README, re.M)}
    assert len(anchors) >= 4
    assert set(anchors) <= headings, set(anchors) - headings


def test_every_local_link_of_the_readme_exists() -> None:
    targets = re.findall(r"\]\((?!https?://|#)([^)#]+)", README)
    assert "docs/settings.md" in targets
    assert [target for target in targets if not (ROOT / target).exists()] == []


def test_no_url_or_scope_parameter_of_the_readme_holds_a_raw_space() -> None:
    # A raw space cuts a URL where a shell or a browser's address bar reads it: state and PKCE
    # after the cut are lost (issue 20, item 9). Scopes in a URL are %20-separated.
    code = re.findall(r"`([^`\n]+)`", README) + re.findall(r'"(https?://[^"\n]+)"', README)
    raw = [snippet for snippet in code if re.search(r"(^|[?&])scope=[^&\s]* ", snippet)]
    assert raw == []
