# Shortcuts for contributors. The README's two commands need nothing but Python.
VENV := .venv
PY := $(VENV)/bin/python
PG_URL := postgres://postgres@127.0.0.1:5432/test
REDIS_URL := redis://127.0.0.1:6379/0

.PHONY: install demo test test-production lint format ci

$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -r requirements.txt

install: $(PY)

demo: $(PY)
	$(PY) manage.py migrate
	$(PY) manage.py seed_demo
	# The MCP server (http://localhost:8001/mcp, docs/mcp.md) beside Django, stopped with it.
	$(PY) -m project.mcp_server & mcp=$$!; trap 'kill $$mcp' EXIT; $(PY) manage.py runserver localhost:8000

test: $(PY)
	$(PY) -m pytest -n auto

test-production: $(PY)
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_URL) $(PY) -m pytest -n auto

# The production setup through PgBouncer in transaction mode (docs/deployment.md, "Connection
# pooling"): bench/pgbouncer.py starts one of its own on a free loopback port, sets DATABASE_URL
# and DATABASE_POOLER=transaction, and stops it afterwards. Needs `apt-get install pgbouncer`.
.PHONY: test-pgbouncer
test-pgbouncer: $(PY)
	REDIS_URL=$(REDIS_URL) $(PY) bench/pgbouncer.py run -- $(PY) -m pytest -n auto

lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy perscom_oauth
	$(VENV)/bin/lint-imports --no-logo
	$(PY) manage.py makemigrations --check --dry-run

format: $(PY)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

ci:
	bash .ci/run

# End-to-end HTTP benchmark against vanilla django-oauth-toolkit (bench/e2e.py): gunicorn + wrk
# (wrk is installed with apt-get if missing). Writes bench/results/latest-<sqlite|postgres>.{md,json}.
.PHONY: bench bench-production
bench: $(PY)
	$(PY) -c "import gunicorn" 2>/dev/null || $(VENV)/bin/pip install -q "$$(grep '^gunicorn==' requirements.txt)"
	$(PY) bench/e2e.py

bench-production: $(PY)
	$(PY) -c "import gunicorn" 2>/dev/null || $(VENV)/bin/pip install -q "$$(grep '^gunicorn==' requirements.txt)"
	$(PY) bench/e2e.py --production

# Throughput that scales out (issue 25, bench/scale_out.py): hot-token requests on 2 gunicorn
# masters x 2 workers with one Redis, then a 3-master Redis Cluster; bench/results/scale-out.md.
.PHONY: bench-scale-out
bench-scale-out: $(PY)
	$(PY) -c "import gunicorn" 2>/dev/null || $(VENV)/bin/pip install -q "$$(grep '^gunicorn==' requirements.txt)"
	$(PY) bench/scale_out.py

# Reliability on the production setup (issue 13, bench/reliability.py): two gunicorn masters on
# PostgreSQL + a Redis of its own, raced, faulted, fuzzed and loaded; one line per check.
# Longer: $(PY) bench/reliability.py --load-seconds 300 --fuzz 5000 --rounds 10
.PHONY: reliability reliability-pgbouncer
reliability: $(PY)
	$(PY) bench/reliability.py

# The same, the servers reaching PostgreSQL through a PgBouncer of their own (transaction mode).
reliability-pgbouncer: $(PY)
	$(PY) bench/reliability.py --pgbouncer

# The same on replicated infrastructure (issue 25, bench/reliability_distributed.py): Redis
# behind Sentinel (a primary, two replicas, three Sentinels on loopback), crashed after
# revocations and under load, then a 3-master Redis Cluster.
.PHONY: reliability-distributed
reliability-distributed: $(PY)
	$(PY) bench/reliability_distributed.py
