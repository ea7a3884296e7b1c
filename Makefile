# paperradar: `make demo` installs and runs the radar on the shipped data; `make test` installs
# and runs every check. Both create ./.venv on first use. `make fuzz` fuzzes the readers and
# kills commands at random points, at length.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_HOME ?= demo-home
ARXIV_SLICE := data/arxiv-cs-daily-2026-06-18_2026-07-01.jsonl.gz
# the browser tests drive Debian's Chromium through Playwright (no browser download)
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser demo test check lint types unit bench clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build lies on local disk; any other request pulls CUDA
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Debian's chromium for tests/test_web_browser.py, installed once when it is missing
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-liberation fonts-dejavu-core >/dev/null; \
	fi
	@[ -x $(CHROMIUM) ] || { echo "error: $(CHROMIUM) is missing (apt-get install chromium)"; exit 1; }

demo: install
	rm -rf $(DEMO_HOME)
	$(BIN)/paperradar --home $(DEMO_HOME) ingest --embed data/seeds/002_*.txt data/seeds/003_*.txt data/seeds/004_*.txt $(ARXIV_SLICE)
	$(BIN)/paperradar --home $(DEMO_HOME) profile create researcher
	$(BIN)/paperradar --home $(DEMO_HOME) profile add researcher data/seeds/000_*.txt data/seeds/001_*.txt
	$(BIN)/paperradar --home $(DEMO_HOME) digest --profile researcher --day 2026-07-01 --top 10 --html $(DEMO_HOME)/digest.html --feed $(DEMO_HOME)/feed.xml
	$(BIN)/paperradar --home $(DEMO_HOME) trending --since 2025-01-01 --limit 5
	$(BIN)/paperradar --home $(DEMO_HOME) search "why do reasoning models fail on harder puzzles" --limit 5
	@echo "The demo store is in $(DEMO_HOME)/: open $(DEMO_HOME)/digest.html, subscribe to $(DEMO_HOME)/feed.xml;"
	@echo "try: $(BIN)/paperradar --home $(DEMO_HOME) like ID  (then run the digest again with --no-record)"

lint: install
	$(BIN)/ruff check paperradar tests benchmarks
	$(BIN)/ruff format --check paperradar tests benchmarks

# paperradar and tests (the files listed in pyproject.toml's [tool.mypy])
types: install
	$(BIN)/mypy

check: lint types

# in parallel (pytest-xdist; an xdist_group keeps a module's tests on one worker, e.g. the
# browser tests' one server and browser), then alone the tests marked serial (kills, timings,
# locks)
unit: install browser
	$(BIN)/pytest -q -n auto --dist loadgroup -m "not serial"
	$(BIN)/pytest -q -m serial

test: check unit

# the fuzzing harness at length (minutes): hundreds of damaged real files per format through
# the readers, and some through `paperradar ingest` and the web upload (tests/fuzz; make test
# runs a few of each); every crash found is kept in tests/fuzz/regressions/; then 20 SIGKILLs at
# random points of ingest, embed, sync and digest + email (tests/faults; make test runs 2 of
# each)
# (docs/reliability.md)
fuzz: install
	PAPERRADAR_FUZZ=fuzz $(BIN)/pytest -q -n auto -m fuzz tests/fuzz
	PAPERRADAR_FAULT_TRIALS=20 $(BIN)/pytest -q -m serial tests/faults

# every benchmark in turn (hours: search.py alone builds and queries a 1M-paper store), each
# writing benchmarks/results/NAME.json; a failing one does not stop the others; then one table
BENCHMARKS := ingest readers embed search csfcube digest affinity ranking authors web abuse ingest_beside_writers postgres cold explanations
bench: install
	@failed=; for name in $(BENCHMARKS); do \
	  echo "== benchmarks/$$name.py"; \
	  $(BIN)/python benchmarks/$$name.py || failed="$$failed $$name"; \
	done; \
	echo; $(BIN)/python benchmarks/summary.py || failed="$$failed summary"; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) $(DEMO_HOME) .mypy_cache .ruff_cache .pytest_cache *.egg-info tests/artifacts
