# The two commands of the README: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup test-deps lint unit

# One virtualenv with mailgate (editable) and everything the tests and linters need.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/mailgate demo

# Servers the integration tests start themselves: Dovecot (IMAP) and faketime (e2e clock).
# PostgreSQL is expected at 127.0.0.1:5432; tests that need it skip with the reason when it is not.
test-deps:
	@if ! command -v dovecot >/dev/null || ! command -v faketime >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd faketime >/dev/null; \
		else \
			echo "dovecot-imapd and faketime are missing; install them (as root: make test-deps) or their tests skip"; \
		fi; \
	fi

lint: setup
	$(BIN)/ruff format --check mailgate tests bench
	$(BIN)/ruff check mailgate tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest tests/unit -q

test: setup test-deps lint
	$(BIN)/pytest -q
