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

The modules: `keys` (the backup key, the signature), `database` (the live copy), `writing`
(`create`), `reading` (`verify`), `schema` (the comparison with the migrations) and
`restoring` (`restore`); `common` holds the archive's names and `BackupError`.
"""

from intranet.backup.common import FORMAT_VERSION, MAIN_TABLES, BackupError, human_size
from intranet.backup.keys import Key
from intranet.backup.reading import verify
from intranet.backup.restoring import Restored, restore
from intranet.backup.writing import Result, before_upgrade_path, create

__all__ = [
    "FORMAT_VERSION",
    "MAIN_TABLES",
    "BackupError",
    "Key",
    "Restored",
    "Result",
    "before_upgrade_path",
    "create",
    "human_size",
    "restore",
    "verify",
]
