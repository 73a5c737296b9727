# Two entry points for a fresh machine with Python 3.11 and make:
#   make serve   install into .venv, build, serve at http://127.0.0.1:8000
#   make test    install into .venv, run everything CI checks
# Versions are pinned in constraints.txt, so every machine tests the same stack.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
export NO_MKDOCS_2_WARNING := 1

.PHONY: install serve build test test-unit test-docs test-build clean
.PHONY: test-browser bench

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[docs,test]"
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mkdocs build --strict
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

test: test-unit test-docs test-build test-browser

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser

test-docs: $(STAMP)
	$(BIN)/python -m pytest --doc-blocks docs README.md

test-build: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site-check

# The site test-build made, in Debian's Chromium (tests/browser/conftest.py).
test-browser: test-build
	KCG_SITE_DIR=$(VENV)/site-check $(BIN)/python -m pytest tests/browser --confcutdir=tests/browser

# Figures for docs/maintainers/benchmarks.md; a benchmark, not a test.
bench: $(STAMP)
	$(BIN)/python tools/bench.py

clean:
	rm -rf site $(VENV)
