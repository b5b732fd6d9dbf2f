"""The database handle: one proxy, pointed at SQLite or PostgreSQL by the configured URL."""

import datetime as dt
import hashlib
from contextlib import contextmanager

from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

from intranet.platform import compiled
from intranet.platform.files import create_private_file

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    # Reads go through memory-mapped pages shared by every pooled connection, not through each
    # connection's 2 MB page cache: a search over thousands of minutes visits more pages than
    # that (full-text rows, entries, minutes, meetings), and copying them in again cost a
    # third of its time. The operating system's page cache holds them once for all.
    "mmap_size": 256 * 1024 * 1024,
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

    Connections are pooled: opening one costs more than most requests take (a PostgreSQL
    handshake; on SQLite the file plus four PRAGMAs, half of what /healthz costs). A request
    borrows one on its first query and gives it back at teardown, where the pool rolls back
    anything the request left open, so no state passes from one request to the next.
    """
    scheme, rest = url.split("://", 1)
    if scheme in ("sqlite", "postgres", "postgresql"):
        url = f"{scheme}+pool://{rest}"
    if scheme == "sqlite":
        # A pooled connection serves one thread at a time, but not always the same one.
        database = connect(
            url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, max_connections=32, timeout=10
        )
        if database.database != ":memory:":
            # Made here with mode 0600, since SQLite would apply the umask; its -wal and
            # -shm files take the database file's mode.
            create_private_file(database.database)
    else:
        database = connect(url, max_connections=32, stale_timeout=300, timeout=10)
    close_all_connections()  # a second app in one process (tests) must not leak the old pool
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


def _lock_key(name: str) -> int:
    """A stable signed 64-bit number for `name`, as PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def serialized(*names: str):
    """A write transaction that runs alone among those holding any of the same `names`.

    For "read the last one, then append" and "check the count, then add" work, which a
    plain transaction does not protect on PostgreSQL: two of them read the same state under
    READ COMMITTED and both write. Use it like `write_transaction()`:

        with serialized("audit-chain"):
            last = ...; insert(next_after(last))

    On PostgreSQL each name is a transaction-scoped advisory lock, released at commit or
    rollback (nested inside an outer transaction: at the outer one's end). The locks are
    taken in a fixed order so that two callers with overlapping names cannot deadlock.
    SQLite's BEGIN IMMEDIATE already lets only one writer in at a time.
    """
    with write_transaction() as transaction:
        if not is_sqlite():
            for key in sorted({_lock_key(name) for name in names}):
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        yield transaction


def release_connection() -> None:
    """Give the thread's connection back to the pool, whatever the request left behind.

    An atomic block that never exited (an exception in a streamed body, say) would make
    close() refuse; its transaction is rolled back when the pool takes the connection back.
    """
    database = db.obj
    if database is None or database.is_closed():
        return
    while database.in_transaction():
        database.pop_transaction()
    database.close()


def close_all_connections() -> None:
    """Close every connection, pooled ones too: before the database file is replaced."""
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()
    elif db.obj is not None and not db.is_closed():
        db.close()


def init_app(app):
    open_database(app.config["DATABASE_URL"])
    compiled.install_selection_cache()

    # No before_request connect: Peewee connects on the first query, so requests that make
    # none (static files, redirects) never borrow a connection.
    @app.teardown_appcontext
    def _release(exc):
        release_connection()
