"""Files and folders that hold personal data: made readable by the service's own user only."""

import os
import secrets
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


# Modes are set explicitly after creation rather than through os.umask, which is
# process-wide and would race with the server's other threads.


def private_folder(path: str | Path) -> Path:
    """Make the folder (with missing parents); a folder made here is 0700 whatever the umask.

    An existing folder is left as the administrator set it up.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        return path
    path.chmod(PRIVATE_FOLDER)
    return path


def create_private_file(path: str | Path) -> bool:
    """Make an empty file with mode 0600 unless it exists; True when it was made here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.fchmod(fd, PRIVATE_FILE)  # the umask may have taken bits away, never added any
    os.close(fd)
    return True


def open_private(path: str | Path, mode: str = "wb", **kwargs):
    """Open `path` for writing from the start; the file is 0600 even if it existed before."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, mode, **kwargs)


def stored_secret(path: str | Path, value: str | None = None) -> tuple[str, bool]:
    """The secret kept in the file at `path`; if there is none yet, `value` (or a new random
    one) is written there with mode 0600. Returns the secret and whether it was written here."""
    path = Path(path)
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        pass
    value = value or secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:  # another process made it first
        return path.read_text().strip(), False
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value, True
