#!/usr/bin/env bash
# CI: openid-client, the certified relying party of tests/test_conformance.py, from npm at the
# version pinned in tests/conformance/package-lock.json (about 2 s with npm's cache). The tests
# themselves run in both pytest runs (about 40 s each) and are never skipped with CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "ci: installing Node.js and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
echo "ci: openid-client for the conformance tests (npm ci in tests/conformance)"
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
