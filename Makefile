# Every target is self-sufficient on a fresh Debian/Ubuntu machine: it makes the
# virtual environment, installs the package, starts (or installs) a Docker
# engine and prepares the base images, doing nothing where all is already there.

VENV    := .venv
PY      := $(VENV)/bin/python
GRADER  := $(VENV)/bin/grader
STAMP   := $(VENV)/.installed
PARALLEL := -n 4 --dist loadgroup --no-loadscope-reorder

.PHONY: setup check test lint demo lab bench bench-suite clean gc

$(STAMP): pyproject.toml
	@python3 -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it (needs root)"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	$(GRADER) images prepare

lint: $(STAMP)
	$(VENV)/bin/ruff check grader tests benchmarks exercises
	$(VENV)/bin/ruff format --check grader tests benchmarks exercises
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# The inner loop: linters and every test that needs no Docker engine (none is started).
check: lint
	$(PY) -m pytest -m "not docker" -p no:cacheprovider

# The whole suite, four workers sharing the engine (tests/sharing.py says which tests may overlap).
test: setup lint
	$(PY) -m pytest $(PARALLEL)

demo: setup
	$(GRADER) demo

lab: setup
	$(GRADER) notebooks
	$(GRADER) lab $(if $(ENGINE),--engine $(ENGINE))

bench: setup
	$(PY) -m benchmarks

bench-suite: setup
	$(PY) -m benchmarks.suite_times

gc: $(STAMP)
	$(GRADER) gc

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
