"""The README tells the truth: its install block is what the host-install suite runs on."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^# --- perscom-oauth ---\n.*?^# --- end perscom-oauth ---$", re.S | re.M)


def test_install_block_is_the_host_install_settings() -> None:
    readme = BLOCK.search((ROOT / "README.md").read_text())
    host = BLOCK.search((ROOT / "tests" / "host_install" / "settings.py").read_text())
    assert readme and host
    assert readme.group(0) == host.group(0)


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = re.findall(r"^python3 -m venv \.venv && .*$", (ROOT / "README.md").read_text(), re.M)
    assert len(commands) == 2
    assert commands[0].endswith("manage.py runserver")
    assert commands[1].endswith("-m pytest")
