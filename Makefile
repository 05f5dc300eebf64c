# The two commands of the README:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint stack-up stack-down eval bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## The main job: install, start the stack, run the pipeline over the bundled sample feeds.
demo: $(STAMP)
	$(BIN)/diplowire run

## The tests: lint, types, then the whole suite against the real stack (started by the suite).
test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

stack-up: $(STAMP)
	$(BIN)/diplowire stack up

stack-down: $(STAMP)
	$(BIN)/diplowire stack down

eval: $(STAMP)
	$(BIN)/python eval/evaluate.py

clean:
	rm -rf $(VENV) .stack .state .mypy_cache .ruff_cache
