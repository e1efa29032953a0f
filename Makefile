# lianban — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: one per core, at most 4 (each holds PostgreSQL connections, one test opens
# 50 at once, and the server's default limit is 100). Each test file runs whole in one of them.
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck openapi bench setup clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

## Set up and run the platform on its embedded default (SQLite, demo data, demo accounts).
run: $(BIN)/.installed
	LIANBAN_DEBUG=true $(BIN)/lianban migrate --noinput
	LIANBAN_DEBUG=true $(BIN)/lianban load_catalog
	LIANBAN_DEBUG=true $(BIN)/lianban prepare_fonts
	LIANBAN_DEBUG=true $(BIN)/lianban setup_demo
	@echo "联办已启动： http://$(HOST):$(PORT)/   管理后台： http://$(HOST):$(PORT)/admin/"
	LIANBAN_DEBUG=true $(BIN)/lianban runserver $(HOST):$(PORT)

## Set up and run the whole test suite, with lint and type checks.
test: $(BIN)/.installed
	./scripts/ensure-browser
	$(MAKE) lint typecheck
	$(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

## Regenerate the committed OpenAPI document after changing the API.
openapi: $(BIN)/.installed
	$(BIN)/lianban export_openapi > docs/openapi.json

## Print the performance figures (see bench/README.md).
bench: $(BIN)/.installed
	$(BIN)/python -m bench.catalog

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
