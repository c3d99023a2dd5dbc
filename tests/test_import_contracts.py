"""Issue 21: the package's layers are enforced by import-linter (``.importlinter``), and a
planted forbidden import breaks the build. Each planted import goes into a copy of the package,
which the linter then reads instead of the real one (``PYTHONPATH``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def lint_imports(package_parent: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    only = [argument for contract in contracts for argument in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), str(CONFIG), "--no-cache", "--no-logo", *only],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "perscom_oauth", tmp_path / "perscom_oauth", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def plant(package_parent: Path, module: str, line: str) -> None:
    path = package_parent / "perscom_oauth" / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_package_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


def test_the_copy_is_what_the_linter_reads(package_copy: Path) -> None:
    # Otherwise every planted import below would "fail" for a reason of its own.
    result = lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # The token check reaching for a page's wording.
        ("tokens/check.py", "from ..pages import context", "security-core"),
        # ... or through a function-level import, which runs all the same.
        ("tenancy/gates.py", "def _later():\n    from ..oidc import claims", "security-core"),
        # A model helper loading the cache layer again.
        ("models.py", "from .cache import entries", "models-below-tokens"),
        # Header parsing asking the database.
        ("http/headers.py", "from ..models import Domain", "http-knows-no-tenants"),
        # The validator rendering a page.
        ("server/validator.py", "from ..pages import errors", "server-renders-nothing"),
        # The cache layer asking the token layer, which reads it: a cycle.
        ("cache/entries.py", "from ..tokens import check", "no-cycles"),
        # The separate service's token check reaching for the authorization server's tables.
        ("remote/check.py", "def _later():\n    from ..tokens import check", "remote-stands-alone"),
        # A model-layer module reaching up to the adapter's caller.
        ("web_urls.py", "from .applications import create_application", "no-cycles"),
    ],
)
def test_a_planted_forbidden_import_breaks_its_contract(
    package_copy: Path, module: str, line: str, contract: str
) -> None:
    assert lint_imports(package_copy, contract).returncode == 0  # kept before
    plant(package_copy, module, line)
    result = lint_imports(package_copy, contract)
    assert result.returncode == 1, result.stdout
    assert "0 kept, 1 broken" in result.stdout, result.stdout
