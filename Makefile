# crm-analytics: `make reports` and `make test` are all a fresh clone needs (Python 3.11+ and make).
# `make help` lists the targets from the `## ` comments.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS := dev,sql,spark
DATA_RAW := data/raw
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help setup data reports test lint lab bench lock clean-venv

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## create .venv and install the package (editable) with its extras from requirements.lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[$(EXTRAS)]"
	touch $(STAMP)

data: setup ## build the default synthetic data set into data/raw when it is empty
	@if [ -z "$$(ls -A $(DATA_RAW) 2>/dev/null | grep -v '^README.md$$')" ]; then \
		$(BIN)/crm-analysis generate --out $(DATA_RAW); \
	else \
		echo "data/raw already holds data: left as it is"; \
	fi

reports: setup data ## run every notebook with papermill and write HTML reports to reports/<run_id>/
	$(BIN)/crm-analysis report

test: setup ## lint, then unit, property, notebook and end-to-end tests
	$(BIN)/ruff check crm_analysis tests benchmarks notebooks
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup
	$(BIN)/pytest --nbval-lax notebooks/

lint: setup ## ruff only
	$(BIN)/ruff check crm_analysis tests benchmarks notebooks

lab: setup ## JupyterLab on notebooks/ with the package importable and autoreload on
	IPYTHONDIR=$(CURDIR)/config/ipython $(BIN)/jupyter lab --notebook-dir=notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

bench: setup ## speed and memory benchmarks (benchmarks/results/*.json); never part of `make test`
	$(BIN)/python benchmarks/run_all.py

lock: ## re-resolve requirements.lock from pyproject.toml in a throwaway venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lock-venv/bin/python -m pip install --quiet -e ".[$(EXTRAS),mssql,oracle]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
	rm -rf .lock-venv

clean-venv: ## remove the virtual environment
	rm -rf $(VENV)
