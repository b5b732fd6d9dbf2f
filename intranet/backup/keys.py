"""The backup key: the secret that signs a manifest, where it comes from, and the signature
itself (written by a backup, checked by a restore before anything else is believed)."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from intranet.backup.common import (
    KEY_FILE,
    KEY_MIN_LENGTH,
    SIGNATURE_ALGORITHM,
    BackupError,
    data_dir,
)
from intranet.platform.files import stored_secret


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


def adopt_key(key: Key) -> Path | None:
    """After a restore with `--key-file`: keep that key as the data folder's, unless the
    folder has its own or the setting names one, so that this installation's next backups
    are signed with the key the admin already keeps."""
    if current_app.config.get("BACKUP_KEY") or key.source == str(key_path()):
        return None
    _, written = stored_secret(key_path(), key.secret)
    return key_path() if written else None


def signature(key: Key, manifest: bytes) -> bytes:
    return json.dumps(
        {"algorithm": SIGNATURE_ALGORITHM, "key_id": key.id, "hmac": key.sign(manifest)}
    ).encode()


def check_signature(manifest: bytes, signature: bytes | None, key: Key) -> None:
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
