# One entry point for a fresh machine that has python3 and make.
#   make serve   build the site and serve it on http://127.0.0.1:8000
#   make test    lint, type-check, build the site strictly, run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# mkdocs-material 9.x prints a banner about MkDocs 2.0 on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test lint typecheck pytest bench clean

$(STAMP): pyproject.toml requirements/constraints.txt tools/crossentropy_site/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt \
		-e ".[test,docs]" -e tools/crossentropy_site
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mkdocs serve --strict -a 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck build pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
