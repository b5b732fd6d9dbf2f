"""Backups: one archive with a consistent database copy, the attachments and a manifest.

The archive is a gzip-compressed tar file. Tar rather than zip: the names the nightly timers
already write (`….tar.gz`) stay valid, gzip compresses the database and the many small files
as one stream, and every member carries a type that restore checks (regular files only).

    manifest.json                    format, time, schema, database kind, rows, SHA-256 per member
    manifest.sig                     HMAC-SHA256 of manifest.json under the backup key
    database/intranet.sqlite3        SQLite: a copy made with SQLite's online backup API
    database/intranet.pgdump         PostgreSQL: pg_dump in its custom format
    attachments/<xx>/<key>           every stored file

The manifest comes after the data: its checksums are those of the bytes actually written.
Checksums alone prove nothing, since whoever changes a member can rewrite them too; the
signature can only be made with the backup key, which is never in the archive: the setting
INTRANET_BACKUP_KEY, or else <DATA_DIR>/backup_key, generated (mode 0600) by the first backup.
Restore reads the whole archive and checks the signature and every checksum before it writes
anything, and after unpacking it compares the database's schema with the one the migrations
make, so that a trigger, view or function planted in the live database is not carried over by
its (correctly signed) backup either.
The secret key is not in the archive on purpose: second-factor secrets are derived from it,
so that a copy of the database alone yields none (see intranet/auth/second_factor.py).
"""

import datetime as dt
import hashlib
import hmac
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
from intranet.platform.db import close_all_connections, db, is_sqlite
from intranet.platform.files import private_folder, stored_secret

