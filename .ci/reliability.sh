#!/usr/bin/env bash
# CI: `make reliability` (bench/reliability.py) on PostgreSQL + a Redis server of its own:
# races, two processes sharing one truth, Redis and database outages, restart, hostile input,
# a short mixed load, and the rotation of ID-token signing keys and of their key-encryption key
# under load. About 4 minutes; fails CI if any check fails. Needs redis-server (the CI image has
# it) and PostgreSQL on 127.0.0.1:5432 (started by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 360 make reliability PY=.venv/bin/python
