# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_PASSWORD ?= xiaobao2023
export DEMO_PASSWORD

.PHONY: demo demo-reset test setup lint benchmark benchmark-import benchmark-national benchmark-reads wrk faults api-contract clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/.installed node_modules/.installed

demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "消保考核演示：http://127.0.0.1:$(PORT)/  登录 province / $(DEMO_PASSWORD)(省公司)，admin(管理员)，nanjing、wuxi…(各中支)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The real stack on private ports (own PostgreSQL cluster, Redis :6390, Celery worker and beat, gunicorn):
# Redis down, a worker SIGKILLed mid-recompute, PostgreSQL restarted, 50 users for FAULTS_DURATION s.
faults: setup
	$(BIN)/python tools/faults.py

# schemathesis against the app served by gunicorn on a throwaway copy of the demo (DATABASE_URL's server, or
# SQLite), as branch staff and as an officer: 0 server errors, 0 schema violations, 0 undocumented statuses.
api-contract: setup
	$(BIN)/python .ci/api_contract.py

benchmark: setup
	$(BIN)/python manage.py benchmark_scoring

# The figures import at national size (4,500 branches), beside django-import-export (installed for this only).
benchmark-import: setup
	$(BIN)/pip install --quiet -r requirements-benchmark.txt
	$(BIN)/python manage.py benchmark_import

# The whole company (≈4,500 branches, 541 schemes, ~1,000,000 complaint cases) in a throw-away PostgreSQL database
# beside DATABASE_URL's; with REDIS_URL set the incremental figure is measured with two real Celery workers; then
# the league reads (benchmark_reads) in a database of their own.
benchmark-national: setup wrk
	$(BIN)/python manage.py benchmark_national

# League reads under load: gunicorn (2 workers) on a throw-away copy of the demo, the league API and page at 13 and
# 4,500 branches beside the login page, 50 clients; wrk (Debian's package, installed here when missing) drives them.
benchmark-reads: setup wrk
	$(BIN)/python manage.py benchmark_reads --branches 13,4500

# wrk (Debian's package) drives the read benchmarks' 50 clients; without it they use their Python client.
wrk:
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) || echo "wrk 未能安装（需要 root 与 apt）：改用 Python 客户端"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles

# `make demo` keeps what visitors did; this starts the demo again from the shipped data.
demo-reset: setup
	rm -f db.sqlite3
	$(MAKE) demo
