# Two entry points for a fresh machine with Python 3.11 and make:
#   make serve   install into .venv, build, serve at http://127.0.0.1:8000
#   make test    install into .venv, run everything CI checks (make lint first)
# Versions are pinned in constraints.txt, so every machine tests the same stack.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.lint-installed
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
export NO_MKDOCS_2_WARNING := 1

.PHONY: install serve build lint test test-unit test-unit-jax test-unit-torch test-docs test-docs-backends test-standalone test-notebooks test-page test-build clean
.PHONY: publish publish-dev test-publishing test-browser bench node-tools

install: $(STAMP)

# uv installs the pinned stack several times faster than pip (benchmarks.md);
# pip only brings uv itself, pinned like everything else.
UV := $(BIN)/uv
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv

# torch first, alone and from a CPU-only source: PyPI's torch for Linux is a CUDA
# build that pulls several GB of GPU libraries. Here the pinned CPU wheel lies in
# TORCH_WHEELS; CI on GitHub sets TORCH_INDEX to PyTorch's CPU index instead.
# The CPU build declares no GPU packages, so the second install keeps it.
TORCH_WHEELS ?= /opt/wheels
TORCH_INDEX ?=
TORCH_SOURCE = $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),--no-index --find-links $(TORCH_WHEELS))
$(STAMP): pyproject.toml src/docs_tooling/pyproject.toml constraints.txt | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -c constraints.txt --no-deps $(TORCH_SOURCE) torch
	$(UV) pip install --quiet --python $(BIN)/python -c constraints.txt -e ".[docs,test,backends]" -e "src/docs_tooling[lint]"
	touch $(STAMP)

# Only the tooling and the linters, no TensorFlow: what `make lint` needs.
$(LINT_STAMP): src/docs_tooling/pyproject.toml constraints.txt | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -c constraints.txt -e "src/docs_tooling[lint]"
	touch $(LINT_STAMP)

serve: $(STAMP)
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

test: lint test-unit test-docs test-standalone test-docs-backends test-notebooks test-build test-browser test-publishing

# Lint, formatting and types of every Python file (configured in pyproject.toml),
# and the GitHub workflows against their schema and zizmor's security audit.
lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/zizmor --offline --persona auditor --no-progress .github

# The package's tests, the tooling's tests, and the checks on the pages' structure, in two processes;
# loadgroup keeps the tests that fork from one pre-imported interpreter on one worker
# (tests/tooling/conftest.py), so they start one, not two; then the package's tests again
# under each other Keras backend (the checkup is TensorFlow-only): JAX's and PyTorch's runs side by
# side, one process each (43 s against 75 s one after the other with two each), each one's
# output printed whole when it ends (--output-sync).
test-unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/package tests/tooling tests/content
	$(MAKE) --no-print-directory -j2 --output-sync=target test-unit-jax test-unit-torch
test-unit-jax test-unit-torch: test-unit-%: $(STAMP)
	KERAS_BACKEND=$* $(BIN)/python -m pytest tests/package

