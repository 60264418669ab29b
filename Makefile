PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint format bench clean npm-tools

# Node tools the client tests point at the specs and the mock (Spectral, Prism,
# @sendgrid/client), pinned by tools/npm/package-lock.json and installed into
# tools/npm/node_modules. Without npm the target says so and those tests skip, loudly.
NPM_DIR := tools/npm
NPM_STAMP := $(NPM_DIR)/node_modules/.installed
HAVE_NPM := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

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

test: $(STAMP) npm-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache $(NPM_DIR)/node_modules
