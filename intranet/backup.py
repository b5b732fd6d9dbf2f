"""Backups: one archive with a consistent database copy, the attachments and a manifest.

The archive is a gzip-compressed tar file. Tar rather than zip: the names the nightly timers
already write (`….tar.gz`) stay valid, gzip compresses the database and the many small files
as one stream, and every member carries a type that restore checks (regular files only).

    manifest.json                    format, time, schema, database kind, rows, SHA-256 per member
    database/intranet.sqlite3        SQLite: a copy made with SQLite's online backup API
    database/intranet.pgdump         PostgreSQL: pg_dump in its custom format
    attachments/<xx>/<key>           every stored file

The manifest is the last member: its checksums are those of the bytes actually written.
Restore reads the whole archive and checks every checksum before it writes anything.
The secret key is not in the archive on purpose: second-factor secrets are derived from it,
so that a copy of the database alone yields none (see intranet/auth/second_factor.py).
"""

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from playhouse.db_url import parse as parse_url

from intranet.core import audit
from intranet.core.files import private_folder
from intranet.db import close_all_connections, db, is_sqlite

FORMAT = "intranet-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/intranet.sqlite3"
POSTGRES_MEMBER = "database/intranet.pgdump"
ATTACHMENTS = "attachments"
# Members restore accepts: the manifest, a database, stored files two folders deep.
MEMBER_NAME = re.compile(
    r"^(manifest\.json|database/intranet\.(sqlite3|pgdump)|attachments/[A-Za-z0-9_-]{1,8}/[A-Za-z0-9_-]{1,64})$"
)
MANIFEST_LIMIT = 64 * 1024 * 1024
# Tables that say nothing about whether a database is in use: the schema's own history and
# the one-time set-up address a first server start leaves behind.
NOT_DATA = {"schema_migration", "setup_token"}
# Shown after a restore, in this order.
MAIN_TABLES = {
    "organization": "Organisationen",
    "account": "Konten",
    "person": "Kontakte",
    "meeting": "Termine",
    "agenda_item": "Tagesordnungspunkte",
    "minutes": "Protokolle",
    "attachment": "Dateien (Einträge)",
    "audit_event": "Audit-Einträge",
}
CHUNK = 1024 * 1024
PG_DUMP_MISSING = (
    "pg_dump wurde nicht gefunden / pg_dump not found. Bitte die PostgreSQL-Client-Programme "
    "in der Version des Servers installieren, z. B. `apt-get install postgresql-client` "
    "(Debian/Ubuntu), und erneut versuchen."
)
PG_RESTORE_MISSING = (
    "pg_restore wurde nicht gefunden / pg_restore not found. Bitte die PostgreSQL-Client-Programme "
    "installieren, z. B. `apt-get install postgresql-client` (Debian/Ubuntu)."
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the admin, in German."""


@dataclass
class Result:
    path: Path
    manifest: dict
    size: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.manifest["database"]["tables"].values())

    @property
    def files(self) -> list[str]:
        return [name for name in self.manifest["members"] if name.startswith(f"{ATTACHMENTS}/")]

    @property
    def file_bytes(self) -> int:
        return sum(self.manifest["members"][name]["size"] for name in self.files)


def human_size(size: int) -> str:
    for unit in ("Bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            text = f"{size:.1f}" if unit != "Bytes" else str(size)
            return f"{text.replace('.', ',')} {unit}"
        size /= 1024
    return str(size)


def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def attachments_dir() -> Path:
    return data_dir() / ATTACHMENTS


def database_kind() -> str:
    return "sqlite" if is_sqlite() else "postgresql"


# --- Writing ------------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile while hashing what passes through."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def _add_file(archive: tarfile.TarFile, path: Path, name: str, members: dict) -> bool:
    """Add one regular file; False when it vanished in the meantime (deleted by the server)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False
    with handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o600
        reader = _HashingReader(handle)
        archive.addfile(info, reader)
    members[name] = {"size": stat.st_size, "sha256": reader.digest.hexdigest()}
    return True


def _add_bytes(archive: tarfile.TarFile, name: str, payload: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(time.time())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(payload))


def _stored_files() -> list[Path]:
    root = attachments_dir()
    if not root.is_dir():
        return []
    # `.…part` files are uploads still being written; they are not attachments yet. A link
    # is never followed: it could point anywhere on the machine.
    return sorted(
        path
        for path in root.glob("*/*")
        if path.is_file() and not path.is_symlink() and not path.name.startswith(".")
    )


def _sqlite_copy(target: Path) -> dict:
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
        return _describe(copy, SQLITE_TABLES)
    finally:
        copy.close()
        source.close()


def _count(execute, table: str) -> int:
    # Table names come from the database's own catalogue, quoted as identifiers.
    quoted = '"' + table.replace('"', '""') + '"'
    return execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608


SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
)
PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"


