# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
# Each step is skipped when its inputs have not changed, so repeated runs are quick.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYS_STAMP := $(VENV)/.system
STUBS_STAMP := $(VENV)/.micropython-stubs
DRIVERS_STAMP := $(VENV)/.thirdparty-drivers

.PHONY: setup test demo lint bench clean

setup: $(SYS_STAMP) $(PY_STAMP) $(NODE_STAMP) $(STUBS_STAMP) $(DRIVERS_STAMP)

# Debian packages the project needs (Node.js for real MicroPython in the tests).
$(SYS_STAMP): tools/setup-system.sh
	bash tools/setup-system.sh
	@mkdir -p $(VENV) && touch $@

$(PY_STAMP): pyproject.toml constraints.txt $(SYS_STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json $(SYS_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The MicroPython stubs the firmware is type-checked against, one folder per board port
# (tools/micropython-stubs.txt pins them; tools/firmware_typecheck.py uses them).
$(STUBS_STAMP): tools/micropython-stubs.txt $(PY_STAMP)
	$(BIN)/python tools/firmware_typecheck.py --install-stubs
	@touch $@

# Third-party drivers that check the simulator's chips (tools/thirdparty-drivers.txt pins them),
# without their dependencies, in a folder only the tests put on sys.path.
$(DRIVERS_STAMP): tools/thirdparty-drivers.txt $(PY_STAMP)
	rm -rf $(VENV)/thirdparty-drivers
	$(BIN)/python -m pip install --quiet --no-deps --no-compile \
		--target $(VENV)/thirdparty-drivers -r tools/thirdparty-drivers.txt
	@touch $@

test: setup
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/vitrine demo

# ruff for the Python; eslint, stylelint and prettier for the pages (package.json's "lint").
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/firmware_typecheck.py
	npm run --silent lint

bench: setup
	$(BIN)/vitrine bench link --json

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis *.egg-info
