# The README's quick start: `make run` and `make test`. Everything runs from .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: run test browser-test exchange screenshots bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Start the console against the embedded local exchange (no account, no network).
run: $(STAMP)
	$(BIN)/trading-console

## Install the test dependencies into .venv, lint (ruff), type-check (mypy --strict, [tool.mypy]), run the whole suite.
test: $(TSTAMP)
	$(BIN)/ruff check console tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

## Drive `trading-console serve` in headless Chromium (installs Debian's chromium if missing; slow, not in `test`).
browser-test: $(TSTAMP)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	TRADING_CONSOLE_BROWSER_TEST=1 $(BIN)/python -m pytest tests/browser

## Run the local exchange on its own (REST + WebSocket on http://127.0.0.1:8787).
exchange: $(STAMP)
	$(BIN)/trading-console exchange

## Regenerate the SVG screenshots under screenshots/.
screenshots: $(TSTAMP)
	$(BIN)/python scripts/screenshots.py

## Run the benchmarks; they print numbers, they do not pass or fail.
bench: $(TSTAMP)
	$(BIN)/python -m benchmarks

## Soak the reliability property test for longer (random orders, cancels, fills and faults); prints numbers.
soak: $(TSTAMP)
	$(BIN)/python -m benchmarks.soak_reliability

clean:
	rm -rf $(VENV) build dist *.egg-info
