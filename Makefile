# Two commands on a fresh machine with only Python 3:
#   make demo   install into .venv and analyse sample_logs/ into reports/
#   make test   install with the test extras into .venv and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test bench peers samples clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# An editable install leaves our modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set every
# run would compile them again (0.2 s): compile them once here.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	$(BIN)/python -m compileall -q divergence >/dev/null
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]"
	$(BIN)/python -m compileall -q divergence >/dev/null
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/divergence analyse sample_logs --out reports

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.bench

peers: $(VENV)/.installed-test
	$(PIP) install -e ".[peers]"
	$(BIN)/python -m benchmarks.peers

samples: $(VENV)/.installed
	$(BIN)/python -m divergence.samples --out sample_logs

clean:
	rm -rf $(VENV) reports/*.html reports/*.json build *.egg-info
