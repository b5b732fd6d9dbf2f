# Set-up, serving and tests. Works as root on a fresh Debian/Ubuntu machine; every step is idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgresql://intranet:intranet@127.0.0.1:5432/intranet_test
# The suite runs in parallel (pytest-xdist), one worker per core of the 2-core CI machine; each
# worker has its own SQLite template and, on PostgreSQL, its own database `<name>_gw0` … made
# next to the one in PG_URL (tests/conftest.py). A module's tests stay together in one worker, in
# their order (`loadfile`): module fixtures (the HTML checker's run) are made once, and
# tests/test_fixtures.py checks what one test leaves for the next. (`loadgroup` would not do:
# it marks its groups by renaming node ids, which pytest 9.2 no longer takes.) The modules are
# handed out in the order pytest collects them, tests/e2e first: sorted by their number of tests
# (xdist's default), the browser modules (few tests, many seconds each) came last and one worker
# ran them alone while the other was done.
TEST_WORKERS ?= 2
PYTEST := $(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
VENDOR := static/vendor
KERN := node_modules/@kern-ux/native/dist

.PHONY: bench benchmark messages run test test-sqlite test-postgres venv dev-venv system-packages postgres node-assets vendor translations lint clean

run: venv
	$(PY) app.py

# --no-compile: Python compiles what is imported when it is first imported; compiling every
# installed module up front was a quarter of the install (25 s against 19 s here).
venv: $(VENV)/.requirements
$(VENV)/.requirements: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	touch $@

dev-venv: $(VENV)/.dev-requirements
$(VENV)/.dev-requirements: $(VENV)/.requirements requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt
	touch $@

# Only what is missing: Debian's Chromium for the browser tests, PostgreSQL for the second
# database run, a Java runtime for the HTML checker, wrk for the benchmark, Pango for PDFs.
# (Where Node.js came with its own npm, Debian's npm package would conflict with it.)
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pg_ctlcluster >/dev/null || missing="$$missing postgresql"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

postgres: system-packages
	@bash .ci/postgres.sh

node-assets: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# Refresh the committed copies in static/vendor from the pinned npm packages.
vendor: node-assets
	mkdir -p $(VENDOR)/kern/fonts/fira-sans
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp $(KERN)/kern.min.css $(VENDOR)/kern/kern.min.css
	cp $(KERN)/fonts/fira-sans.css $(VENDOR)/kern/fonts/fira-sans.css
	for font in $$(grep -o 'fira-sans/[A-Za-z-]*\.woff2' $(KERN)/fonts/fira-sans.css | sort -u); do \
		cp $(KERN)/fonts/$$font $(VENDOR)/kern/fonts/$$font; done
	cp node_modules/@kern-ux/native/LICENSE.md $(VENDOR)/kern/LICENSE.md

translations: venv
	$(VENV)/bin/pybabel compile --statistics -d translations

# The SQLite and the PostgreSQL run go side by side, each with its own workers, folders and
# log (printed when both are done). A worker spends about a third of its time waiting, for
# Chromium, for the PostgreSQL server or for a timer in a test, and the other run's workers use
# the cores meanwhile. `TESTS=tests/test_auth.py make test` runs a part of the suite.
TESTS ?=
test: system-packages dev-venv node-assets postgres
	$(VENV)/bin/ruff check intranet tests app.py
	@runs=$$(mktemp -d); \
	$(PYTEST) --basetemp=$$runs/sqlite $(TESTS) >$$runs/sqlite.log 2>&1 & sqlite=$$!; \
	INTRANET_DATABASE_URL=$(PG_URL) $(PYTEST) --basetemp=$$runs/postgresql $(TESTS) \
		>$$runs/postgresql.log 2>&1 & postgresql=$$!; \
	wait $$sqlite; sqlite=$$?; wait $$postgresql; postgresql=$$?; \
	echo "=== SQLite"; cat $$runs/sqlite.log; echo "=== PostgreSQL ($(PG_URL))"; \
	cat $$runs/postgresql.log; rm -rf $$runs; \
	test $$sqlite = 0 && test $$postgresql = 0

lint: dev-venv
	$(VENV)/bin/ruff check intranet tests app.py
	$(VENV)/bin/ruff format --check intranet tests app.py

# Re-extract the English message ids and merge them into the German catalogue.
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o translations/messages.pot --no-location --sort-output --omit-header --width 100 .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --width 100

# Search timing of the directory at 5,000 people and of the site search at 1,000 and 10,000
# meetings (median and p95 in ms); not part of `make test`.
benchmark: dev-venv
	$(PY) tests/benchmark_directory.py
	$(PY) tests/benchmark_search.py
	$(PY) -m tests.benchmark_pages --years 3 --scale 20

# Each main page under load (wrk, 16 connections) as a ratio to a bare Flask app on waitress,
# on 1 and 10 years of demo data and a stress size; see bench/README.md.
# Quick look: BENCH_SIZES=10y BENCH_SECONDS=2 make bench
bench: system-packages venv
	$(PY) -m bench.run
	$(PY) -m bench.invitations
