# Two commands matter: `make certify` (the main job) and `make test` (every test).
# Both create .venv on first use and install the project with its test extras.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: certify test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

certify: $(STAMP)
	$(BIN)/refund-harness certify --report reports/certification.json

test: $(STAMP)
	$(BIN)/python -m pytest -n auto -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) reports build *.egg-info
