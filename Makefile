# One entry point for a fresh machine that has python3 and make.
#   make serve        install the docs tools, build the site and serve it on http://127.0.0.1:8000
#   make test         install everything, lint, type-check, build the site strictly, run every test
# For the people who write pages (see CONTRIBUTING.md):
#   make docs-update  rewrite every docs output block (and bound number) with what the code prints
#                     now, the site's plain Markdown (docs/markdown/, llms.txt), each page's
#                     notebook (docs/notebooks/) and the math font cut to the formulas' characters
#   make font         the math font cut to the characters of the site's formulas (docs/assets/fonts/)
#   make bench-site   what each page costs a reader, bytes and time on slow 4G (benchmarks/site.py)
#   make lint         ruff on the package, the tests, the tools and the docs' code; workflow checks
#   make check PAGE=docs/how-to/bits.md
#                     while writing one page: its lint, blocks, snippets, bound numbers,
#                     formulas and notebook, in seconds (no site build)
# For the workflows:
#   make docs-deploy VERSION=dev [ALIASES=latest] [PUSH=1] PAGES=dir   mike deploy, Pages tree
#   make dist         sdist and wheel in dist/, checked with twine
# The first use creates .venv/; exact versions come from requirements/constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet -c requirements/constraints.txt
DEPS   := pyproject.toml requirements/constraints.txt tools/crossentropy_site/pyproject.toml
# mkdocs-material 9.x prints a banner about MkDocs 2.0 on every build.
export NO_MKDOCS_2_WARNING := 1
# Python may keep its compiled modules (and pytest its rewritten test modules) in
# __pycache__, even where the environment says not to: without them every run of the
# tests compiles them again, in each worker and subprocess.
unexport PYTHONDONTWRITEBYTECODE
# The site is built with ProperDocs, the maintained fork of MkDocs 1.x (same config);
# tests/test_site_build.py checks that MkDocs builds the same files.
DOCS   := $(BIN)/properdocs

.PHONY: serve build test lint typecheck pytest bench bench-site clean docs-update docs-deploy dist \
	check-version font check lint-code

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.docs-installed: $(DEPS) | $(BIN)/python
	$(PIP) -e ".[docs]" -e tools/crossentropy_site
	touch $@

$(VENV)/.release-installed: $(DEPS) | $(BIN)/python
	$(PIP) -e ".[release]"
	touch $@

$(VENV)/.test-installed: $(DEPS) | $(BIN)/python
	$(PIP) -e ".[test,docs,compare]" -e tools/crossentropy_site
	touch $@ $(VENV)/.docs-installed

serve: $(VENV)/.docs-installed
	$(DOCS) serve --strict -a 127.0.0.1:8000

build: $(VENV)/.docs-installed
	$(DOCS) build --strict

lint: lint-code
	$(BIN)/python -m crossentropy_site.lint docs

# Everything lint does but the docs' code, which make test checks as a test
# (tests/tools/test_site_lint.py: test_the_docs_are_clean), not twice.
lint-code: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --quiet .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy --strict src
	MYPYPATH=tools/crossentropy_site $(BIN)/mypy --strict --explicit-package-bases conftest.py tests/_sybil_markdown.py tests/test_docs_collection.py tests/test_notebooks.py tests/tools/test_site_font.py tests/tools/test_site_notebooks.py tools/gh_pages.py
	MYPYPATH=benchmarks $(BIN)/mypy --strict benchmarks/site.py
	cd tools/crossentropy_site && ../../$(BIN)/mypy crossentropy_site

# Two workers (the CI machine has two cores), each taking whole groups of tests that
# share work (conftest.py: work_unit).
pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n 2

# The tests build the site strictly, with MkDocs, ProperDocs and Zensical side by side
# (tests/conftest.py: site_builds), so test needs no build step of its own.
test: lint-code typecheck pytest

# The tests of one page (conftest.py's --page keeps the items that concern it).
PAGE_TESTS := tests/test_docs_numbers.py tests/test_docs_formulas.py tests/test_docs_snippets.py \
	tests/test_docs_collection.py tests/test_notebooks.py

check: $(VENV)/.test-installed
	@test -f "$(PAGE)" || { echo "usage: make check PAGE=docs/how-to/bits.md"; exit 2; }
	$(BIN)/python -m crossentropy_site.lint $(PAGE)
	$(BIN)/python -m crossentropy_site.notebooks docs --check
	$(BIN)/python -m pytest -q --page $(PAGE) $(PAGE) $(PAGE_TESTS)

docs-update: $(VENV)/.test-installed
	$(BIN)/python -m crossentropy_site.update docs; status=$$?; \
	$(BIN)/python -m crossentropy_site.llms docs && \
	$(BIN)/python -m crossentropy_site.notebooks docs && \
	$(BIN)/python -m crossentropy_site.font && exit $$status

# The math font: the full STIX Two Math (tools/fonts/) cut to what the built site's
# formulas draw. It builds the site to read them.
font: $(VENV)/.docs-installed
	$(BIN)/python -m crossentropy_site.font

docs-deploy: $(VENV)/.docs-installed
	$(BIN)/python tools/gh_pages.py deploy $(VERSION) $(ALIASES) --out $(PAGES) $(if $(PUSH),--push)

dist: $(VENV)/.release-installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

check-version: | $(BIN)/python
	@TAG="$(TAG)" $(BIN)/python -c "import os, sys, tomllib; \
	version = tomllib.load(open('pyproject.toml', 'rb'))['project']['version']; \
	tag = os.environ['TAG'].removeprefix('v'); \
	sys.exit(0 if tag == version else f'tag v{tag} does not match version {version} in pyproject.toml')"

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run.py

bench-site: $(VENV)/.test-installed
	$(BIN)/python benchmarks/site.py

clean:
	rm -rf $(VENV) site dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
