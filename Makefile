# GameConnect everyday commands. `make run` and `make test` set everything up on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint messages format seed bench migrate clean worker beat bot cluster cluster-stop

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "GameConnect needs Python 3.11 or newer (found " + sys.version.split()[0] + ")"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.installed
	$(PY) -m config.translations
	$(PY) manage.py migrate --noinput

# Collect the strings of templates, Python and scripts into locale/{fr,ar}/LC_MESSAGES/*.po
# (needs GNU gettext's xgettext); translate the new entries, then `make run` or `make test`
# compiles them (docs/web.md, "Adding a translation").
MESSAGE_IGNORES := --ignore=.venv --ignore=staticfiles --ignore=test-artifacts --ignore=e2e --ignore=bench --ignore=fuzz --ignore='*/tests/*'
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --no-obsolete --no-location -l fr -l ar $(MESSAGE_IGNORES)
	$(PY) manage.py makemessages --no-obsolete --no-location -d djangojs -l fr -l ar $(MESSAGE_IGNORES) --ignore=static/vendor

run: migrate
	$(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "  GameConnect is starting on http://localhost:$(PORT)"
	@echo "    web pages     http://localhost:$(PORT)/  (live trivia: /play, leaderboards: /leaderboards)"
	@echo "    API docs      http://localhost:$(PORT)/api/docs/   (ReDoc: /api/redoc/, schema: /api/schema/)"
	@echo "    back office   http://localhost:$(PORT)/admin/"
	@echo "    health        http://localhost:$(PORT)/healthz"
	@echo "  Demo logins: admin / moderator / 'player one', password GameConnect2026!"
	@echo ""
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# pytest-xdist workers for `make test`: one per core, at most 4 (on a real Redis each worker
# takes a database of its own: README, "Tests and CI"). TEST_WORKERS=0 runs in one process;
# PYTEST_ARGS comes last, so its own -n wins too.
TEST_WORKERS ?= auto
test: $(VENV)/.installed e2e/node_modules/.installed
	$(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

# axe-core for the browser tests' accessibility checks (e2e/package.json); skipped without npm,
# and the browser tests say so (they need Chromium too: .ci/system-packages).
e2e/node_modules/.installed: e2e/package.json e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix e2e --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser tests' accessibility checks will be skipped"; fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

seed: migrate
	$(PY) manage.py seed_demo $(SEED_ARGS)

bench: $(VENV)/.installed
	$(PY) bench/run_all.py $(BENCH_ARGS)

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A config beat --loglevel=info

bot: $(VENV)/.installed
	$(PY) manage.py runbot

# The production topology without Docker: HAProxy on PORT, WEB_PROCESSES web processes (SERVER) on
# the next ports, a worker and one beat, on DATABASE_URL + REDIS_URL (docs/deployment.md).
WEB_PROCESSES ?= 2
SERVER ?= uvicorn
cluster: $(VENV)/.installed
	$(PY) -m deploy.cluster start --processes $(WEB_PROCESSES) --server $(SERVER) --host $(HOST) --port $(PORT)

cluster-stop: $(VENV)/.installed
	$(PY) -m deploy.cluster stop

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache
