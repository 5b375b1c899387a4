# wslab: set-up, demo, tests and benchmarks. Only needs Python 3.11 on the machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LS_VENV  ?= .venv-ls
LS_STAMP := $(LS_VENV)/.installed-stamp
DEMO_DIR ?= demo-project

.PHONY: setup label-studio demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# torch first, pinned: the CPU build. An unpinned torch pulls GBs of CUDA packages.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev,spark]'
	# Java 17 for pyspark's local-mode tests of executor: spark (they skip without it; needs root and apt).
	command -v java >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && apt-get install -y -qq --no-install-recommends default-jre-headless; } \
		|| echo "java not installed; the Spark executor tests will skip"
	# Debian's chromium renders report.html in a test (optional: the test skips without it; needs root and apt).
	command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
		|| echo "chromium not installed; the report rendering test will skip"
	touch $(STAMP)

setup: $(STAMP)

# Label Studio from PyPI in its own venv (about 1 GB and 70 s to install; its Django pins clash with
# nothing of ours this way) for the test that runs the review loop against a real server. Optional:
# without it that test skips and says why. sentry-sdk < 3: Label Studio 1.23.2 passes sentry-sdk 2's
# options at start-up, and 3.0.0 (on PyPI since) refuses one of them, so the server would not start.
$(LS_STAMP):
	$(PYTHON) -m venv $(LS_VENV) && $(LS_VENV)/bin/pip install -q label-studio==1.23.2 'sentry-sdk<3' \
		&& touch $(LS_STAMP) \
		|| echo "label-studio not installed; the Label Studio loop test will skip"

label-studio: $(LS_STAMP)

demo: setup
	$(BIN)/wslab demo $(DEMO_DIR) --force
	$(BIN)/wslab apply configs/demo.yaml

test: setup $(LS_STAMP)
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(LS_VENV) $(DEMO_DIR) runs .pytest_cache
