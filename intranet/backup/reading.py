"""Reading an archive without writing anything: every member allowed, the manifest signed and
well formed, and every member as large as and with the checksum the manifest says."""

import hashlib
import json
import tarfile
import zlib
from pathlib import Path

from intranet.backup.common import (
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_LIMIT,
    MEMBER_NAME,
    POSTGRES_MEMBER,
    SIGNATURE,
    SIGNATURE_LIMIT,
    SQLITE_MEMBER,
    BackupError,
)
from intranet.backup.keys import Key, check_signature


def check_member(info: tarfile.TarInfo) -> None:
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


def open_archive(file: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(file, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{file} ist kein lesbares Sicherungsarchiv ({error}).") from None


def read_member(archive: tarfile.TarFile, info: tarfile.TarInfo, out=None) -> str:
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
        with open_archive(file) as archive:
            for info in archive:
                check_member(info)
                if info.name in found or info.name in read:
                    raise BackupError(f"Das Archiv enthält {info.name!r} zweimal.")
                if info.name in small:
                    limit, what = small[info.name]
                    if info.size > limit:
                        raise BackupError(f"{what} des Archivs ist unplausibel groß.")
                    read[info.name] = archive.extractfile(info).read()
                    continue
                found[info.name] = {"size": info.size, "sha256": read_member(archive, info)}
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
    check_signature(read[MANIFEST], read.get(SIGNATURE), key)
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
