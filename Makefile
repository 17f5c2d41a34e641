# Two commands matter: `make certify` (the main job) and `make test` (every test).
# Both create .venv on first use and install the project with its test extras.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: certify test fuzz mutants mutation-score bench bench-suite screenshots clean

# pytest rewrites the asserts of every plugin module in every process (xdist workers, nested runs)
# and caches the result as bytecode; with bytecode writing off it recompiles them all each time.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# the scenarios spread over one worker per core (-n auto): the same verdict and evidence as a serial run
certify: $(STAMP)
	$(BIN)/refund-harness certify -n auto --report reports/certification.json --cucumber-json reports/cucumber.json

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal -q

# 2,000 malformed requests to every route table of every simulator (make test sends 50 each)
fuzz: $(STAMP)
	FUZZ_REQUESTS=2000 $(BIN)/python -m pytest -n auto --dist worksteal -q tests -k malformed_requests_get_the_platforms_4xx

# every deliberately broken connector against the certification, each stopped at its first failing scenario
# and meeting first what caught it before (harness/mutants/catches.json); prints the kill rate
mutants: $(STAMP)
	$(BIN)/refund-harness mutants -n 2

# generated mutants of connector/ (mutmut) against the certification; prints the score per module.
# About a day for every mutant on 2 cores; MUTATION_SAMPLE=N tests a seeded sample of N per module.
# Results are kept in mutants/: a later run tests only new mutants and those of changed functions.
MUTATION_STAMP := $(VENV)/.mutation-stamp
MUTATION_SAMPLE ?=

$(MUTATION_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

mutation-score: $(MUTATION_STAMP)
	$(BIN)/python -m harness.mutation_score run --max-children 2 $(if $(MUTATION_SAMPLE),--sample $(MUTATION_SAMPLE))

bench: $(STAMP)
	$(BIN)/python -m bench

bench-suite: $(STAMP)
	$(BIN)/python -m bench.suite

# the README's pictures, made anew from a real certification and a failed one (needs Debian's chromium)
screenshots: $(STAMP)
	$(BIN)/python -m refund_harness.screenshots

clean:
	rm -rf $(VENV) reports build *.egg-info mutants
