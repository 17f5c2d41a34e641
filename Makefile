# Two commands matter: `make certify` (the main job) and `make test` (every test).
# Both create .venv on first use and install the project with its test extras.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: certify test fuzz mutants bench bench-suite screenshots clean

# pytest rewrites the asserts of every plugin module in every process (xdist workers, nested runs)
# and caches the result as bytecode; with bytecode writing off it recompiles them all each time.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

certify: $(STAMP)
	$(BIN)/refund-harness certify --report reports/certification.json --cucumber-json reports/cucumber.json

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal -q

# 2,000 malformed requests to every route table of every simulator (make test sends 50 each)
fuzz: $(STAMP)
	FUZZ_REQUESTS=2000 $(BIN)/python -m pytest -n auto --dist worksteal -q tests -k malformed_requests_get_the_platforms_4xx

# every deliberately broken connector against the certification; prints the kill rate
mutants: $(STAMP)
	$(BIN)/refund-harness mutants -n 2

bench: $(STAMP)
	$(BIN)/python -m bench

bench-suite: $(STAMP)
	$(BIN)/python -m bench.suite

# the README's pictures, made anew from a real certification and a failed one (needs Debian's chromium)
screenshots: $(STAMP)
	$(BIN)/python -m harness.screenshots

clean:
	rm -rf $(VENV) reports build *.egg-info
