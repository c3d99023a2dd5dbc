"""The package's metadata and contents, read from pyproject.toml (no build needed).

``.ci/wheel_check.sh`` checks the built sdist and wheel themselves; these keep the sources that
feed them honest: one version, no asset left out of the package data, a licence, a changelog.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import perscom_oauth

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO_ROOT / "perscom_oauth"


def pyproject() -> dict[str, Any]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def package_files() -> list[Path]:
    """Every file under perscom_oauth/ but bytecode."""
    return sorted(
        path
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def static_version() -> str:
    """``__version__`` as setuptools' ``attr:`` reads it: a literal in the module's source."""
    module = ast.parse((PACKAGE_DIR / "__init__.py").read_text())
    for node in module.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise AssertionError("perscom_oauth/__init__.py assigns no literal __version__")


def test_the_version_is_written_once_and_pyproject_reads_it() -> None:
    config = pyproject()
    assert "version" not in config["project"], "the version belongs in perscom_oauth/__init__.py only"
    assert "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "perscom_oauth.__version__"}
    assert static_version() == perscom_oauth.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", perscom_oauth.__version__)


def test_the_version_needs_no_django() -> None:
    # A build, or a tool asking the version, has no settings: the package's __init__ imports nothing.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    script = (
        "import sys, perscom_oauth\n"
        "assert 'django' not in sys.modules, 'perscom_oauth/__init__.py imports Django'\n"
        "print(perscom_oauth.__version__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == perscom_oauth.__version__


def test_every_asset_is_in_the_package_data() -> None:
    config = pyproject()
    patterns = config["tool"]["setuptools"]["package-data"]["perscom_oauth"]
    matched: dict[str, set[Path]] = {
        pattern: {path for path in PACKAGE_DIR.glob(pattern) if path.is_file()} for pattern in patterns
    }
    covered = set().union(*matched.values())
    assets = [path for path in package_files() if path.suffix != ".py"]
    assert any("static" in path.parts for path in assets)
    assert any("templates" in path.parts for path in assets)
    assert PACKAGE_DIR / "py.typed" in assets
    forgotten = [str(path.relative_to(REPO_ROOT)) for path in assets if path not in covered]
    assert forgotten == [], f"add a [tool.setuptools.package-data] pattern for {forgotten}"
    # A pattern that matches nothing (the old "locale/**/*") hides which files really ship.
    assert [pattern for pattern, files in matched.items() if not files] == []


def test_every_python_directory_is_a_package() -> None:
    # packages.find picks up Python files through their package (migrations included).
    assert "perscom_oauth*" in pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    directories = {path.parent for path in package_files() if path.suffix == ".py"}
    assert PACKAGE_DIR / "migrations" in directories
    missing = [str(d.relative_to(REPO_ROOT)) for d in sorted(directories) if not (d / "__init__.py").exists()]
    assert missing == [], f"no __init__.py in {missing}"


def test_the_licence_is_mit_and_ships() -> None:
    project = pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 perscom-oauth contributors" in text
    # setuptools refuses a "License ::" classifier beside a license expression (PEP 639).
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_the_changelog_has_a_section_for_this_version() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    version = re.escape(perscom_oauth.__version__)
    assert re.search(rf"^## \[{version}\] - (\d{{4}}-\d{{2}}-\d{{2}}|Unreleased)$", changelog, re.M)
    assert re.search(rf"^\[{version}\]: https://", changelog, re.M), "no link for the version's heading"


def test_the_project_urls_and_classifiers_agree() -> None:
    project = pyproject()["project"]
    urls = project["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith(urls["Homepage"]) for url in urls.values()), urls
    pythons = [
        tuple(map(int, c.rsplit(" :: ", 1)[1].split(".")))
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    oldest = ".".join(map(str, min(pythons)))
    assert project["requires-python"] == f">={oldest}", (project["requires-python"], pythons)
    assert "Typing :: Typed" in project["classifiers"]
    assert "Framework :: Django :: 5.2" in project["classifiers"]
    assert any(dependency.startswith("Django>=5.2,") for dependency in project["dependencies"])


def version(text: str) -> tuple[int, ...]:
    return tuple(map(int, text.split(".")))


@pytest.mark.skipif(importlib.util.find_spec("nox") is None, reason="nox is not installed")
def test_the_classifiers_declare_what_the_nox_matrix_tests() -> None:
    spec = importlib.util.spec_from_file_location("noxfile_for_test", REPO_ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    project = pyproject()["project"]
    pythons = {
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    djangos = {
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Framework :: Django :: \d+\.\d+", c)
    }
    assert pythons == set(noxfile.PYTHONS)
    assert djangos == set(noxfile.DJANGOS)
    # The dependency range is exactly the series tested: from the oldest to the newest's end.
    oldest, newest = min(djangos, key=version), max(djangos, key=version)
    major, minor = version(newest)
    assert f"Django>={oldest},<{major}.{minor + 1}" in project["dependencies"]
