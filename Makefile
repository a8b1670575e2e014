# One entry point for a fresh machine that has python3 and make.
#   make serve   install the docs tools, build the site and serve it on http://127.0.0.1:8000
#   make test    install everything, lint, type-check, build the site strictly, run every test
# Both create .venv/ on first use; exact versions come from requirements/constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet -c requirements/constraints.txt
DEPS   := pyproject.toml requirements/constraints.txt tools/crossentropy_site/pyproject.toml
# mkdocs-material 9.x prints a banner about MkDocs 2.0 on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.docs-installed: $(DEPS) | $(BIN)/python
	$(PIP) -e ".[docs]" -e tools/crossentropy_site
	touch $@

$(VENV)/.test-installed: $(DEPS) | $(BIN)/python
	$(PIP) -e ".[test,docs,compare]" -e tools/crossentropy_site
	touch $@ $(VENV)/.docs-installed

serve: $(VENV)/.docs-installed
	$(BIN)/mkdocs serve --strict -a 127.0.0.1:8000

build: $(VENV)/.docs-installed
	$(BIN)/mkdocs build --strict

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy --strict src
	$(BIN)/mypy --strict --explicit-package-bases conftest.py tests/_sybil_markdown.py tests/test_docs_collection.py
	cd tools/crossentropy_site && ../../$(BIN)/mypy crossentropy_site

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

test: lint typecheck build pytest

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
