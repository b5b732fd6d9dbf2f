"""Restoring: check the whole archive, refuse a target that holds data, unpack, check the
database (integrity, schema, rows) before it replaces the empty one, then move the files in."""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from intranet.backup.common import (
    ATTACHMENTS,
    CHUNK,
    MANIFEST,
    NOT_DATA,
    PG_RESTORE_MISSING,
    POSTGRES_MEMBER,
    SIGNATURE,
    SQLITE_MEMBER,
    BackupError,
    attachments_dir,
    data_dir,
    database_kind,
)
from intranet.backup.database import (
    PG_TABLES,
    SQLITE_TABLES,
    count_rows,
    describe_database,
    pg_connect,
    pg_env,
    pg_params,
)
from intranet.backup.keys import Key, adopt_key, restoring_key
from intranet.backup.reading import check_member, open_archive, read_member, verify
from intranet.backup.schema import (
    PG_DROP,
    check_schema,
    pg_reference_schema,
    pg_schema,
    reference_schema,
    sqlite_schema,
)
from intranet.core import audit
from intranet.platform.db import close_all_connections, db


@dataclass
class Restored:
    manifest: dict
    tables: dict
    files: int
    file_bytes: int
    integrity: str
    pending: list[str]
    warnings: list[str] = field(default_factory=list)
    key: Key | None = None
    adopted_key: Path | None = None


def _known_migrations() -> list[str]:
    from intranet.migrations import DIRECTORY

    return sorted(p.stem for p in Path(DIRECTORY).glob("[0-9]*.py"))


def _live_tables() -> dict:
    """Rows per table of the app's own tables in the configured database. (The full-text
    index's internal tables hold rows even when nothing is indexed.)"""
    own = {m._meta.table_name for m in _models()}
    with db.connection_context():
        counts = {}
        for table in sorted(own & set(db.get_tables())):
            counts[table] = count_rows(db.execute_sql, table)
        return counts


def _refuse_non_empty_target() -> None:
    with_data = [t for t, n in _live_tables().items() if n and t not in NOT_DATA]
    if with_data:
        raise BackupError(
            "Das Ziel ist nicht leer: die Datenbank enthält bereits Daten "
            f"({', '.join(sorted(with_data)[:5])}). Die Wiederherstellung braucht einen leeren "
            "Datenordner und eine leere Datenbank; bitte einen neuen Datenordner "
            "(INTRANET_DATA_DIR) bzw. eine neue Datenbank angeben."
        )
    root = attachments_dir()
    if root.exists() and any(p.is_file() for p in root.rglob("*")):
        raise BackupError(
            f"Das Ziel ist nicht leer: {root} enthält Dateien. Die Wiederherstellung braucht "
            "einen leeren Datenordner."
        )


def _extract(archive: tarfile.TarFile, info: tarfile.TarInfo, target: Path, expected: str):
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        digest = read_member(archive, info, out)
        out.flush()
        os.fsync(out.fileno())
    if digest != expected:  # the file changed since it was checked
        raise BackupError(f"{info.name}: die Prüfsumme stimmt beim Auspacken nicht mehr.")


def _stage(file: Path, manifest: dict, work: Path, staging: Path) -> Path:
    """Unpack into `work` (database) and `staging` (files), checking every checksum again."""
    members = manifest["members"]
    database_copy = work / "database"
    with open_archive(file) as archive:
        for info in archive:
            check_member(info)
            if info.name in (MANIFEST, SIGNATURE):
                continue
            expected = members[info.name]["sha256"]
            if info.name == manifest["database"]["member"]:
                _extract(archive, info, database_copy, expected)
            else:
                _, folder, name = info.name.split("/")
                target = staging / folder
                target.mkdir(mode=0o700, exist_ok=True)
                _extract(archive, info, target / name, expected)
    return database_copy


def _check_counts(expected: dict, actual: dict) -> None:
    differing = {t: (n, actual.get(t)) for t, n in expected.items() if actual.get(t) != n}
    if differing:
        text = ", ".join(f"{t}: {a} statt {e}" for t, (e, a) in sorted(differing.items())[:5])
        raise BackupError(f"Die Zeilenzahlen weichen vom Manifest ab ({text}).")


