# khabar's two commands: `make demo` (set up, build the demo archive, serve it) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -e ".[all]" --group dev
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python -m khabar.demo --serve

# The browser tests and the Ray tests each run in a pytest of their own: Playwright's sync API keeps an
# event loop running in its process, and so does a Ray cluster, where other tests' asyncio.run() would
# then fail.
test: setup
	$(BIN)/python -m pytest -n 2 -m "not browser and not ray"
	$(BIN)/python -m pytest -n 2 -m browser
	$(BIN)/python -m pytest -m ray  # one Ray cluster, in a process of its own

lint: setup
	$(BIN)/ruff check khabar tests bench scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
