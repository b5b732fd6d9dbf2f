"""What the rest of the package shares: the archive's names, the error an admin reads, the
data folder and the kind of database."""

import re
from pathlib import Path

from flask import current_app

from intranet.platform.db import is_sqlite

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
