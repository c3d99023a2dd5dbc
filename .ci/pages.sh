#!/usr/bin/env bash
# CI: axe-core for the browser tests of our pages (tests/test_pages_browser.py), from npm at the
# version pinned in tests/browser/package-lock.json; nothing is downloaded while tests run.
# About 2 s with npm's cache, 15 s without. The browser tests it serves (test_pages_browser.py,
# test_admin_browser.py) take about 90 s of each of CI's two pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "ci: installing Node.js and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
echo "ci: axe-core for the page tests (npm ci in tests/browser)"
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
mkdir -p artifacts/screenshots
