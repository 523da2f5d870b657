# Every target installs what it needs: a fresh machine needs only python3 and pip.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV_STAMP := $(VENV)/.dev-installed
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_STAMP := $(MELTANO_VENV)/.installed
UV := $(MELTANO_VENV)/bin/uv
# The heavy tools of the scale-out recipe, each in its own venv (tests/scale, make demo-scale):
POSTGRES_VENV := .venv-postgres
POSTGRES_STAMP := $(POSTGRES_VENV)/.installed
DAGSTER_VENV := .venv-dagster
DAGSTER_STAMP := $(DAGSTER_VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check
# uv, here and in Meltano's plugin installs, compiles the bytecode as pip does: without it every
# process started (a tap, a target, Meltano, Dagster's) compiles its libraries again, seconds
# each where PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE := 1

.PHONY: test lint typecheck pytest demo demo-scale bench readme hub clean

# pip installs only uv (into Meltano's venv, whose venv backend it is); uv installs the rest,
# in seconds where pip took over a minute.
$(MELTANO_STAMP):
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/pip install $(PIP_QUIET) 'uv>=0.5'
	$(UV) pip install --quiet --python $(MELTANO_VENV)/bin/python 'meltano==4.4.1'
	touch $@

$(DEV_STAMP): pyproject.toml $(MELTANO_STAMP)
	$(PYTHON) -m venv $(VENV)
	$(UV) pip install --quiet --python $(PY) -e '.[dev]'
	touch $@

# A PostgreSQL server from the package index (pgserver's wheel): no system service.
$(POSTGRES_STAMP): $(MELTANO_STAMP)
	$(UV) venv --quiet --clear --python $(PYTHON) $(POSTGRES_VENV)
	$(UV) pip install --quiet --python $(POSTGRES_VENV)/bin/python 'pgserver==0.1.4'
	touch $@

$(DAGSTER_STAMP): $(MELTANO_STAMP)
	$(UV) venv --quiet --clear --python $(PYTHON) $(DAGSTER_VENV)
	$(UV) pip install --quiet --python $(DAGSTER_VENV)/bin/python 'dagster==1.13.29' 'elt-dagster-meltano==1.0.1'
	touch $@

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

pytest: $(DEV_STAMP) $(MELTANO_STAMP) $(POSTGRES_STAMP) $(DAGSTER_STAMP)
	PATH="$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(VENV)/bin/pytest -n 2 --dist loadfile

test: lint typecheck pytest

demo: $(DEV_STAMP) $(MELTANO_STAMP)
	PATH="$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(PY) -m scripts.demo

demo-scale: $(DEV_STAMP) $(MELTANO_STAMP) $(POSTGRES_STAMP) $(DAGSTER_STAMP)
	PATH="$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(PY) -m scripts.demo_scale

bench: $(DEV_STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(POSTGRES_VENV) $(DAGSTER_VENV) .meltano output

readme: $(DEV_STAMP)
	$(PY) -m scripts.readme

# hub/extractors/<tap>/workforce-taps.yml and meltano/<vendor>.meltano.yml, from each tap's --about
hub: $(DEV_STAMP)
	$(PY) -m scripts.hub
