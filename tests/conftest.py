"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
INTRANET_DATABASE_URL is set), clients, accounts per role, and a sign-in helper."""

import contextvars
import os
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from intranet import create_app
from intranet.auth import passwords
from intranet.db import db
from tests import factories

PG_URL = os.environ.get("INTRANET_DATABASE_URL", "")
ROOT_DIR = Path(__file__).resolve().parent.parent
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# Where a page carries its CSRF token: hidden inputs and meta tags in any attribute order, and
# the X-CSRFToken header of `hx-headers`.
_TOKEN_TAG = re.compile(r"<(?:input|meta)\b[^>]*\bname=[\"']csrf[-_]token[\"'][^>]*>", re.I)
_TOKEN_VALUE = re.compile(r"\b(?:value|content)=[\"']([^\"']+)[\"']")
_QUOTE = r"(?:[\"']|&#34;|&quot;)"
_TOKEN_HEADER = re.compile(rf"X-CSRFToken{_QUOTE}?\s*:\s*{_QUOTE}([\w.-]+)", re.I)


def reset_postgres(url: str) -> None:
    """Give each test an empty database with the current schema.

    Emptying the tables is much faster than rebuilding the schema; the schema is rebuilt
    from the migrations when a test left it incomplete (or on the first run).
    """
    import psycopg

    from intranet.migrations import DIRECTORY

    expected = sorted(p.stem for p in Path(DIRECTORY).glob("[0-9]*.py"))
    with psycopg.connect(url.replace("postgresql://", "postgres://", 1), autocommit=True) as conn:
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
        if applied == expected:
            data_tables = ", ".join(f'"{t}"' for t in tables if t != "schema_migration")
            conn.execute(f"TRUNCATE {data_tables} RESTART IDENTITY CASCADE")
        else:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")


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


def make_app(tmp_path, **overrides):
    if PG_URL:
        reset_postgres(PG_URL)
    # No role must use a second factor unless a test asks for it (tests/test_second_factor.py):
    # the accounts of the other tests sign in with their password alone.
    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-key",
        "SECOND_FACTOR_ROLES": [],
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()


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
    signed in, so two requests straddling a second differ). `addresses` maps a placeholder to
    an address the page names of itself (the language switch's `next`), e.g. `item="/meetings/4"`.
    """
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