def _restore_sqlite(database_copy: Path, manifest: dict) -> tuple[dict, str]:
    """Check the unpacked copy, then put it in place of the (empty) database file."""
    from peewee import SqliteDatabase

    connection = sqlite3.connect(database_copy)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(f"Die Datenbank der Sicherung ist beschädigt: {integrity}")
        described = describe_database(connection, SQLITE_TABLES)
        actual = sqlite_schema(connection.execute)
    finally:
        connection.close()
    reference = SqliteDatabase(str(database_copy.with_name("reference.sqlite3")))
    with reference.connection_context():
        expected = reference_schema(reference, described["migrations"], sqlite_schema)
    check_schema(manifest, described["migrations"], expected, actual)
    _check_counts(manifest["database"]["tables"], described["tables"])
    target = Path(db.obj.database)
    close_all_connections()  # a pooled connection would keep reading the replaced file
    fd, placed = tempfile.mkstemp(prefix=".intranet-restore-", dir=target.parent)
    with os.fdopen(fd, "wb") as out, open(database_copy, "rb") as source:
        shutil.copyfileobj(source, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(placed, target)
    return described["tables"], integrity


def _restore_postgres(dump: Path, manifest: dict) -> tuple[dict, str]:
    program = shutil.which("pg_restore")
    if program is None:
        raise BackupError(PG_RESTORE_MISSING)
    params = pg_params()
    known = {m._meta.table_name for m in _models()} | {"schema_migration", "search_document"}
    close_all_connections()
    with pg_connect(params) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        foreign = sorted(set(tables) - known)
        if foreign:
            raise BackupError(
                "Die Datenbank enthält Tabellen, die nicht zu diesem Programm gehören "
                f"({', '.join(foreign[:5])}); bitte eine leere Datenbank angeben."
            )
        # What is left are this program's own tables without data, made by its start just
        # now (or an earlier one): they make way for the archive's schema, which may be older.
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
        connection.commit()
        before = pg_schema(connection.execute)
    try:
        return _pg_restore_checked(program, params, dump, manifest)
    except BaseException:
        left = _pg_undo(params, before)
        if left:
            raise BackupError(
                "Die Wiederherstellung wurde abgebrochen, aber nicht alles ließ sich wieder "
                f"entfernen ({'; '.join(left[:5])}); bitte die Datenbank neu anlegen."
            ) from None
        raise


def _pg_restore_checked(program: str, params: dict, dump: Path, manifest: dict):
    applied = manifest["database"]["migrations"]
    expected = pg_reference_schema(applied)
    close_all_connections()
    done = subprocess.run(
        [
            program,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={params['database']}",
            str(dump),
        ],
        env=pg_env(params),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore ist fehlgeschlagen: {done.stderr.strip()}")
    with pg_connect(params) as connection:
        described = describe_database(connection, PG_TABLES)
        actual = pg_schema(connection.execute)
    check_schema(manifest, described["migrations"], expected, actual)
    _check_counts(manifest["database"]["tables"], described["tables"])
    return described["tables"], "pg_restore ohne Fehler"


def _pg_undo(params: dict, before: dict) -> list[str]:
    """After a refused restore: remove every object that was not there before it, then make
    the empty schema a first start makes. Returns what could not be removed."""
    import psycopg

    from intranet import migrations

    close_all_connections()
    left = []
    with pg_connect(params) as connection:
        connection.autocommit = True
        now = pg_schema(connection.execute)
        for kind, statement in PG_DROP.items():
            for key in sorted(k for k in now if k[0] == kind and k not in before):
                try:
                    connection.execute(statement.format(key[1]))
                except psycopg.Error as error:
                    left.append(f"{key[1]}: {error}")
    migrations.upgrade()
    return left


def _models():
    from intranet.models import MODELS

    return MODELS


def restore(file: str | Path, key_file: str | Path | None = None) -> Restored:
    """Check the archive completely, refuse a target that holds data, then restore."""
    file = Path(file)
    key = restoring_key(key_file)
    manifest = verify(file, key)
    database = manifest["database"]
    kind = database_kind()
    if database["kind"] != kind or database["member"] != (
        SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
    ):
        raise BackupError(
            f"Die Sicherung enthält eine {database['kind']}-Datenbank, eingestellt ist {kind}. "
            "Bitte INTRANET_DATABASE_URL passend setzen."
        )
    unknown = sorted(set(database["migrations"]) - set(_known_migrations()))
    if unknown:
        raise BackupError(
            "Die Sicherung stammt von einer neueren Version dieses Programms "
            f"(unbekannte Migrationen: {', '.join(unknown)}). Bitte zuerst diese Version installieren."
        )
    applied = database["migrations"]
    if applied != sorted(applied) or applied != _known_migrations()[: len(applied)]:
        raise BackupError(
            "Die Migrationen der Sicherung sind lückenhaft oder ungeordnet "
            f"({', '.join(applied)}); so schreibt dieses Programm keine Sicherung."
        )
    if kind != "sqlite" and shutil.which("pg_restore") is None:
        raise BackupError(PG_RESTORE_MISSING)
    _refuse_non_empty_target()
    root = data_dir()
    with tempfile.TemporaryDirectory(prefix=".intranet-restore-", dir=root) as work:
        work = Path(work)
        staging = work / ATTACHMENTS
        staging.mkdir(mode=0o700)
        database_copy = _stage(file, manifest, work, staging)
        if kind == "sqlite":
            tables, integrity = _restore_sqlite(database_copy, manifest)
        else:
            tables, integrity = _restore_postgres(database_copy, manifest)
        # The files last: a database refused above leaves the data folder as it was.
        target = attachments_dir()
        if target.exists():
            shutil.rmtree(target)  # only empty folders (checked above)
        os.replace(staging, target)
        target.chmod(0o700)
    adopted = adopt_key(key)
    files = [n for n in manifest["members"] if n.startswith(f"{ATTACHMENTS}/")]
    warnings = _missing_referenced_files()
    from intranet import migrations

    with db.connection_context():
        pending = migrations.pending()
    audit.record(
        "backup.restored",
        detail=json.dumps(
            {"file": str(file.resolve()), "created_at": manifest["created_at"]},
            ensure_ascii=False,
        ),
    )
    return Restored(
        manifest,
        tables,
        len(files),
        sum(manifest["members"][n]["size"] for n in files),
        integrity,
        pending,
        warnings,
        key,
        adopted,
    )


def _missing_referenced_files() -> list[str]:
    """Attachment rows whose file did not come with the archive (deleted during the backup)."""
    with db.connection_context():
        if "attachment" not in db.get_tables():
            return []
        rows = db.execute_sql("SELECT storage_key FROM attachment").fetchall()
    root = attachments_dir()
    missing = [key for (key,) in rows if not (root / key[:2] / key).is_file()]
    return [f"Datei zum Eintrag {key} fehlt in der Sicherung." for key in missing[:20]]
