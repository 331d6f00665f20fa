# ExchangeLab: `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYVER := $(shell cat .python-version)
PYENV_PY := $(firstword $(shell PYENV_VERSION=$(PYVER) pyenv which python 2>/dev/null) \
	$(wildcard $(HOME)/.pyenv/versions/$(PYVER)/bin/python))
PY_BOOT ?= $(if $(PYENV_PY),$(PYENV_PY),python3.12)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
# The dashboard listens on this machine only; `make run HOST=0.0.0.0` serves a classroom network.
HOST ?= 127.0.0.1

.PHONY: run cli test test-fast bench bench-full validate browser-deps lint clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 12), "Python >= 3.12 needed (pyenv 3.12.1)"'
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,calibrate]'
	@touch $(STAMP)

# The main job: the dashboard on localhost.
run: $(STAMP)
	@if [ -f dashboard/app.py ] && grep -q st.navigation dashboard/app.py; then \
		$(PY) -m sim.precompile; \
		echo "ExchangeLab dashboard: open http://localhost:$(PORT) in your browser (Ctrl-C stops it)"; \
		if [ "$(HOST)" != "127.0.0.1" ] && [ "$(HOST)" != "localhost" ]; then \
			echo "Listening on $(HOST): other machines on the network can open it at port $(PORT)"; fi; \
		$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT) --server.address $(HOST) \
			--server.headless true --server.maxUploadSize 1 --client.showErrorDetails none \
			--browser.gatherUsageStats false; \
	else \
		$(VENV)/bin/exlab run default_bank; \
	fi

# The default scenario through the command line, with its summary.
cli: $(STAMP)
	$(VENV)/bin/exlab run default_bank

# Chromium for the real-browser test, from Debian's packages, when missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian chromium for the browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: could not install chromium"; }

# The tests on every core (at most four worker processes; pytest-xdist).
test: $(STAMP) browser-deps
	$(VENV)/bin/ruff check sim tests dashboard benchmarks docs
	$(PY) -m pytest -q -p no:cacheprovider -n auto --maxprocesses 4

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n auto --maxprocesses 4 -m "not slow and not browser and not dask"

bench: $(STAMP)
	$(PY) benchmarks/bench.py

bench-full: $(STAMP)
	$(PY) benchmarks/bench.py --full

# The evidence reports docs/VALIDATION.md (theory cases and claims) and docs/RECOVERY.md (calibration's
# parameter recovery), stamped with the fingerprint of the code that made them.
# Not part of `make test`: it takes up to half an hour on two cores.
validate: $(STAMP)
	$(PY) -m sim.validation.report
	$(PY) -m sim.calibration.recovery

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests dashboard benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
