"""The examples that ship with the documentation (docs/examples/) compile, and the complete
adapter example runs: tests/tenant_example/, in its own pytest process (its own settings module,
with the example's tenant model swapped in)."""

from __future__ import annotations

import os
import py_compile
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


def test_every_example_compiles(tmp_path: Path) -> None:
    sources = sorted(EXAMPLES.rglob("*.py"))
    assert len(sources) >= 5
    for source in sources:
        py_compile.compile(str(source), cfile=str(tmp_path / "out.pyc"), doraise=True)


def test_the_adapter_page_shows_the_example_files() -> None:
    page = (ROOT / "docs" / "adapter.md").read_text()
    shown = set(re.findall(r"<!-- include (examples/\S+\.py) -->", page))
    assert {
        "examples/tenants/adapter.py",
        "examples/tenants/invalidation.py",
        "examples/tenants/models.py",
    } <= shown
    assert all((ROOT / "docs" / path).exists() for path in shown)


def test_the_tenant_example_suite_passes() -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ds=tests.tenant_example.settings",
    ]
    result = subprocess.run(
        [*command, "tests/tenant_example"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    tail = "\n".join(output.splitlines()[-60:])
    assert result.returncode == 0, tail
    assert re.search(r"\b[1-9]\d* passed\b", output), tail
