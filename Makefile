# 智慧党建 — the two commands a newcomer runs: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DJ := $(BIN)/dangjian
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
PG_URL ?= postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/dangjian
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Two workers: the machines have 2 cores (pytest-xdist; each worker gets its own test database).
# A third was tried: the SQLite run took 1,045 s instead of 930 s (the browser flows compete).
# --dist loadgroup keeps each demo-seed module (conftest SEEDED_MODULES) on one worker,
# so its module-scoped seed is built once; every other test is spread as with the default.
PYTEST_WORKERS ?= 2

.PHONY: install frontend browser demo serve test check lint lint-fast check-migrations test-sqlite test-pg test-fast clean

install: $(VENV)/.installed frontend

$(VENV)/.installed: pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/lock.txt -e '.[dev]'
	touch $@

# Browser libraries come from the npm registry and are served by WhiteNoise from static/vendor.
# Each minified file is copied with the source map it names (sourceMappingURL): in production
# collectstatic's manifest storage rewrites that reference and fails on a missing file.
# The copy depends on this Makefile, so a changed list is re-copied without a new npm ci.
frontend: dangjian/static/vendor/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

dangjian/static/vendor/.installed: frontend/node_modules/.installed Makefile
	rm -rf dangjian/static/vendor && mkdir -p dangjian/static/vendor/tabler dangjian/static/vendor/tabler-icons
	cp frontend/node_modules/@tabler/core/dist/css/tabler.min.css frontend/node_modules/@tabler/core/dist/css/tabler.min.css.map dangjian/static/vendor/tabler/
	cp frontend/node_modules/@tabler/core/dist/js/tabler.min.js frontend/node_modules/@tabler/core/dist/js/tabler.min.js.map dangjian/static/vendor/tabler/
	cp -r frontend/node_modules/@tabler/icons-webfont/dist/tabler-icons.min.css frontend/node_modules/@tabler/icons-webfont/dist/fonts dangjian/static/vendor/tabler-icons/
	cp frontend/node_modules/htmx.org/dist/htmx.min.js dangjian/static/vendor/
	cp frontend/node_modules/alpinejs/dist/cdn.min.js dangjian/static/vendor/alpine.min.js
	cp frontend/node_modules/echarts/dist/echarts.min.js dangjian/static/vendor/
	touch $@

# Debian's Chromium and a CJK font for the real-browser tests (never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  echo "Installing Debian chromium and fonts-wqy-microhei …"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

demo: install
	$(DJ) migrate --noinput
	$(DJ) seed --scale county --seed 42 --if-empty
	$(DJ) demo_logins
	@echo "后台任务进程与网站一同启动；按 Ctrl-C 停止。  Serving http://$(HOST):$(PORT)"
	@$(DJ) worker --interval 2 --no-startup-delay >var/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT; \
	  $(DJ) daily_jobs; \
	  DEBUG=$${DEBUG:-0} $(DJ) runserver --noreload $(HOST):$(PORT)

# Production: gunicorn (WEB_CONCURRENCY workers, default 2 × cores + 1) and the background
# worker, restarted if it exits. Needs SECRET_KEY, FIELD_ENCRYPTION_KEY and ALLOWED_HOSTS
# (docs/operations.md); DANGJIAN_ENV defaults to production here.
serve: export DANGJIAN_ENV ?= production
serve: install
	$(DJ) migrate --noinput
	$(DJ) collectstatic --noinput
	BIND=$${BIND:-$(HOST):$(PORT)} $(DJ) serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy dangjian config

check-migrations: install
	$(DJ) makemigrations --check --dry-run

test-sqlite: install browser
	@echo "== pytest on SQLite"
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-pg: install browser
	@if $(BIN)/python -c "import psycopg; psycopg.connect('postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== pytest on PostgreSQL ($(PG_HOST):$(PG_PORT))"; \
	  DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS); \
	else \
	  echo "== PostgreSQL not reachable at $(PG_HOST):$(PG_PORT): skipped the PostgreSQL run"; \
	fi

test: lint check-migrations test-sqlite test-pg

test-fast: install
	$(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS)

# Fast feedback while working (about two minutes): ruff, the layering contracts, the migrations
# check and the tests that are neither browser flows nor slow (SQLite). `make test` runs everything.
lint-fast: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check: lint-fast check-migrations
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) frontend/node_modules dangjian/static/vendor var/staticfiles
