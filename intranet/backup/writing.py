"""Writing an archive: the database copy first, then the stored files, the manifest with the
checksums of the bytes written and its signature last."""

import datetime as dt
import hashlib
import json
import os
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from intranet.backup.common import (
    ATTACHMENTS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEMBER_NAME,
    POSTGRES_MEMBER,
    SIGNATURE,
    SQLITE_MEMBER,
    BackupError,
    attachments_dir,
    data_dir,
    database_kind,
)
from intranet.backup.database import pg_dump, sqlite_copy
from intranet.backup.keys import Key, signature, signing_key
from intranet.core import audit
from intranet.platform.files import private_folder


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
                described = sqlite_copy(copy)
                member = SQLITE_MEMBER
            else:
                copy = Path(work) / "intranet.pgdump"
                described = pg_dump(copy)
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
                _add_bytes(archive, SIGNATURE, signature(key, payload))
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


def before_upgrade_path() -> Path:
    folder = private_folder(data_dir() / "backups")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"before-upgrade-{stamp}.tar.gz"
