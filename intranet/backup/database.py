"""The live database as a backup takes it: a consistent copy (SQLite's online backup API or
pg_dump on one snapshot), described by its rows per table, migrations and stored files; and
how pg_dump and pg_restore connect."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from playhouse.db_url import parse as parse_url

from intranet.backup.common import PG_DUMP_MISSING, BackupError
from intranet.platform.db import db


def sqlite_copy(target: Path) -> dict:
    """Copy the live database with SQLite's online backup API and describe the copy.

    One backup step copies every page inside one read transaction: the copy is the state of
    one moment while the server goes on writing (WAL lets writers continue meanwhile).
    """
    source = sqlite3.connect(db.obj.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # A self-contained file without -wal/-shm companions; the app sets WAL again on use.
        copy.execute("PRAGMA journal_mode=DELETE")
        return describe_database(copy, SQLITE_TABLES)
    finally:
        copy.close()
        source.close()


def count_rows(execute, table: str) -> int:
    # Table names come from the database's own catalogue, quoted as identifiers.
    quoted = '"' + table.replace('"', '""') + '"'
    return execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608


SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
)
PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"


def describe_database(connection, tables_sql: str) -> dict:
    """Rows per table, applied migrations and stored file keys of one database."""
    tables = [row[0] for row in connection.execute(tables_sql)]
    counts = {t: count_rows(connection.execute, t) for t in tables}
    schema = []
    if "schema_migration" in tables:
        schema = [r[0] for r in connection.execute("SELECT name FROM schema_migration")]
    stored = []
    if "attachment" in tables:
        stored = [r[0] for r in connection.execute("SELECT storage_key FROM attachment")]
    return {"tables": counts, "migrations": sorted(schema), "stored": stored}


def pg_params() -> dict:
    return parse_url(current_app.config["DATABASE_URL"])


# Connection settings pg_dump and pg_restore take from the environment: the password never
# appears on a command line, where every user of the machine could read it.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "database": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def pg_env(params: dict) -> dict:
    env = dict(os.environ)
    for key, name in _LIBPQ_ENV.items():
        if params.get(key) not in (None, ""):
            env[name] = str(params[key])
    return env


def pg_connect(params: dict):
    import psycopg

    options = {k: v for k, v in params.items() if k in _LIBPQ_ENV and v not in (None, "")}
    options["dbname"] = options.pop("database")
    return psycopg.connect(**options)


def pg_dump(target: Path) -> dict:
    """pg_dump into `target` and describe exactly the state it dumped.

    The counts are read in a transaction whose snapshot pg_dump is told to use, so the
    manifest's numbers are those of the dump, however much the server writes meanwhile.
    """
    import psycopg

    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(PG_DUMP_MISSING)
    params = pg_params()
    with pg_connect(params) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        described = describe_database(connection, PG_TABLES)
        done = subprocess.run(
            [
                program,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=pg_env(params),
            capture_output=True,
            text=True,
        )
        connection.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump ist fehlgeschlagen: {done.stderr.strip()}")
    return described
