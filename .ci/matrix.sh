#!/usr/bin/env bash
# The newest combination of the version matrix (noxfile.py): Python 3.13 and Django 6.0, on
# SQLite, in a fresh nox virtualenv. The pinned combination (Python 3.11, Django 5.2) is .ci/run's
# own, on SQLite and on PostgreSQL + Redis. About 3 minutes on 2 cores. Needs the venv of .ci/run
# (nox is pinned in requirements.txt) and pyenv's 3.13 (noxfile.py puts pyenv on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
.venv/bin/nox --reuse-venv=no -s "tests-3.13(django='6.0')" -- -x -n auto
echo "matrix: Python 3.13 + Django 6.0 passed in $((SECONDS - started))s"
