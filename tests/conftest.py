"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
INTRANET_DATABASE_URL is set), clients, accounts per role, and a sign-in helper."""

import atexit
import contextvars
import copy
import os
import re
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from intranet import create_app, migrations
from intranet.auth import passwords
from intranet.platform.db import close_all_connections, db, open_database
from intranet.platform.files import create_private_file, private_folder
from tests import factories


def _worker_url(url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker: `<name>_gw0`, `<name>_gw1` … next to
    the one given (the given one itself when the tests run in one process).

    Each worker resets its database before every test, so two workers can never share one. The
    app reads INTRANET_DATABASE_URL itself (and so do the servers some tests start as a
    subprocess), so the environment is pointed at the worker's database as well.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path=f"/{name}_{worker}"))


GIVEN_PG_URL = os.environ.get("INTRANET_DATABASE_URL", "")
PG_URL = _worker_url(GIVEN_PG_URL)
if PG_URL:
    os.environ["INTRANET_DATABASE_URL"] = PG_URL


def pytest_configure(config):
    """Every prepared query run by any test is compared with its fresh build (see
    `platform.prepared.Prepared.compare_with_fresh_build`)."""
    from intranet.platform.prepared import Prepared

    Prepared.compare_with_fresh_build = True


def pytest_sessionstart(session):
    """Make this worker's PostgreSQL database if it is not there yet (kept for the next run:
    `reset_postgres` empties it, and migrates it when its schema is behind).

    Commits in the test database do not wait for the disk (`synchronous_commit` off, for this
    database only): a test database need not survive a crash, and waiting for the write-ahead
    log made the PostgreSQL tests a tenth to a fifth slower (tests/test_meetings.py alone: 9.3–9.8
    s against 7.9–8.3 s)."""
    if not PG_URL:
        return
    import psycopg
    from psycopg import sql

    name = urlsplit(PG_URL).path.lstrip("/")
    with psycopg.connect(GIVEN_PG_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit TO off").format(sql.Identifier(name))
        )


ROOT_DIR = Path(__file__).resolve().parent.parent
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# Where a page carries its CSRF token: hidden inputs and meta tags in any attribute order, and
# the X-CSRFToken header of `hx-headers`.
_TOKEN_TAG = re.compile(r"<(?:input|meta)\b[^>]*\bname=[\"']csrf[-_]token[\"'][^>]*>", re.I)
_TOKEN_VALUE = re.compile(r"\b(?:value|content)=[\"']([^\"']+)[\"']")
_QUOTE = r"(?:[\"']|&#34;|&quot;)"
_TOKEN_HEADER = re.compile(rf"X-CSRFToken{_QUOTE}?\s*:\s*{_QUOTE}([\w.-]+)", re.I)
# The seconds left of the session, for the warning before it ends (templates/base.html).
_SESSION_REMAINING = re.compile(r'\bdata-remaining="\d+"')


# What a test session makes once: the template database, the shared app, a connection for resets.
_session: dict = {}


def pytest_addoption(parser):
    parser.addoption(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each selected test N times in a row (to show a test is not flaky)",
    )


def pytest_generate_tests(metafunc):
    count = metafunc.config.getoption("repeat")
    if count > 1:
        metafunc.fixturenames.append("repetition")
        metafunc.parametrize("repetition", range(1, count + 1), ids=lambda n: f"run{n}")


def reset_postgres(url: str) -> bool:
    """Give each test an empty database with the current schema.

    Deleting the rows of the tables that have any, children before parents, and restarting the
    sequences, over one connection kept for the session, is much faster than rebuilding the
    schema, and than TRUNCATE, which makes new files for each of the 39 tables and their indexes.
    Measured on this 2-core machine under load (20 resets, median): TRUNCATE 1.8 s, cloning a
    template database (CREATE DATABASE … TEMPLATE) 0.9 s, these DELETEs 0.07 s (3 ms at best).
    The schema is rebuilt from the migrations when a test left it incomplete (or on the first
    run): then the answer is False, and the migrations are still to be run.
    """
    from intranet.migrations import DIRECTORY

    expected = sorted(p.stem for p in Path(DIRECTORY).glob("[0-9]*.py"))
    conn = _reset_connection(url)
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    ]
    applied = []
    if "schema_migration" in tables:
        applied = sorted(
            row[0] for row in conn.execute("SELECT name FROM schema_migration").fetchall()
        )
    if applied != expected:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        return False
    order = _deletion_order(conn, [t for t in tables if t != "schema_migration"])
    filled = {
        row[0]
        for row in conn.execute(
            " UNION ALL ".join(
                f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")"  # noqa: S608 (our names)
                for t in order
            )
        ).fetchall()
    }
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit TO OFF")  # a test database: no need to wait
        for table in order:
            if table in filled:
                conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 (our names)
        conn.execute(  # the ids start at 1 again, except those of the applied migrations
            "SELECT setval(c.oid, 1, false) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'S' AND n.nspname = 'public'"
            " AND c.oid <> pg_get_serial_sequence('schema_migration', 'id')::regclass"
        )
    return True


def _reset_connection(url: str):
    """One connection for all the resets of a session (each new one costs a handshake)."""
    import psycopg

    conn = _session.get("reset_connection")
    if conn is None or conn.closed:
        conn = psycopg.connect(url.replace("postgresql://", "postgres://", 1), autocommit=True)
        _session["reset_connection"] = conn
    return conn


def _deletion_order(conn, tables: list[str]) -> list[str]:
    """`tables`, each before the tables its foreign keys point to (children first)."""
    referrers = {t: set() for t in tables}
    for child, parent in conn.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
        " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ).fetchall():
        child, parent = child.strip('"'), parent.strip('"')
        if child != parent and parent in referrers:  # a row may point at its own table
            referrers[parent].add(child)
    order, remaining = [], set(tables)
    while remaining:
        free = sorted(t for t in remaining if not referrers[t] & remaining)
        order.extend(free or sorted(remaining))  # a cycle would fail loudly at the DELETE
        remaining -= set(free or remaining)
    return order


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch, request):
    """Cheap Argon2 parameters for speed; tests marked `real_hashing` keep the real ones."""
    if "real_hashing" not in request.keywords:
        monkeypatch.setattr(
            passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )


class IsolatedClient(FlaskClient):
    """Runs each request outside the test's own app context, as a server would.

    Otherwise Flask reuses the test's app context and its `g` (with the cached
    signed-in account) leaks from one request into the next.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


# --- The application and its database ------------------------------------------------------------
#
# Measured on the 2-core machine: create_app on a fresh SQLite file took 0.23-0.25 s, of which
# the migrations were 0.16 s and the app itself (route map, Jinja, Babel, extensions) 0.07 s;
# copying the migrated file (640 KB) takes under 1 ms. So the migrations run once per session
# into a template file that each test gets a copy of, and the tests that leave the app as they
# found it (all but a few) share one app: per test it is pointed at the test's own DATA_DIR and
# database, and afterwards its config and attributes are put back (a shared app also keeps
# Jinja's compiled templates from one test to the next).
# Tests that set the config through `make_app(tmp_path, **overrides)` build their own app (from
# the same template), and so does a test marked `own_app` (one that adds routes, say): the shared
# app has "handled its first request", so Flask refuses any setup method on it.

DEFAULT_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-key",
    # No role must use a second factor unless a test asks for it (tests/test_second_factor.py):
    # the accounts of the other tests sign in with their password alone.
    "SECOND_FACTOR_ROLES": [],
}


def _template() -> Path:
    """A SQLite database migrated once per test session, for each test to copy."""
    if "template" not in _session:
        folder = Path(tempfile.mkdtemp(prefix="intranet-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        create_app({**DEFAULT_CONFIG, "DATA_DIR": str(folder)})  # runs the migrations
        close_all_connections()  # the last connection to close folds the WAL into the file
        _session["template"] = folder / "intranet.db"
    return _session["template"]


def fresh_database(data_dir: Path) -> None:
    """The test's database: a copy of the template on SQLite (unless the test already made one
    in `data_dir`), the emptied database on PostgreSQL."""
    if PG_URL:
        reset_postgres(PG_URL)
        return
    target = private_folder(data_dir) / "intranet.db"
    if create_private_file(target):  # mode 0600, as the app makes it
        shutil.copyfile(_template(), target)


def make_app(tmp_path, **overrides):
    """An app of the test's own, with `overrides` in its config, on a fresh database."""
    data_dir = Path(overrides.get("DATA_DIR", Path(tmp_path) / "data")).resolve()
    if "DATABASE_URL" not in overrides:
        fresh_database(data_dir)
    app = create_app({**DEFAULT_CONFIG, "DATA_DIR": str(data_dir), **overrides})
    app.test_client_class = IsolatedClient
    return app


def _shared_app():
    if "app" not in _session:
        folder = Path(tempfile.mkdtemp(prefix="intranet-shared-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        app = make_app(folder)
        app.jinja_env  # noqa: B018 (made once, with its template cache, for the whole session)
        # As if it had served: Flask then refuses routes or hooks added to it by a test.
        app._got_first_request = True
        _session.update(
            app=app,
            database=db.obj,
            config=copy.deepcopy(dict(app.config)),
            attributes=dict(vars(app)),
            extensions=dict(app.extensions),
        )
    return _session["app"]


def _lend_shared_app(tmp_path):
    """The session's app, pointed at the test's own DATA_DIR and fresh database."""
    app = _shared_app()
    data_dir = (Path(tmp_path) / "data").resolve()
    if PG_URL:
        emptied = reset_postgres(PG_URL)
        url = app.config["DATABASE_URL"]
        if db.obj is not _session["database"]:  # an app of an earlier test took the handle
            _session["database"] = open_database(url)
        if not emptied:  # an earlier test left the schema incomplete
            with app.app_context():
                migrations.upgrade()
    else:
        fresh_database(data_dir)
        url = f"sqlite:///{data_dir / 'intranet.db'}"
        open_database(url)
    app.config.update(DATA_DIR=str(data_dir), DATABASE_URL=url)
    return app


def _restore_shared_app(app) -> None:
    """Undo what a test changed on the shared app: its config, any attribute it set, and what it
    left in `app.extensions` (where the app keeps state per instance, such as when the delivery
    loop last ran its periodic mails)."""
    app.config.clear()
    app.config.update(copy.deepcopy(_session["config"]))
    app.extensions.clear()
    app.extensions.update(_session["extensions"])
    attributes = _session["attributes"]
    for name in set(vars(app)) - set(attributes):
        # Kept: what a cached property (Werkzeug's derive from `property`) stored of itself.
        if not isinstance(getattr(type(app), name, None), (property, cached_property)):
            delattr(app, name)
    for name, value in attributes.items():
        if vars(app).get(name, _MISSING) is not value:
            setattr(app, name, value)


_MISSING = object()


@pytest.fixture
def app(tmp_path, request):
    """The app on the test's own empty database and DATA_DIR; shared unless marked `own_app`."""
    own = request.node.get_closest_marker("own_app") is not None
    app = make_app(tmp_path) if own else _lend_shared_app(tmp_path)
    try:
        with app.app_context():
            db.connect(reuse_if_open=True)
            yield app
            if not db.is_closed():
                db.close()
    finally:
        if not own:
            _restore_shared_app(app)


@pytest.fixture
def shared_app(app):
    """For tests with threads (`factories.race`): the test's own connection is closed, so the
    threads hold the only ones."""
    db.close()
    yield app
    db.connect(reuse_if_open=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    return factories.organization("Kommunale Präventionsstelle", short_name="KPS", kind="authority")


@pytest.fixture
def other_org(app):
    return factories.organization("Kulturverein Beispiel", short_name="KVB")


@pytest.fixture
def admin(app):
    return factories.account("admin", email="admin@example.org", display_name="Ada Admin")


@pytest.fixture
def coordinator(app, org):
    return factories.account("coordinator", org, email="koordination@example.org")


@pytest.fixture
def reviewer(app, org):
    return factories.account("reviewer", org, email="pruefung@example.org")


@pytest.fixture
def member(app, other_org):
    return factories.account("member", other_org, email="mitglied@example.org")


def csrf_token(client, path="/barrierefreiheit") -> str:
    match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def normalise_page(html: str, **addresses: str) -> str:
    """`html` without what differs from one request to the next, for comparing whole pages.

    Every CSRF token found is replaced wherever it occurs (a token carries the second it was
    signed in, so two requests straddling a second differ), and so are the session's seconds
    left. `addresses` maps a placeholder to an address the page names of itself (the language
    switch's `next`), e.g. `item="/meetings/4"`.
    """
    html = _SESSION_REMAINING.sub('data-remaining="SECONDS"', html)
    tokens = {m.group(1) for tag in _TOKEN_TAG.findall(html) for m in _TOKEN_VALUE.finditer(tag)}
    tokens |= set(_TOKEN_HEADER.findall(html))
    for token in sorted(tokens, key=len, reverse=True):
        html = html.replace(token, "CSRF-TOKEN")
    for placeholder, address in addresses.items():
        html = html.replace(address, placeholder.upper())
    return html


def sign_in(client, account_or_email, password=factories.PASSWORD, next=None, address=None):
    email = getattr(account_or_email, "email", account_or_email)
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if next is not None:
        data["next"] = next
    environ = {"REMOTE_ADDR": address} if address else {}
    return client.post("/login", data=data, environ_base=environ)


@pytest.fixture
def signed_in(client):
    """Sign `account` in on the test client and return the client."""

    def _sign_in(account):
        response = sign_in(client, account)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return _sign_in


@pytest.fixture
def count_queries(monkeypatch):
    """`with count_queries() as counted:` … `counted.n` is the number of SQL statements run."""
    from contextlib import contextmanager
    from types import SimpleNamespace

    @contextmanager
    def counting():
        counted = SimpleNamespace(n=0)
        original = db.obj.execute_sql

        def execute_sql(*args, **kwargs):
            counted.n += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(db.obj, "execute_sql", execute_sql)
        try:
            yield counted
        finally:
            monkeypatch.setattr(db.obj, "execute_sql", original)

    return counting


# --- Mail ----------------------------------------------------------------------------------------


@pytest.fixture
def smtp():
    """A local SMTP server on a free port: (controller, factories.Inbox)."""
    from aiosmtpd.controller import Controller

    inbox = factories.Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=factories.free_port(),
        authenticator=factories.check_login,
        auth_require_tls=False,
    )
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mail_app(tmp_path, smtp):
    """An app of the test's own that sends its mail to the `smtp` server."""
    controller, _inbox = smtp
    app = make_app(
        tmp_path,
        MAIL_SERVER=f"127.0.0.1:{controller.port}",
        MAIL_USERNAME="intranet",
        MAIL_PASSWORD="geheimes Wort",
        MAIL_FROM="intranet@example.org",
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()
