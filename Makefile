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

.PHONY: install serve build test test-unit test-docs test-standalone test-build clean

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

test: test-unit test-docs test-standalone test-build

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests

# Doc blocks in a random order, the whole set DOC_REPEAT times, so no block can
# lean on another; the seed is printed, and `make test-docs SEED=n` reruns that order.
SEED ?= $(shell date +%s)
DOC_REPEAT ?= 3
test-docs: $(STAMP)
	$(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-shuffle=$(SEED) --doc-blocks-repeat=$(DOC_REPEAT)

# Each Python block alone, as `python block.py` in a fresh interpreter: as a reader runs it.
test-standalone: $(STAMP)
	$(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-standalone --doc-blocks-jobs=2

test-build: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site-check

clean:
	rm -rf site $(VENV)
