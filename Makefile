# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
export FLASK_APP := wsgi.py

.PHONY: run test check setup system-packages system-packages-test translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d eventapp/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2 -k _lp:1c,2 --no-location --sort-output \
		-o eventapp/translations/messages.pot .
	$(BIN)/pybabel update -i eventapp/translations/messages.pot -d eventapp/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python tools/english_catalogue.py

# Pango, HarfBuzz and poppler for the PDFs (and Chromium for the browser tests): installed on Debian/Ubuntu
# when missing, else a clear stop with the command to run.
system-packages:
	@[ -n "$(SKIP_SYSTEM_PACKAGES)" ] || sh tools/system-packages.sh run

system-packages-test:
	@[ -n "$(SKIP_SYSTEM_PACKAGES)" ] || sh tools/system-packages.sh test

run: system-packages setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo "Serving on http://127.0.0.1:$(PORT) — stop with Ctrl+C"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The page checkers of the browser tests (axe-core, the Nu HTML checker), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: system-packages-test setup node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The layers (import-linter, contracts in setup.cfg) and the lint rules (ruff, in pyproject.toml).
check: $(VENV)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check eventapp tests bench tools

clean:
	rm -rf $(VENV) node_modules instance *.egg-info .pytest_cache