def _describe(connection, tables_sql: str) -> dict:
    """Rows per table, applied migrations and stored file keys of one database."""
    tables = [row[0] for row in connection.execute(tables_sql)]
    counts = {t: _count(connection.execute, t) for t in tables}
    schema = []
    if "schema_migration" in tables:
        schema = [r[0] for r in connection.execute("SELECT name FROM schema_migration")]
    stored = []
    if "attachment" in tables:
        stored = [r[0] for r in connection.execute("SELECT storage_key FROM attachment")]
    return {"tables": counts, "migrations": sorted(schema), "stored": stored}


def _pg_params() -> dict:
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


def _pg_env(params: dict) -> dict:
    env = dict(os.environ)
    for key, name in _LIBPQ_ENV.items():
        if params.get(key) not in (None, ""):
            env[name] = str(params[key])
    return env


def _pg_connect(params: dict):
    import psycopg

    options = {k: v for k, v in params.items() if k in _LIBPQ_ENV and v not in (None, "")}
    options["dbname"] = options.pop("database")
    return psycopg.connect(**options)


def _pg_dump(target: Path) -> dict:
    """pg_dump into `target` and describe exactly the state it dumped.

    The counts are read in a transaction whose snapshot pg_dump is told to use, so the
    manifest's numbers are those of the dump, however much the server writes meanwhile.
    """
    import psycopg

    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(PG_DUMP_MISSING)
    params = _pg_params()
    with _pg_connect(params) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        described = _describe(connection, PG_TABLES)
        done = subprocess.run(
            [
                program,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=_pg_env(params),
            capture_output=True,
            text=True,
        )
        connection.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump ist fehlgeschlagen: {done.stderr.strip()}")
    return described


def create(file: str | Path) -> Result:
    """Write the archive to `file`: first under a temporary name beside it, renamed at the end,
    so that a failed backup never leaves half an archive under the final name."""
    started = time.monotonic()
    path = Path(file).resolve()
    if path.is_dir():
        raise BackupError(f"{path} ist ein Ordner; bitte einen Dateinamen angeben.")
    if not path.parent.is_dir():
        raise BackupError(f"Den Ordner {path.parent} gibt es nicht.")
    kind = database_kind()
    # mkstemp makes the file with mode 0600: the archive holds everyone's data.
    fd, partial_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    partial = Path(partial_name)
    warnings = []
    try:
        with (
            os.fdopen(fd, "wb") as handle,
            tempfile.TemporaryDirectory(prefix=".intranet-backup-", dir=path.parent) as work,
        ):
            members = {}
            taken_at = dt.datetime.now(dt.UTC)
            # The database first, then the files: stored files never change once written
            # (random names), so every file the copy refers to is still there, unless it was
            # deleted in between, which the summary reports.
            if kind == "sqlite":
                copy = Path(work) / "intranet.sqlite3"
                described = _sqlite_copy(copy)
                member = SQLITE_MEMBER
            else:
                copy = Path(work) / "intranet.pgdump"
                described = _pg_dump(copy)
                member = POSTGRES_MEMBER
            with tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6) as archive:
                _add_file(archive, copy, member, members)
                for stored in _stored_files():
                    name = stored.relative_to(data_dir()).as_posix()
                    if not MEMBER_NAME.match(name):  # restore would refuse the whole archive
                        warnings.append(f"{name} übersprungen: kein Name, den die App vergibt.")
                        continue
                    _add_file(archive, stored, name, members)
                missing = [
                    key
                    for key in described["stored"]
                    if f"{ATTACHMENTS}/{key[:2]}/{key}" not in members
                ]
                if missing:
                    warnings.append(
                        "Einträge ohne Datei in der Sicherung (während der Sicherung gelöscht?): "
                        + ", ".join(missing[:5])
                    )
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "database": {
                        "kind": kind,
                        "member": member,
                        "schema_version": (described["migrations"] or [""])[-1],
                        "migrations": described["migrations"],
                        "tables": described["tables"],
                    },
                    "members": members,
                }
                payload = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                _add_bytes(archive, MANIFEST, payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result = Result(path, manifest, path.stat().st_size, time.monotonic() - started, warnings)
    # The admin's start page shows when the newest of these was written (and where).
    audit.record(
        "backup.created",
        target="",
        detail=json.dumps({"file": str(path), "size": result.size}, ensure_ascii=False),
    )
    return result


def before_upgrade_path() -> Path:
    folder = private_folder(data_dir() / "backups")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"before-upgrade-{stamp}.tar.gz"


# --- Reading and checking -------------------------------------------------------------------------


def _check_member(info: tarfile.TarInfo) -> None:
    name = info.name
    if not info.isreg():
        kind = (
            "ein symbolischer Link"
            if info.issym()
            else "ein harter Link"
            if info.islnk()
            else "eine Gerätedatei"
            if info.isdev()
            else "ein Ordner"
            if info.isdir()
            else "keine gewöhnliche Datei"
        )
        raise BackupError(f"Das Archiv enthält {kind} ({name!r}); es wird nicht verwendet.")
    if name.startswith("/") or ".." in name.split("/") or not MEMBER_NAME.match(name):
        raise BackupError(
            f"Das Archiv enthält einen unzulässigen Pfad ({name!r}); es wird nicht verwendet."
        )


def _open(file: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(file, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{file} ist kein lesbares Sicherungsarchiv ({error}).") from None


def _read_member(archive: tarfile.TarFile, info: tarfile.TarInfo, out=None) -> str:
    """Stream one member (into `out` if given) and return its SHA-256."""
    digest = hashlib.sha256()
    source = archive.extractfile(info)
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest()


def verify(file: str | Path) -> dict:
    """Read the whole archive without writing anything; return its manifest when every member
    is allowed and matches the manifest's size and SHA-256, else raise BackupError."""
    file = Path(file)
    found = {}
    manifest_bytes = None
    try:
        with _open(file) as archive:
            for info in archive:
                _check_member(info)
                if info.name in found or (info.name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"Das Archiv enthält {info.name!r} zweimal.")
                if info.name == MANIFEST:
                    if info.size > MANIFEST_LIMIT:
                        raise BackupError("Das Manifest des Archivs ist unplausibel groß.")
                    manifest_bytes = archive.extractfile(info).read()
                    continue
                found[info.name] = {"size": info.size, "sha256": _read_member(archive, info)}
            # Read to the end of the compressed stream, where gzip keeps its CRC: a changed
            # byte in the padding after the last member is found as well.
            while archive.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(
            f"Das Archiv ist beschädigt oder unvollständig ({error}); es wurde nichts geschrieben."
        ) from None
    if manifest_bytes is None:
        raise BackupError(
            "Das Archiv enthält kein manifest.json; es ist keine Sicherung dieses Programms "
            "(oder von einer älteren Version, die noch kein Manifest schrieb)."
        )
    try:
        manifest = json.loads(manifest_bytes)
        members = manifest["members"]
        database = manifest["database"]
        if manifest["format"] != FORMAT or not isinstance(members, dict):
            raise ValueError
        tables = database["tables"]
        migrations = database["migrations"]
        if not isinstance(tables, dict) or not isinstance(migrations, list):
            raise ValueError
        if not all(isinstance(n, int) for n in tables.values()):
            raise ValueError
        for key in ("kind", "schema_version"):
            if not isinstance(database[key], str):
                raise ValueError
        if not isinstance(manifest["created_at"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BackupError("Das Manifest des Archivs ist unlesbar oder unvollständig.") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Das Archiv hat das Format {manifest.get('format_version')!r}; "
            f"diese Version liest Format {FORMAT_VERSION}."
        )
    if database.get("member") not in (SQLITE_MEMBER, POSTGRES_MEMBER):
        raise BackupError("Das Manifest nennt keine Datenbank.")
    listed, present = set(members), set(found)
    if listed - present:
        raise BackupError(
            f"Im Archiv fehlt, was das Manifest nennt: {sorted(listed - present)[:5]}"
        )
    if present - listed:
        raise BackupError(f"Das Archiv enthält Ungenanntes: {sorted(present - listed)[:5]}")
    if database["member"] not in present:
        raise BackupError("Im Archiv fehlt die Datenbank.")
    for name, actual in found.items():
        expected = members[name]
        if not isinstance(expected, dict) or expected.get("size") != actual["size"]:
            raise BackupError(f"{name}: die Größe stimmt nicht mit dem Manifest überein.")
        if expected.get("sha256") != actual["sha256"]:
            raise BackupError(
                f"{name}: die Prüfsumme (SHA-256) stimmt nicht mit dem Manifest überein; "
                "das Archiv ist verändert oder beschädigt."
            )
    return manifest


# --- Restoring ----------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict
    tables: dict
    files: int
    file_bytes: int
    integrity: str
    pending: list[str]
    warnings: list[str] = field(default_factory=list)


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
            counts[table] = _count(db.execute_sql, table)
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
        digest = _read_member(archive, info, out)
        out.flush()
        os.fsync(out.fileno())
    if digest != expected:  # the file changed since it was checked
        raise BackupError(f"{info.name}: die Prüfsumme stimmt beim Auspacken nicht mehr.")


def _stage(file: Path, manifest: dict, work: Path, staging: Path) -> Path:
    """Unpack into `work` (database) and `staging` (files), checking every checksum again."""
    members = manifest["members"]
    database_copy = work / "database"
    with _open(file) as archive:
        for info in archive:
            _check_member(info)
            if info.name == MANIFEST:
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
    connection = sqlite3.connect(database_copy)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(f"Die Datenbank der Sicherung ist beschädigt: {integrity}")
        described = _describe(connection, SQLITE_TABLES)
    finally:
        connection.close()
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
    params = _pg_params()
    known = {m._meta.table_name for m in _models()} | {"schema_migration", "search_document"}
    close_all_connections()
    with _pg_connect(params) as connection:
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
        env=_pg_env(params),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore ist fehlgeschlagen: {done.stderr.strip()}")
    with _pg_connect(params) as connection:
        described = _describe(connection, PG_TABLES)
    _check_counts(manifest["database"]["tables"], described["tables"])
    return described["tables"], "pg_restore ohne Fehler"


def _models():
    from intranet.models import MODELS

    return MODELS


def restore(file: str | Path) -> Restored:
    """Check the archive completely, refuse a target that holds data, then restore."""
    file = Path(file)
    manifest = verify(file)
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
