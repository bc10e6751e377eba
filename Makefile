# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test test-unit test-browser test-postgres demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,browser]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite: unit and view tests, then the browser journeys when Chromium is installed.
test: test-unit test-browser

test-unit: install
	$(BIN)/pytest -m "not browser" -q

test-browser: install
	@if [ -x "$(CHROMIUM)" ]; then \
		DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m browser -q; \
	else \
		echo "SKIPPED the browser tests: $(CHROMIUM) is missing (apt-get install chromium)."; \
	fi

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not browser" -q

clean:
	rm -rf $(VENV) var *.egg-info
