# The two set-up commands of a fresh machine are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: env demo serve-demo test lint bench trust-bench clean

$(BIN)/datacert: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/datacert

env: $(BIN)/datacert

demo: env
	mkdir -p out
	$(BIN)/datacert check --demo --json out/demo-certificate.json --html out/demo-report.html; \
	  code=$$?; echo "datacert exit code: $$code (0 release, 3 prequalify, 4 reject)"; \
	  echo "wrote out/demo-certificate.json and out/demo-report.html"; [ $$code -le 4 ] && [ $$code -ne 1 ] && [ $$code -ne 2 ]

# the web service with its embedded defaults (SQLite and files in .datacert-demo/), a demo user and dataset
serve-demo: env
	DATACERT_HOME=$${DATACERT_HOME:-$(CURDIR)/.datacert-demo} $(BIN)/datacert serve --demo --port $${PORT:-8000}

test: env
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 tests

bench: env
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks.run --big

trust-bench: env
	$(BIN)/python -m benchmarks.trust --jobs 2

clean:
	rm -rf $(VENV) out .pytest_cache
