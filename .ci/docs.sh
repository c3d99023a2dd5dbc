#!/usr/bin/env bash
# The documentation site (mkdocs.yml, docs/), built with --strict: a warning (a broken link or
# anchor, a page left out of the navigation) fails CI. About 2 s. Needs the venv of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/perscom-docs.XXXXXX")
trap 'rm -rf "$out"' EXIT
.venv/bin/mkdocs build --strict --site-dir "$out"
echo "docs: built $(find "$out" -name index.html | wc -l) pages with no warning"