# Doc blocks in a random order, the whole set DOC_REPEAT times, so no block can
# lean on another; the seed is printed, and `make test-docs SEED=n` reruns that order.
# DOC_JOBS processes share the blocks (pytest-xdist); DOC_JOBS=0 runs them in this one.
SEED ?= $(shell date +%s)
DOC_REPEAT ?= 3
DOC_JOBS ?= 2
# Under JAX and PyTorch, every block that claims them runs once, shuffled, checked
# against its shown output or its backend's tab (docs/maintainers/writing-pages.md).
test-docs: $(STAMP)
	$(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-shuffle=$(SEED) --doc-blocks-repeat=$(DOC_REPEAT) -n $(DOC_JOBS)

# The blocks under JAX and PyTorch, in-process (shuffled, once) and standalone: every block that
# claims them (docs/maintainers/writing-pages.md), checked against its shown output or its
# backend's tab. `make test-page PAGE=... BACKENDS="tensorflow jax torch"` does one page.
# Under JAX, the in-process pass fills an on-disk cache of the compiled XLA programs, emptied
# first, and the blocks forked in the standalone pass load from it instead of compiling again
# (every JAX block run alone: 220 s without, 133 s with); the sampled blocks run in a new
# interpreter without it, as a reader's would (docs_tooling.doc_blocks.COMPILATION_CACHE_VARIABLES).
JAX_CACHE := $(abspath $(VENV))/jax-compilation-cache
JAX_CACHED = JAX_COMPILATION_CACHE_DIR=$(JAX_CACHE) JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
test-docs-backends: $(STAMP)
	rm -rf $(JAX_CACHE)
	$(JAX_CACHED) $(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-backend=jax --doc-blocks-shuffle=$(SEED) -n $(DOC_JOBS)
	$(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-backend=torch --doc-blocks-shuffle=$(SEED) -n $(DOC_JOBS)
	$(JAX_CACHED) $(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-backend=jax $(STANDALONE_ARGS)
	$(BIN)/python -m pytest --doc-blocks docs README.md --doc-blocks-backend=torch $(STANDALONE_ARGS)

# Each Python block alone, as `python block.py`: as a reader runs it. Blocks are
# forked from an interpreter that has imported TensorFlow (docs_tooling/forkserver.py);
# FRESH_SAMPLE of them, drawn from SEED, also run in a new interpreter and must
# print the same. `make test-standalone FRESH=1` starts a new interpreter for every block.
FRESH_SAMPLE ?= 6
STANDALONE_ARGS = --doc-blocks-standalone --doc-blocks-jobs=2 --doc-blocks-shuffle=$(SEED) \
	--doc-blocks-fresh-sample=$(FRESH_SAMPLE) $(if $(filter 1,$(FRESH)),--doc-blocks-fresh)
test-standalone: $(STAMP)
	$(BIN)/python -m pytest --doc-blocks docs README.md $(STANDALONE_ARGS)

# Each guide page's notebook (what the site publishes at notebooks/), run top to bottom
# in a Jupyter kernel, offline, two at a time, every cell checked against its page
# (tests/notebooks). Kernels are forked from a process that imported TensorFlow.
test-notebooks: $(STAMP)
	$(BIN)/python -m pytest tests/notebooks -n 2

# One page both ways, for writers: make test-page PAGE=docs/guide/masks.md
# [BACKENDS="tensorflow jax torch"] (TensorFlow alone by default, as make test runs the pages).
BACKENDS ?= tensorflow
test-page: $(STAMP)
	@test -n "$(PAGE)" || { echo "usage: make test-page PAGE=docs/guide/PAGE.md"; exit 2; }
	for backend in $(BACKENDS); do \
		$(BIN)/python -m pytest -q --doc-blocks $(PAGE) --doc-blocks-backend=$$backend || exit; \
		$(BIN)/python -m pytest -q --doc-blocks $(PAGE) --doc-blocks-backend=$$backend \
			--doc-blocks-standalone --doc-blocks-jobs=2 || exit; \
	done

test-build: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site-check

# Publishing tests import no TensorFlow themselves (only tests/package/conftest.py imports
# Keras); test_release.py builds the wheel and runs guide blocks against it in a new venv.
# One file per process (--dist loadfile): each module's fixture publishes or builds once.
test-publishing: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/publishing

# make publish VERSION=0.2 [PUSH=1]: see docs/maintainers/publishing.md.
publish: $(STAMP)
	$(BIN)/python scripts/publish.py "$(VERSION)" $(if $(filter 1,$(PUSH)),--push)

publish-dev: $(STAMP)
	$(BIN)/python scripts/publish.py dev $(if $(filter 1,$(PUSH)),--push)

# axe-core for the accessibility test and Lighthouse for `make bench`, from the
# npm registry at the exact versions of package.json and package-lock.json,
# into node_modules/ (git-ignored): npm ci --omit=dev installs axe-core alone.
# Each stamp lives in node_modules/, which npm ci empties, so a stale one goes too.
AXE_STAMP := node_modules/.axe-installed
LIGHTHOUSE_STAMP := node_modules/.lighthouse-installed
NPM_CI := npm ci --prefer-offline --no-audit --no-fund --loglevel=error
node-tools: $(AXE_STAMP)
$(AXE_STAMP): package.json package-lock.json
	$(NPM_CI) --omit=dev
	touch $(AXE_STAMP)
$(LIGHTHOUSE_STAMP): package.json package-lock.json
	$(NPM_CI)
	touch $(AXE_STAMP) $(LIGHTHOUSE_STAMP)

# The site test-build made, in Debian's Chromium (tests/browser/conftest.py).
test-browser: test-build $(AXE_STAMP)
	scripts/install-chromium.sh
	KCG_SITE_DIR=$(VENV)/site-check $(BIN)/python -m pytest tests/browser

# Figures for docs/maintainers/benchmarks.md; a benchmark, not a test.
# --stages times `make test` stage by stage in a fresh clone of HEAD (commit first).
bench: $(STAMP) $(LIGHTHOUSE_STAMP)
	$(BIN)/python scripts/bench.py --stages $(ARGS)

clean:
	rm -rf site $(VENV)

# Rerun the Keras 2 / Keras 3 pairs on the migration page and regenerate its table
# (docs/migration/results.md); add ARGS=--update-page to also refresh stale outputs in the page.
.PHONY: migration-table
migration-table: $(STAMP)
	$(BIN)/python scripts/migration_table.py $(ARGS)

# The oldest stack pyproject.toml admits (constraints-oldest.txt), in its own .venv-oldest:
# the unit tests (the tracer's and checkup's private Keras accesses among them), then every
# doc block in-process, each compared with its shown output or its row in oldest-outputs.json
# (docs_tooling.version_changes). UPDATE=1 rewrites that record and its page instead of failing.
OLDEST_VENV := .venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed
.PHONY: test-oldest versions-page test-latest
$(OLDEST_STAMP): pyproject.toml src/docs_tooling/pyproject.toml constraints-oldest.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(OLDEST_VENV)
	$(UV) pip install --quiet --python $(OLDEST_VENV)/bin/python -c constraints-oldest.txt \
		-e ".[docs,test]" -e src/docs_tooling
	touch $(OLDEST_STAMP)

test-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/python -m pytest -n 2 tests/package tests/tooling
	$(OLDEST_VENV)/bin/python scripts/version_changes.py $(if $(filter 1,$(UPDATE)),--update)

# Re-render docs/reference/keras3-releases.md from the record after pages moved; runs no block.
versions-page: $(STAMP)
	$(BIN)/python scripts/version_changes.py --render

# The canary: the newest release of everything (no constraints), in a new .venv-latest every
# time. Writes which blocks print something other than their page shows to LATEST_REPORT,
# and the installed versions beside it; fails if any block or unit test did. torch comes from
# its CPU-only source, as in make install: the newest build that source holds.
LATEST_VENV := .venv-latest
LATEST_REPORT ?= $(LATEST_VENV)/changed-blocks.md
test-latest: | $(UV)
	rm -rf $(LATEST_VENV)
	$(UV) venv --quiet --python $(PYTHON) $(LATEST_VENV)
	$(UV) pip install --quiet --refresh --python $(LATEST_VENV)/bin/python --no-deps $(TORCH_SOURCE) torch
	$(UV) pip install --quiet --refresh --python $(LATEST_VENV)/bin/python -e ".[docs,test,backends]" -e src/docs_tooling
	$(UV) pip freeze --python $(LATEST_VENV)/bin/python > $(LATEST_VENV)/versions.txt
	status=0; \
	$(LATEST_VENV)/bin/python scripts/version_changes.py --report $(LATEST_REPORT) || status=1; \
	$(LATEST_VENV)/bin/python -m pytest -n 2 tests/package tests/tooling || status=1; \
	exit $$status

# Regenerate docs/reference/backend-differences.md from the pages' backend tabs
# (tests/tooling/test_backend_differences.py fails while it is stale).
.PHONY: backend-differences
backend-differences: $(STAMP)
	$(BIN)/python scripts/backend_differences.py
