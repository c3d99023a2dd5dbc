"""The examples that ship with the documentation (docs/examples/) compile and are shown on the
adapter page. The complete adapter example runs as tests/tenant_example/, in its own pytest
process with its own settings module (tests/test_host_setups.py)."""

from __future__ import annotations

import py_compile
import re
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
