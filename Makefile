PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions of everything installed (make lock refreshes it from pyproject.toml).
LOCK := requirements.lock
EXTRAS := test,contract

.PHONY: serve test test-fast test-lowest test-pythons lint format lock precompile bench clean npm-tools chromium screenshots redis-server

# Node tools the client tests point at the specs and the mock (Spectral, Prism,
# @sendgrid/client), pinned by tools/npm/package-lock.json and installed into
# tools/npm/node_modules. Without npm the target says so and those tests skip, loudly.
NPM_DIR := tools/npm
NPM_STAMP := $(NPM_DIR)/node_modules/.installed
HAVE_NPM := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[$(EXTRAS)]'
	touch $(STAMP)

# Resolve pyproject.toml's ranges into exact pins for every Python we support (keeps the
# current pins where they still fit; `make lock UPGRADE=--upgrade` moves everything forward).
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra contract --universal \
	  --python-version 3.10 --quiet $(UPGRADE) -o $(LOCK)

$(NPM_STAMP): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

ifeq ($(HAVE_NPM),yes)
npm-tools: $(NPM_STAMP)
else
npm-tools:
	@echo "*** node/npm not found: Spectral, Prism and @sendgrid/client tests will be SKIPPED ***"
endif

serve: $(STAMP)
	$(BIN)/mockserver serve

# Debian's chromium and chromedriver for the browser tests (tests/browser); a no-op when both are
# there. Where they cannot be installed (no root, no apt-get) the browser tests skip, saying why.
CHROMIUM_PACKAGES := chromium chromium-driver
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES)

chromium:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(CHROMIUM_PACKAGES) for the browser tests"; \
	  { $(APT_INSTALL) || { apt-get update -qq && $(APT_INSTALL); }; } >/dev/null \
	    || echo "WARNING: $(CHROMIUM_PACKAGES) could not be installed: the browser tests will skip"; \
	else echo "WARNING: no chromium/chromedriver and no root apt-get: the browser tests will skip"; fi

# Debian's redis-server for the shared-state tests (tests/state), like chromium above: a no-op
# when it is there; where it cannot be installed those tests skip, saying why.
redis-server:
	@if command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing redis-server for the shared-state tests"; \
	  { $(APT_REDIS) || { apt-get update -qq && $(APT_REDIS); }; } >/dev/null \
	    || echo "WARNING: redis-server could not be installed: the shared-state tests will skip"; \
	else echo "WARNING: no redis-server and no root apt-get: the shared-state tests will skip"; fi
APT_REDIS := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server

test: $(STAMP) npm-tools chromium redis-server
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The inner loop: everything but the tests marked slow (contract runs, browsers, subprocesses,
# third-party tools); no installs beyond the venv.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

# Where the machine has it, Python $(1) (pyenv's, or on PATH); else nothing.
python_at = $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1))),$(shell command -v python$(1) 2>/dev/null))

# The lowest versions pyproject.toml declares (uv's lowest-direct resolution: each direct
# dependency at its floor, what they need at its newest) in their own venv, running the
# test-fast tests: a floor that no longer works fails here, not on a user's machine. On the
# oldest Python we support where the machine has it (one run covers both floors; the lowest
# NumPy has no wheels for the newest Pythons), else on $(PYTHON).
# Deselected: tests that compare tables precomputed from the locked sqlglot/Faker/NumPy/
# jsonschema-rs with the installed ones (and that serving then needs none of them), by design
# true only at the lock.
UV := $(BIN)/uv
LOWEST := .venv-lowest
LOWEST_PYTHON ?= $(or $(call python_at,3.10),$(PYTHON))
LOCK_ONLY := --deselect tests/engine/test_precomputed.py::test_the_bundled_yaml_table_is_current_and_faithful \
  --deselect tests/engine/test_precomputed.py::test_the_verified_table_is_current \
  --deselect tests/engine/test_precomputed.py::test_only_the_very_answers_validated_ahead_of_time_skip_validation \
  --deselect tests/engine/test_precomputed.py::test_the_default_world_is_validated_ahead_of_time_where_its_memberships_are_not \
  --deselect tests/engine/test_startup.py::test_the_serve_path_does_not_import \
  --deselect tests/sendgrid/test_precompiled.py \
  --deselect tests/actionhub/test_rankings.py
