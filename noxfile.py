"""The version matrix: the test suite on each supported Python x Django, on SQLite.

    .venv/bin/nox                                   # every combination
    .venv/bin/nox -s "tests-3.13(django='6.0')"     # one (CI: .ci/matrix.sh runs the newest)
    .venv/bin/nox -l                                # list them

Each session installs requirements.txt's pins (the tested versions of everything else) with
only Django swapped for the newest release of the series under test. Django 6.0 needs Python
3.12 or later, so it is not paired with 3.11. pyproject.toml's classifiers and Django range say
what this matrix covers; django-oauth-toolkit stays at its pin (3.4.1), the one version tested.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.11", "3.12", "3.13"]
#: Each Django series under test, as a pip requirement for its newest release.
DJANGOS = {"5.2": "Django>=5.2,<5.3", "6.0": "Django>=6.0,<6.1"}
#: Django series and the oldest Python each supports (Django's own release notes).
OLDEST_PYTHON = {"5.2": (3, 10), "6.0": (3, 12)}

nox.options.default_venv_backend = "venv"
nox.options.download_python = "never"  # use the interpreters on this machine, never fetch one
nox.options.reuse_venv = "yes"

# pyenv's interpreters (3.12 and 3.13 on these machines) are not on PATH by default.
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
if PYENV.is_dir():
    extra = [str(path / "bin") for path in sorted(PYENV.iterdir()) if (path / "bin").is_dir()]
    os.environ["PATH"] = os.pathsep.join([*os.environ.get("PATH", "").split(os.pathsep), *extra])


#: Lint, type-checking and matrix tools: CI runs them once, on the pinned versions.
NOT_FOR_TESTS = ("ruff", "mypy", "django-stubs", "djangorestframework-stubs", "nox")
VERSIONS = (
    "import sys, django, oauth2_provider, rest_framework; print('python', sys.version.split()[0], "
    "'django', django.__version__, 'django-oauth-toolkit', oauth2_provider.__version__, "
    "'djangorestframework', rest_framework.__version__)"
)


def pins_without_django() -> list[str]:
    """requirements.txt's pins, but Django's, the lint tools and the editable install."""
    pins = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        name = re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower()
        if line and not line.startswith(("#", "-e")) and name not in ("django", *NOT_FOR_TESTS):
            pins.append(line)
    return pins


@nox.session(python=PYTHONS)
@nox.parametrize("django", list(DJANGOS))
def tests(session: nox.Session, django: str) -> None:
    python = tuple(int(part) for part in str(session.python).split("."))
    if python < OLDEST_PYTHON[django]:
        session.skip(f"Django {django} does not support Python {session.python}")
    session.install(DJANGOS[django], *pins_without_django())
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "pip", "check")
    session.run("python", "-c", VERSIONS)
    # SQLite and the in-process cache, whatever the calling shell points at.
    env: dict[str, str | None] = {"DATABASE_URL": None, "REDIS_URL": None}
    session.run("python", "manage.py", "makemigrations", "--check", "--dry-run", env=env)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *session.posargs, env=env)
