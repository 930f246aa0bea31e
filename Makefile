# Two commands for a newcomer: `make run` and `make test`. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test browser axe lint contracts typecheck bench clean pii-master-key

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# A local .env (git-ignored, read by the settings) so manage.py commands work as the README prints
# them: debug mode, a SECRET_KEY and a PII_MASTER_KEY generated once. Never overwritten; variables
# set in the environment still win over it.
NEW_MASTER_KEY := import base64, os; print('PII_MASTER_KEY=' + base64.b64encode(os.urandom(32)).decode())
.env:
	@umask 077 && $(PYTHON) -c "import secrets; print('DEBUG=true'); print('SECRET_KEY=' + secrets.token_urlsafe(50))" > .env.tmp && $(PYTHON) -c "$(NEW_MASTER_KEY)" >> .env.tmp && mv .env.tmp .env
	@echo "wrote .env (DEBUG=true, a generated SECRET_KEY and PII_MASTER_KEY) for local use"

# An .env written before personal data was encrypted gets a master key appended; an existing key is never
# replaced (the customers' data keys are wrapped by it).
pii-master-key: .env
	@grep -q '^PII_MASTER_KEY=' .env || { [ -z "$$(tail -c1 .env)" ] || echo >> .env; \
	  $(PYTHON) -c "$(NEW_MASTER_KEY)" >> .env && echo "appended a generated PII_MASTER_KEY to .env"; }

install: $(STAMP) .env pii-master-key

run: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py run_local

test: install browser axe
	$(PY) -m pytest

# Browser tests use Debian's chromium (browser downloads do not work everywhere). Without it and
# without apt, those tests skip and say why; everything else still runs.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	    echo "WARNING: chromium is not installed and could not be installed: browser tests will be skipped"; }

# The browser tests' accessibility checks use axe-core, pinned in tests/e2e/package-lock.json. Without
# npm (or the registry) they are skipped with a warning; the browser tests themselves still run.
AXE_STAMP := tests/e2e/node_modules/.package-lock.json
axe:
	@if [ -f $(AXE_STAMP) ] && [ $(AXE_STAMP) -nt tests/e2e/package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error || \
	    echo "WARNING: npm ci failed: the accessibility checks of the browser tests will be skipped"; \
	else echo "WARNING: npm is not installed: the accessibility checks of the browser tests will be skipped"; fi

lint: install
	$(VENV)/bin/ruff check .

contracts: install
	$(VENV)/bin/lint-imports

# mypy's Django plugin imports the settings: give it what they require, and not the local .env.
typecheck: install
	DEBUG=true SECRET_KEY=typecheck ENV_FILE= $(VENV)/bin/mypy

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/e2e/node_modules
