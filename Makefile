# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8000

.PHONY: install system-check system-packages install-bench run test test-unit test-browser test-postgres test-model screenshots demo bench burst abuse cluster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,browser]'
	touch $(STAMP)

install: system-check $(STAMP)

# What the portal needs from Debian: pango for WeasyPrint (the form as a PDF) and the CJK fonts it lays the form
# out in (without them every Chinese character of the PDF is a blank box). Run as root (as on this project's
# machines), make installs what is missing; otherwise it names the packages (`make system-packages` as root).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
system-check:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing="$$missing libpango-1.0-0"; \
	ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing="$$missing libpangoft2-1.0-0"; \
	fc-list 2>/dev/null | grep -q 'Noto Serif CJK SC' || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing the Debian packages the form's PDF needs:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null && missing=""; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "MISSING Debian packages for the form's PDF:$$missing"; \
		echo "  install them as root with: make system-packages   (or: apt-get install$$missing)"; \
		exit 1; \
	fi

system-packages:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES)

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

install-bench: $(BENCH_STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

# The mail worker (docs/mail.md) runs in the background beside runserver and stops with it; with no
# EMAIL_HOST it prints each mail to this console.
run: demo
	@$(BIN)/python manage.py mail_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

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

# The browser journeys, writing their screenshots into docs/screenshots (README.md shows them) on purpose.
screenshots: install
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m browser -q

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not browser" -q

# The model-based test alone, ten times its budget, with a random seed (printed: a failure replays with
# MODEL_SEED=<seed>). MODEL_SEED and MODEL_SCALE may be given; DATABASE_URL too.
test-model: install
	@seed=$${MODEL_SEED:-$$($(BIN)/python -c 'import secrets; print(secrets.randbelow(2**32))')}; \
	echo "model-based test: MODEL_SEED=$$seed MODEL_SCALE=$${MODEL_SCALE:-10}"; \
	MODEL_SEED=$$seed MODEL_SCALE=$${MODEL_SCALE:-10} $(BIN)/pytest tests/test_model_process.py -q

# Throughput and latency of the main pages against the floor, on generated national-scale data (PostgreSQL on
# 127.0.0.1:5432, database $$BENCH_DB, default navbench, recreated each run; wrk). See docs/performance.md.
bench: install-bench
	$(BIN)/python -m bench.run --record

# 200 applicants submit at the same moment (database $$BURST_DB, default navburst, recreated).
burst: install-bench
	$(BIN)/python -m bench.burst

# 200 objections from five client addresses (127.0.0.2-6) against gunicorn with the limits' counters in Redis
# (database $$ABUSE_DB, default navabuse, recreated; Redis $$ABUSE_REDIS, default redis://127.0.0.1:6379/5).
abuse: install-bench
	$(BIN)/python -m bench.abuse

# Scale-out: two gunicorn servers behind nginx (the Debian package; installed when missing and run as root) with
# PostgreSQL (database $$CLUSTER_DB, default navcluster, recreated), Redis database 6 (emptied) and one upload
# folder; sessions across servers, the quota race, and the deadline burst with one server killed mid-burst
# (bench/cluster.py). Ports 8400-8402. Writes its run into docs/performance.md.
cluster: install-bench
	$(BIN)/python -m bench.cluster --record

clean:
	rm -rf $(VENV) var *.egg-info
