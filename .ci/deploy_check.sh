#!/usr/bin/env bash
# `manage.py check --deploy` on the demo's production-style settings (project/settings_production.py),
# as docs/deployment.md tells operators to run it. Fail level WARNING: every warning there is
# fixed in the settings or silenced by id with its reason (docs/checks.md), so any warning
# that appears is new and fails the run, not only errors such as oauth2_provider.E001.
#
# Usage: bash .ci/deploy_check.sh      (PYTHON=... to use another interpreter; default .venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
# Only the check's own secret: the settings refuse to start without one (never a default).
DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(60))')}
export DJANGO_SECRET_KEY
DJANGO_SETTINGS_MODULE=project.settings_production \
    "$PYTHON" manage.py check --deploy --fail-level WARNING
echo "deploy-check: ok"