FORMAT = "intranet-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
SIGNATURE_LIMIT = 4096
KEY_FILE = "backup_key"
KEY_MIN_LENGTH = 32
SQLITE_MEMBER = "database/intranet.sqlite3"
POSTGRES_MEMBER = "database/intranet.pgdump"
ATTACHMENTS = "attachments"
# Members restore accepts: the manifest, a database, stored files two folders deep.
MEMBER_NAME = re.compile(
    r"^(manifest\.(json|sig)|database/intranet\.(sqlite3|pgdump)|attachments/[A-Za-z0-9_-]{1,8}/[A-Za-z0-9_-]{1,64})$"
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


# --- The backup key -------------------------------------------------------------------------------


@dataclass
class Key:
    """The secret that signs manifests, and where it came from (for messages)."""

    secret: str
    source: str
    created: bool = False

    @property
    def id(self) -> str:
        """A fingerprint that names the key in messages without revealing it."""
        return hashlib.sha256(b"intranet-backup-key-id\0" + self.secret.encode()).hexdigest()[:16]

    def sign(self, payload: bytes) -> str:
        return hmac.new(self.secret.encode(), payload, hashlib.sha256).hexdigest()


def key_path() -> Path:
    return data_dir() / KEY_FILE


def _key(secret, source: str, created: bool = False) -> Key:
    if not isinstance(secret, str):
        # The setting is read as JSON where it parses: a key of digits alone becomes a number.
        raise BackupError(
            f"Der Sicherungsschlüssel aus {source} ist kein Text (nur Ziffern?); bitte einen "
            "Schlüssel mit Buchstaben wählen, z. B. `openssl rand -hex 32`."
        )
    secret = secret.strip()
    if len(secret) < KEY_MIN_LENGTH:
        raise BackupError(
            f"Der Sicherungsschlüssel aus {source} ist zu kurz "
            f"(mindestens {KEY_MIN_LENGTH} Zeichen, z. B. `openssl rand -hex 32`)."
        )
    return Key(secret, source, created)


def _setting_key() -> Key | None:
    setting = current_app.config.get("BACKUP_KEY")
    return _key(setting, "INTRANET_BACKUP_KEY") if setting else None


def signing_key() -> Key:
    """The key new backups are signed with: the setting, else the data folder's key file,
    made on first use."""
    if setting := _setting_key():
        return setting
    path = key_path()
    secret, created = stored_secret(path)
    return _key(secret, str(path), created)


def read_key_file(path: str | Path) -> Key:
    path = Path(path)
    try:
        return _key(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(f"Der Sicherungsschlüssel {path} ist nicht lesbar ({error}).") from None


def restoring_key(key_file: str | Path | None = None) -> Key:
    """The key a restore checks the signature with: `--key-file`, else the setting, else the
    data folder's key file. Never made here: a new key could only refuse the archive."""
    if key_file is not None:
        return read_key_file(key_file)
    if setting := _setting_key():
        return setting
    path = key_path()
    if not path.exists():
        raise BackupError(
            f"Kein Sicherungsschlüssel: {path} fehlt und INTRANET_BACKUP_KEY ist nicht gesetzt. "
            "Die Signatur einer Sicherung lässt sich nur mit dem Schlüssel der Installation "
            "prüfen, die sie geschrieben hat: deren Datei backup_key angeben, "
            "`flask --app app restore DATEI --key-file PFAD` (README, „Wiederherstellen auf "
            "einem neuen Rechner“)."
        )
    return read_key_file(path)


def _adopt_key(key: Key) -> Path | None:
    """After a restore with `--key-file`: keep that key as the data folder's, unless the
    folder has its own or the setting names one, so that this installation's next backups
    are signed with the key the admin already keeps."""
    if current_app.config.get("BACKUP_KEY") or key.source == str(key_path()):
        return None
    _, written = stored_secret(key_path(), key.secret)
    return key_path() if written else None


@dataclass
class Result:
    path: Path
    manifest: dict
    size: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    key: Key | None = None

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
    key = signing_key()
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
                _add_bytes(archive, SIGNATURE, _signature(key, payload))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result = Result(path, manifest, path.stat().st_size, time.monotonic() - started, warnings, key)
    # The admin's start page shows when the newest of these was written (and where).
    audit.record(
        "backup.created",
        target="",
        detail=json.dumps({"file": str(path), "size": result.size}, ensure_ascii=False),
    )
    return result


def _signature(key: Key, manifest: bytes) -> bytes:
    return json.dumps(
        {"algorithm": SIGNATURE_ALGORITHM, "key_id": key.id, "hmac": key.sign(manifest)}
    ).encode()


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


def verify(file: str | Path, key: Key) -> dict:
    """Read the whole archive without writing anything; return its manifest when every member
    is allowed, the manifest is signed with `key` and every member matches the manifest's
    size and SHA-256, else raise BackupError."""
    file = Path(file)
    found = {}
    small = {
        MANIFEST: (MANIFEST_LIMIT, "Das Manifest"),
        SIGNATURE: (SIGNATURE_LIMIT, "Die Signatur"),
    }
    read = {}
    try:
        with _open(file) as archive:
            for info in archive:
                _check_member(info)
                if info.name in found or info.name in read:
                    raise BackupError(f"Das Archiv enthält {info.name!r} zweimal.")
                if info.name in small:
                    limit, what = small[info.name]
                    if info.size > limit:
                        raise BackupError(f"{what} des Archivs ist unplausibel groß.")
                    read[info.name] = archive.extractfile(info).read()
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
    if MANIFEST not in read:
        raise BackupError(
            "Das Archiv enthält kein manifest.json; es ist keine Sicherung dieses Programms "
            "(oder von einer älteren Version, die noch kein Manifest schrieb)."
        )
    _check_signature(read[MANIFEST], read.get(SIGNATURE), key)
    try:
        manifest = json.loads(read[MANIFEST])
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


def _check_signature(manifest: bytes, signature: bytes | None, key: Key) -> None:
    """Refuse a manifest that `key` did not sign: without it, the checksums prove nothing."""
    if signature is None:
        raise BackupError(
            "Das Manifest des Archivs ist nicht signiert (manifest.sig fehlt): die Sicherung "
            "stammt von einer älteren Version oder wurde verändert. Ohne Signatur lässt sich "
            "nicht feststellen, ob Datenbank und Dateien unverändert sind."
        )
    try:
        claimed = json.loads(signature)
        if claimed["algorithm"] != SIGNATURE_ALGORITHM:
            raise ValueError
        key_id, digest = str(claimed["key_id"]), str(claimed["hmac"])
    except (ValueError, KeyError, TypeError):
        raise BackupError("Die Signatur des Manifests ist unlesbar.") from None
    if hmac.compare_digest(digest, key.sign(manifest)):
        return
    if key_id != key.id:
        raise BackupError(
            f"Das Manifest ist mit einem anderen Sicherungsschlüssel signiert (Schlüssel-ID "
            f"{key_id[:16]!r}; geprüft mit {key.source}, Schlüssel-ID {key.id}). Bitte den "
            "Schlüssel der Installation angeben, die die Sicherung schrieb: --key-file PFAD."
        )
    raise BackupError(
        "Die Signatur des Manifests stimmt nicht: das Manifest wurde nach der Sicherung verändert."
    )


# --- The schema the migrations make ------------------------------------------------------------

# What the comparison names, in German, by kind of object.
LABELS = {
    "table": "Tabelle",
    "shadow table": "Tabelle",
    "column": "Spalte",
    "constraint": "Bedingung",
    "index": "Index",
    "trigger": "Trigger",
    "view": "Sicht",
    "materialized view": "materialisierte Sicht",
    "foreign table": "Fremdtabelle",
    "sequence": "Sequenz",
    "type": "Typ",
    "rule": "Regel",
    "policy": "Zeilenrichtlinie",
    "function": "Funktion",
    "operator": "Operator",
    "collation": "Sortierfolge",
    "text search configuration": "Textsuche-Konfiguration",
    "text search dictionary": "Textsuche-Wörterbuch",
    "schema": "Schema",
    "extension": "Erweiterung",
    "event trigger": "Ereignis-Trigger",
    "publication": "Publikation",
}


def _sqlite_schema(execute) -> dict:
    """Every object in sqlite_master by (kind, name), with its SQL text (blanks folded)."""
    rows = execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'"
    ).fetchall()
    virtual = [
        name
        for kind, name, _, sql in rows
        if kind == "table" and " ".join((sql or "").split()).upper().startswith("CREATE VIRTUAL")
    ]
    schema = {}
    for kind, name, table, sql in rows:
        if kind == "table" and any(name.startswith(f"{v}_") for v in virtual):
            # FTS5 keeps its index in tables it makes itself, worded by the SQLite version.
            schema[("shadow table", name)] = ""
            continue
        schema[(kind, f"{name} ON {table}" if kind == "trigger" else name)] = " ".join(
            (sql or "").split()
        )
    return schema


# Objects in PostgreSQL's catalogues as (kind, name, definition): names quoted so that they can
# be dropped as they are; definitions as PostgreSQL prints them. Without '%' anywhere: the
# queries run through drivers that would read it as a parameter marker.
_PG_PARTS = {
    "own": "n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname !~ '^pg_(toast|temp)'",
    "rel": "quote_ident(n.nspname) || '.' || quote_ident(c.relname)",
    "ns": "JOIN pg_namespace n ON n.oid = c.relnamespace",
}
PG_SCHEMA = (
    "SELECT 'schema', quote_ident(n.nspname), '' FROM pg_namespace n WHERE {own}",
    "SELECT 'extension', quote_ident(extname), extversion FROM pg_extension",
    "SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'"
    " WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'type'"
    " ELSE 'table' END, {rel}, concat_ws(' ', c.relkind::text, c.relpersistence::text,"
    " c.relrowsecurity::text, c.relforcerowsecurity::text,"
    " CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE {own} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')",
    "SELECT 'column', {rel} || '.' || quote_ident(a.attname),"
    " concat_ws(' ', format_type(a.atttypid, a.atttypmod),"
    " CASE WHEN a.attnotnull THEN 'NOT NULL' END, 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),"
    " nullif(a.attidentity::text, ''), nullif(a.attgenerated::text, ''),"
    " 'COLLATE ' || co.collname)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid {ns}"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " LEFT JOIN pg_collation co ON co.oid = a.attcollation"
    " WHERE {own} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')"
    " AND a.attnum > 0 AND NOT a.attisdropped",
    "SELECT 'constraint', quote_ident(x.conname) || ' ON ' || {rel},"
    " pg_get_constraintdef(x.oid) FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid {ns}"
    " WHERE {own}",
    "SELECT 'index', {rel}, pg_get_indexdef(c.oid)"
    " FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid {ns} WHERE {own}",
    "SELECT 'trigger', quote_ident(x.tgname) || ' ON ' || {rel}, pg_get_triggerdef(x.oid)"
    " FROM pg_trigger x JOIN pg_class c ON c.oid = x.tgrelid {ns} WHERE NOT x.tgisinternal",
    "SELECT 'rule', quote_ident(x.rulename) || ' ON ' || {rel}, pg_get_ruledef(x.oid)"
    " FROM pg_rewrite x JOIN pg_class c ON c.oid = x.ev_class {ns} WHERE x.rulename <> '_RETURN'",
    "SELECT 'policy', quote_ident(x.polname) || ' ON ' || {rel},"
    " concat_ws(' ', x.polcmd::text, x.polpermissive::text, pg_get_expr(x.polqual, x.polrelid),"
    " pg_get_expr(x.polwithcheck, x.polrelid))"
    " FROM pg_policy x JOIN pg_class c ON c.oid = x.polrelid {ns}",
    "SELECT 'function', quote_ident(n.nspname) || '.' || quote_ident(x.proname)"
    " || '(' || pg_get_function_identity_arguments(x.oid) || ')',"
    " concat_ws(' ', x.prokind::text, x.prosecdef::text, md5(coalesce(x.prosrc, '')),"
    " x.proconfig::text)"
    " FROM pg_proc x JOIN pg_namespace n ON n.oid = x.pronamespace WHERE {own}",
    "SELECT 'type', quote_ident(n.nspname) || '.' || quote_ident(x.typname), x.typtype::text"
    " FROM pg_type x JOIN pg_namespace n ON n.oid = x.typnamespace"
    " WHERE {own} AND x.typrelid = 0 AND x.typcategory <> 'A'",
    "SELECT 'operator', x.oid::regoperator::text, ''"
    " FROM pg_operator x JOIN pg_namespace n ON n.oid = x.oprnamespace WHERE {own}",
    "SELECT 'collation', quote_ident(n.nspname) || '.' || quote_ident(x.collname), ''"
    " FROM pg_collation x JOIN pg_namespace n ON n.oid = x.collnamespace WHERE {own}",
    "SELECT 'text search configuration', quote_ident(n.nspname) || '.' || quote_ident(x.cfgname),"
    " '' FROM pg_ts_config x JOIN pg_namespace n ON n.oid = x.cfgnamespace WHERE {own}",
    "SELECT 'text search dictionary', quote_ident(n.nspname) || '.' || quote_ident(x.dictname),"
    " '' FROM pg_ts_dict x JOIN pg_namespace n ON n.oid = x.dictnamespace WHERE {own}",
    "SELECT 'event trigger', quote_ident(evtname), evtevent FROM pg_event_trigger",
    "SELECT 'publication', quote_ident(pubname), '' FROM pg_publication",
)
# How to remove each kind of object a refused restore made, dependants first.
_PG_DROP = {
    "event trigger": "DROP EVENT TRIGGER IF EXISTS {}",
    "publication": "DROP PUBLICATION IF EXISTS {}",
    "trigger": "DROP TRIGGER IF EXISTS {}",
    "rule": "DROP RULE IF EXISTS {}",
    "policy": "DROP POLICY IF EXISTS {}",
    "view": "DROP VIEW IF EXISTS {} CASCADE",
    "materialized view": "DROP MATERIALIZED VIEW IF EXISTS {} CASCADE",
    "foreign table": "DROP FOREIGN TABLE IF EXISTS {} CASCADE",
    "table": "DROP TABLE IF EXISTS {} CASCADE",
    "sequence": "DROP SEQUENCE IF EXISTS {} CASCADE",
    "function": "DROP ROUTINE IF EXISTS {} CASCADE",
    "operator": "DROP OPERATOR IF EXISTS {} CASCADE",
    "type": "DROP TYPE IF EXISTS {} CASCADE",
    "collation": "DROP COLLATION IF EXISTS {} CASCADE",
    "text search configuration": "DROP TEXT SEARCH CONFIGURATION IF EXISTS {} CASCADE",
    "text search dictionary": "DROP TEXT SEARCH DICTIONARY IF EXISTS {} CASCADE",
    "schema": "DROP SCHEMA IF EXISTS {} CASCADE",
    "extension": "DROP EXTENSION IF EXISTS {} CASCADE",
}


def _pg_schema(execute) -> dict:
    """Every object of the database outside PostgreSQL's own schemas, by (kind, name)."""
    schema = {}
    for query in PG_SCHEMA:
        text = query.format(**_PG_PARTS)  # noqa: S608 - constant text, no input
        for kind, name, definition in execute(text).fetchall():
            schema[(kind, name)] = definition or ""
    return schema


def _reference_schema(database, applied: list[str], describe) -> dict:
    """What the migrations `applied` make in `database` (empty), described by `describe`."""
    from playhouse.migrations import Runner

    from intranet.migrations import DIRECTORY

    if applied:
        Runner(database, directory=DIRECTORY).up(target=applied[-1])
    return describe(database.execute_sql)


class _Discard(Exception):
    """Rolls back the transaction a reference schema was built in."""


def _pg_reference_schema(applied: list[str]) -> dict:
    """Built in the (emptied) target database itself, in a transaction that is rolled back:
    PostgreSQL's DDL is transactional, and no second database is needed."""
    reference = {}
    with db.connection_context():
        try:
            with db.atomic():
                reference = _reference_schema(db.obj, applied, _pg_schema)
                raise _Discard
        except _Discard:
            pass
    return reference


def _check_schema(manifest: dict, applied: list[str], expected: dict, actual: dict) -> None:
    """Refuse a database whose schema is not exactly the one its migrations make: a planted
    trigger, view, function, rule or a changed column would survive the restore unseen."""
    if sorted(applied) != manifest["database"]["migrations"]:
        raise BackupError("Die Migrationen in der Datenbank weichen vom Manifest ab.")

    def named(key):
        return f"{LABELS.get(key[0], key[0])} {key[1]}"

    def order(keys):  # whole objects first, then their columns, constraints and indexes
        return sorted(keys, key=lambda k: (k[0] in ("column", "constraint", "index"), k))

    differences = [f"unbekannt: {named(k)}" for k in order(set(actual) - set(expected))]
    differences += [f"fehlt: {named(k)}" for k in order(set(expected) - set(actual))]
    differences += [
        f"geändert: {named(k)}"
        for k in order(set(expected) & set(actual))
        if expected[k] != actual[k]
    ]
    if differences:
        shown = "; ".join(differences[:8]) + ("; …" if len(differences) > 8 else "")
        raise BackupError(
            "Das Schema der Datenbank in der Sicherung weicht von dem ab, das die Migrationen "
            f"bis {(applied or ['(keine)'])[-1]} erzeugen: {shown}."
        )


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
        described = _describe(connection, SQLITE_TABLES)
        actual = _sqlite_schema(connection.execute)
    finally:
        connection.close()
    reference = SqliteDatabase(str(database_copy.with_name("reference.sqlite3")))
    with reference.connection_context():
        expected = _reference_schema(reference, described["migrations"], _sqlite_schema)
    _check_schema(manifest, described["migrations"], expected, actual)
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
        before = _pg_schema(connection.execute)
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
    expected = _pg_reference_schema(applied)
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
        env=_pg_env(params),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore ist fehlgeschlagen: {done.stderr.strip()}")
    with _pg_connect(params) as connection:
        described = _describe(connection, PG_TABLES)
        actual = _pg_schema(connection.execute)
    _check_schema(manifest, described["migrations"], expected, actual)
    _check_counts(manifest["database"]["tables"], described["tables"])
    return described["tables"], "pg_restore ohne Fehler"


def _pg_undo(params: dict, before: dict) -> list[str]:
    """After a refused restore: remove every object that was not there before it, then make
    the empty schema a first start makes. Returns what could not be removed."""
    import psycopg

    from intranet import migrations

    close_all_connections()
    left = []
    with _pg_connect(params) as connection:
        connection.autocommit = True
        now = _pg_schema(connection.execute)
        for kind, statement in _PG_DROP.items():
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
    adopted = _adopt_key(key)
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
