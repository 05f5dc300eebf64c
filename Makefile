# The two commands of the README:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint soak fuzz stack-up stack-down eval bench clean podman-setup

# One wheelhouse for the machine (README "More"): this venv, the image build (tests/deploy gives
# it as the build context `wheels`) and the wheel test (tests/packaging/test_wheel.py) install
# from it, so a wheel is downloaded once, not once per install (pip keeps no HTTP cache behind
# this registry proxy). Installs are offline from it; only what it lacks is downloaded.
WHEELHOUSE ?= $(or $(DIPLOWIRE_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/diplowire)/wheelhouse
# setuptools: pyproject's build-system requires, for the editable install's build, offline too.
OFFLINE_INSTALL := $(BIN)/pip install --quiet --no-index --find-links $(WHEELHOUSE) -e '.[dev]'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@mkdir -p $(WHEELHOUSE)
	$(OFFLINE_INSTALL) 2>/dev/null || { \
	  $(BIN)/pip download --quiet -d $(WHEELHOUSE) '.[dev]' 'setuptools>=77' && $(OFFLINE_INSTALL); }
	@touch $(STAMP)

## The main job: install, start the stack, run the pipeline over the bundled sample feeds.
demo: $(STAMP)
	$(BIN)/diplowire run

## The tests: lint, types, then the whole suite against the real stack (started by the suite).
## tests/deploy builds and runs the container images with podman: podman-setup first.
test: $(STAMP) lint podman-setup
	$(BIN)/pytest -q -p no:cacheprovider

## A longer run of the fault suite (README "Soak"): more articles and more faults, same checks.
SOAK_ARTICLES ?= 20000
SOAK_SECONDS ?= 600
soak: $(STAMP)
	DIPLOWIRE_SOAK_ARTICLES=$(SOAK_ARTICLES) DIPLOWIRE_SOAK_SECONDS=$(SOAK_SECONDS) \
	  $(BIN)/pytest -q -p no:cacheprovider -m fault tests/fault

## A long fuzzing run (README "More"): the property tests (tests/*/test_fuzz_*.py) with fresh
## random inputs, FUZZ_EXAMPLES each (some scaled up or down) instead of the suite's fixed 200.
FUZZ_EXAMPLES ?= 20000
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long HYPOTHESIS_MAX_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(BIN)/pytest -q -p no:cacheprovider $(wildcard tests/*/test_fuzz_*.py)

## podman, runc, podman-compose and the Debian base image (README "Deploy"); root on Debian.
## Idempotent: instant once done.
podman-setup:
	deploy/local/podman-setup.sh

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
