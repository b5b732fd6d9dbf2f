"""The database handle: one proxy, pointed at SQLite or PostgreSQL by the configured URL."""

import datetime as dt

from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def utcnow() -> dt.datetime:
    """Naive UTC: what every DateTimeField stores (shown in Europe/Berlin by the templates)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def open_database(url: str):
    """Make the Peewee database for `url` and point the proxy at it.

    PostgreSQL connections are pooled: opening one costs more than most requests take.
    """
    if url.startswith("sqlite"):
        database = connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        scheme, rest = url.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            url = f"{scheme}+pool://{rest}"
        database = connect(url, max_connections=32, stale_timeout=300, timeout=10)
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()  # a second app in one process (tests) must not leak the old pool
    db.initialize(database)
    return database


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def write_transaction():
    """A transaction for read-then-write work.

    SQLite must take the write lock up front, otherwise two such transactions
    deadlock and one fails with SQLITE_BUSY whatever the timeout.
    """
    return db.atomic("IMMEDIATE") if is_sqlite() else db.atomic()


def init_app(app):
    open_database(app.config["DATABASE_URL"])

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
