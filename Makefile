# The two commands of the README: `make lab` (the main job) and `make test`. Both install what they need.
PYTHON ?= python3
UV_VERSION := 0.13.8
# Windows puts a venv's programs in Scripts/ (the CI matrix runs this Makefile there with Git Bash and make)
BIN := $(if $(filter Windows_NT,$(OS)),Scripts,bin)
UV := .tools/$(BIN)/uv
VENV := .venv
MERMAID := .tools/mermaid/.installed
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# Bytecode is written (to __pycache__/, which git ignores) even where the environment says not to: without
# it every pytest worker rewrote and compiled all test modules again (collection 9.5 s, 6.5 s with it)
export PYTHONDONTWRITEBYTECODE :=

.PHONY: lab test install up down clean browser-check test-ordinary-role

lab: install  ## start the database, migrate, seed once, open JupyterLab on notebooks/ (prints its URL; `make lab PORT=9999`)
	$(VENV)/$(BIN)/dbkit lab $(if $(PORT),--port $(PORT))

test: install  ## gates (ruff lint and format, mypy) and the whole suite, notebooks included, on two workers
	$(VENV)/$(BIN)/ruff check dbkit tests bench
	$(VENV)/$(BIN)/ruff format --check dbkit tests bench
	@# loadfile: a module's tests stay on one worker, so a notebook runs once (its module fixture), not once per worker
	@# mypy runs beside the suite: it needs one core for a few seconds, the suite waits on kernels and the server
	$(VENV)/$(BIN)/mypy & types=$$!; $(VENV)/$(BIN)/python -m pytest -n 2 --dist loadfile; tests=$$?; wait $$types; types=$$?; exit $$((tests || types))

install: $(VENV)/.installed $(MERMAID)

# The real Mermaid parser for the diagram tests (Node's npm; skipped with a note where there is none).
$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json tests/mermaid/parse.mjs
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p .tools/mermaid && cp tests/mermaid/package.json tests/mermaid/package-lock.json tests/mermaid/parse.mjs .tools/mermaid/ && \
		(cd .tools/mermaid && npm ci --no-audit --no-fund --loglevel=error >/dev/null) && touch $@; \
	else echo "npm not found: the Mermaid parser tests will be skipped"; fi

up: install
	$(VENV)/$(BIN)/dbkit up

down: install
	$(VENV)/$(BIN)/dbkit down

$(UV):
	$(PYTHON) -m venv .tools
	.tools/$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: uv installs no .pyc (pip does); where PYTHONDONTWRITEBYTECODE is set, every process and
# kernel would otherwise compile pandas, matplotlib and sqlalchemy from source again (3.7 s of imports, 1.2 s with it)
$(VENV)/.installed: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

test-ordinary-role: install  ## the whole suite through DATABASE_URL as a NOSUPERUSER CREATEDB CREATEROLE role (a managed server's case)
	$(VENV)/$(BIN)/python tests/as_ordinary_role.py

browser-check: install  ## the browser check alone (Debian's Chromium: apt-get install chromium); screenshots in build/browser/
	$(VENV)/$(BIN)/python -m pytest -m browser tests/test_browser.py

clean:
	rm -rf $(VENV) .tools build .pytest_cache