# The default worlds' tables (SendGrid's memberships and answers, ActionHub's rankings) are keyed
# by NumPy's (and SQLite's) versions, which the universal lock pins per Python: on another Python
# they are (rightly) not used - the default data is built at start-up, with NumPy - so these skip.
OTHER_PYTHON_ONLY := \
  --deselect tests/sendgrid/test_precompiled.py::test_the_memberships_table_is_current \
  --deselect tests/sendgrid/test_precompiled.py::test_the_memberships_table_serves_only_the_bundled_world_at_its_seed \
  --deselect tests/sendgrid/test_precompiled.py::test_a_world_built_from_the_table_equals_one_built_by_sqlite \
  --deselect tests/actionhub/test_rankings.py \
  --deselect 'tests/engine/test_startup.py::test_the_serve_path_does_not_import[default-numpy]' \
  --deselect 'tests/engine/test_startup.py::test_the_serve_path_does_not_import[default-mockserver.vendors.actionhub.world]' \
  --deselect 'tests/engine/test_startup.py::test_the_serve_path_does_not_import[default-mockserver.vendors.sendgrid.population]'
$(UV): $(STAMP)
	$(BIN)/python -m pip install --quiet uv

$(LOWEST)/.installed: $(UV) pyproject.toml
	$(UV) venv --quiet --allow-existing --python $(LOWEST_PYTHON) $(LOWEST)
	$(UV) pip compile --quiet pyproject.toml --extra test --extra contract --extra redis \
	  --resolution lowest-direct --python $(LOWEST)/bin/python -o $(LOWEST)/requirements.txt
	$(UV) pip sync --quiet --python $(LOWEST)/bin/python $(LOWEST)/requirements.txt
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --no-deps -e .
	touch $@

test-lowest: $(LOWEST)/.installed
	@echo "== test-fast on the lowest declared versions, Python $$($(LOWEST)/bin/python -V)"
	$(LOWEST)/bin/python -m pytest -q -m "not slow" -p no:cacheprovider $(LOCK_ONLY)

# test-fast on other Pythons we support (default: the oldest and the newest), each in a venv
# from requirements.lock (universal), where the machine has them; a missing one is said, skipped.
PYTHONS ?= 3.10 3.13

test-pythons: $(UV)
	@$(foreach version,$(PYTHONS),$(call test_on,$(version),$(call python_at,$(version)))) true

define test_on
if [ -z "$(2)" ]; then echo "*** no Python $(1) on this machine: test-fast on it SKIPPED ***"; else \
  $(UV) venv --quiet --allow-existing --python $(2) .venv-$(1) && \
  $(UV) pip install --quiet --python .venv-$(1)/bin/python -r $(LOCK) && \
  $(UV) pip install --quiet --python .venv-$(1)/bin/python --no-deps -e . && \
  echo "== test-fast on Python $(1) ($(2))" && \
  .venv-$(1)/bin/python -m pytest -q -m "not slow" -p no:cacheprovider $(OTHER_PYTHON_ONLY); fi &&
endef

# The console at 1280 px and on a 390 px phone, for the README.
screenshots: $(STAMP) chromium
	$(BIN)/python -m tests.browser.screenshots docs/img

# What start-up would otherwise compute from a library (mockserver/precomputed.py): the bundled
# SendGrid world's queries (after a change to its fixtures or to sqlglot) and Faker's name
# tables (after a Faker upgrade). Serving the default data then imports neither.
precompile: $(STAMP)
	$(BIN)/python -c 'from mockserver.vendors.sendgrid import names; names.write()'
	$(BIN)/python -c 'from mockserver.vendors.sendgrid import memberships; memberships.write()'
	$(BIN)/python -c 'from mockserver.vendors.actionhub import rankings; rankings.write()'
	$(BIN)/python -c 'from mockserver import bundled; bundled.write()'
	$(BIN)/python -c 'from mockserver import bundled; bundled.write_verified()'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(LOWEST) .venv-3.* build dist *.egg-info .pytest_cache $(NPM_DIR)/node_modules
