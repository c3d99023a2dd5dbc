#!/usr/bin/env bash
# CI: the npm packages the browser and conformance tests use, at the versions pinned in their
# package-lock.json files, installed before the tests run (nothing is downloaded during them):
# axe-core (tests/browser, for tests/test_pages_browser.py and tests/test_admin_browser.py), and
# in tests/conformance openid-client (the certified relying party of tests/test_conformance.py)
# and oauth4webapi (the OAuth 2.0 client of tests/test_conformance_oauth4webapi.py).
# About 2 s each with npm's cache, 15 s without.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "ci: installing Node.js and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
for folder in tests/browser tests/conformance; do
    echo "ci: npm ci in $folder"
    npm ci --prefix "$folder" --no-audit --no-fund --loglevel=error
done
mkdir -p artifacts/screenshots
