#!/usr/bin/env bash
# CI: `make reliability-distributed` (bench/reliability_distributed.py): the reliability checks
# against two gunicorn masters whose cache is Redis behind Sentinel, plus 20 crashes of the
# Redis primary within 50 ms of a revocation, a failover under load, then the cache checks on a
# 3-master Redis Cluster. About 4 minutes; fails CI if any check fails. Needs redis-server (Sentinel is redis-server --sentinel) and
# PostgreSQL on 127.0.0.1:5432 (started by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 480 make reliability-distributed PY=.venv/bin/python
