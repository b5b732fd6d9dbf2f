"""Storing, checking and finding attachments; the owning areas register how their items are seen.

A file is accepted only when its extension is on the list *and* its first bytes (and, for
office files, its inner structure) match that type. It is stored under a random name, its
SHA-256 recorded, and it leaves the server only as a download after the access check.
"""

import hashlib
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file

from intranet.attachments.models import Attachment
from intranet.core import audit, sharing
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.core.query_args import parse_key
from intranet.platform.db import write_transaction
from intranet.platform.errors import NotFound
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.web import file_headers
from intranet.privacy.services import labelled_entry

CHUNK = 64 * 1024


class AttachmentError(ValueError):
    """An upload that cannot be accepted; `field` names the form field it belongs to."""

    def __init__(self, message, field="file"):
        super().__init__(message)
        self.field = field


# --- File types ---------------------------------------------------------------------------------


def _is_pdf(head: bytes, _path) -> bool:
    return head.startswith(b"%PDF-")


def _is_png(head: bytes, _path) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(head: bytes, _path) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _zip_with(*required: str, mimetype: bytes | None = None):
    """An office file is a ZIP with known parts; reading the directory extracts nothing."""

    def check(head: bytes, path) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if not set(required) <= names:
                    return False
                if mimetype is not None:
                    info = archive.getinfo("mimetype")
                    return info.file_size < 100 and archive.read(info).strip() == mimetype
                return True
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
            return False

    return check


@dataclass(frozen=True)
class FileType:
    mime_type: str
    matches: Callable[[bytes, object], bool]


FILE_TYPES = {
    "pdf": FileType("application/pdf", _is_pdf),
    "png": FileType("image/png", _is_png),
    "jpg": FileType("image/jpeg", _is_jpeg),
    "jpeg": FileType("image/jpeg", _is_jpeg),
    "odt": FileType(
        "application/vnd.oasis.opendocument.text",
        _zip_with("mimetype", mimetype=b"application/vnd.oasis.opendocument.text"),
    ),
    "docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with("[Content_Types].xml", "word/document.xml"),
    ),
    "xlsx": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with("[Content_Types].xml", "xl/workbook.xml"),
    ),
}
ACCEPTED = ", ".join(sorted({ext.upper() for ext in FILE_TYPES} - {"JPEG"}))


def clean_file_name(raw: str | None) -> str:
    """The last path part of what the browser sent, without control or direction characters,
    leading dots or spaces; at most 200 characters with the extension kept."""
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    stem, dot, ext = " ".join(text.split()).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    ext = ext.strip()[:20]
    stem = stem.strip(". ")[: 200 - len(ext) - 1].rstrip(". ") or "datei"
    return f"{stem}.{ext}" if ext else stem


def extension(file_name: str) -> str:
    return file_name.rpartition(".")[2].lower() if "." in file_name else ""


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_MB"]) * 1024 * 1024


# --- Owners: the areas say who may see their items ----------------------------------------------


@dataclass
class Owner:
    """An item files hang on, as the loading account sees it."""

    kind: str
    id: int
    title: str
    url: str
    audience: sharing.Audience  # the item's, with those of the items above it
    may_edit: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def load_owner(key: str | None, account) -> Owner | None:
    """'meeting:12' → the Owner when the account may see that item, else None. The loaders are
    the areas' (`core.areas`: kind -> loader(item id, account), None when absent or not visible)."""
    loaders = registry().attachment_owners
    parsed = parse_key(key, loaders)
    if parsed is None:
        return None
    kind, owner_id = parsed
    return loaders[kind](owner_id, account)


def audience(attachment: Attachment, owner: Owner) -> sharing.Audience:
    """A file's label can only narrow its item's audience."""
    return owner.audience.narrowed(attachment.label)


def effective_label(attachment: Attachment, owner: Owner) -> str:
    """The strictest label a file is under (its own, its item's and those above): what a list
    shows, so a GREEN file of an AMBER agenda item reads as AMBER."""
    return max(audience(attachment, owner).labels, key=sharing.LABELS.index)


def visible_to(attachment: Attachment, owner: Owner, account) -> bool:
    return audience(attachment, owner).visible_to(account)


def downloadable(attachment: Attachment, owner: Owner) -> bool:
    """The one rule of core.sharing: no AMBER+STRICT on the file or an item above it."""
    return audience(attachment, owner).downloadable


def for_owner(owner: Owner, account) -> list[Attachment]:
    """The files of one item the account may see (one query)."""
    return for_owners([owner], account)[owner.key]


def of_item_and_parts(kind: str, item_id, part_kind: str, part_ids):
    """Every file of one item (a meeting, a set of minutes) and of its parts (agenda items,
    sections; `part_ids` a sub-select), in the order they were added: for a page that numbers
    them or sorts them to its owners (`sort_to_owners`). Takes slots (`platform.prepared`)."""
    return (
        Attachment.select()
        .where(
            ((Attachment.owner_kind == kind) & (Attachment.owner_id == item_id))
            | ((Attachment.owner_kind == part_kind) & Attachment.owner_id.in_(part_ids))
        )
        .order_by(Attachment.created_at, Attachment.id)
    )


def for_owners(owners: list[Owner], account) -> dict[str, list[Attachment]]:
    """The visible files of several items of one page, by owner key (one query)."""
    if not owners:
        return {}
    clause = None
    for kind in {owner.kind for owner in owners}:
        ids = [owner.id for owner in owners if owner.kind == kind]
        part = (Attachment.owner_kind == kind) & Attachment.owner_id.in_(ids)
        clause = part if clause is None else clause | part
    query = Attachment.select().where(clause).order_by(Attachment.created_at, Attachment.id)
    return sort_to_owners(owners, query, account)


def sort_to_owners(owners: list[Owner], attachments, account) -> dict[str, list[Attachment]]:
    """The files among `attachments` that belong to one of `owners` and that `account` may
    see, by owner key, in the order given."""
    by_key = {owner.key: owner for owner in owners}
    found = {key: [] for key in by_key}
    for attachment in attachments:
        owner = by_key.get(f"{attachment.owner_kind}:{attachment.owner_id}")
        if owner is not None and visible_to(attachment, owner, account):
            found[owner.key].append(attachment)
    return found


def get_attachment_or_404(attachment_id: int, for_edit: bool = False, *, account):
    """The attachment and its owner, after the owner's and the file's access check."""
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    if attachment is None:
        raise NotFound
    owner = load_owner(f"{attachment.owner_kind}:{attachment.owner_id}", account)
    if owner is None or not visible_to(attachment, owner, account):
        audit.record_refused("attachment", attachment_id, account)
        raise NotFound
    if for_edit and not owner.may_edit:
        raise NotFound
    return attachment, owner


# --- Storing ------------------------------------------------------------------------------------


def storage_root() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "attachments"


def stored_path(attachment: Attachment) -> Path:
    key = attachment.storage_key
    return storage_root() / key[:2] / key


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def add(owner: Owner, stream, raw_file_name: str, name: str, label: str, actor) -> Attachment:
    """Check and store an uploaded file for `owner`; raises AttachmentError with a German text."""
    if not owner.may_edit:
        raise NotFound
    if label not in sharing.LABELS:
        raise AttachmentError(_l("Please choose a sharing label."), "label")
    if sharing.AMBER_STRICT in (label, *owner.audience.labels):
        raise AttachmentError(
            _l(
                "TLP:AMBER+STRICT allows no downloads, so files cannot be shared under it. Choose TLP:AMBER or TLP:RED."
            ),
            "label",
        )
    file_name = clean_file_name(raw_file_name)
    file_type = FILE_TYPES.get(extension(file_name))
    if file_type is None:
        raise AttachmentError(_l("Only these file types are accepted: %(types)s.", types=ACCEPTED))
    limit = max_bytes()
    key = secrets.token_hex(16)
    directory = storage_root() / key[:2]
    _private_dir(storage_root())
    _private_dir(directory)
    partial = directory / f".{key}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise AttachmentError(
                        _l(
                            "The file is larger than %(mb)s MB.",
                            mb=current_app.config["ATTACHMENT_MAX_MB"],
                        )
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise AttachmentError(_l("The file is empty."))
        if not file_type.matches(head, partial):
            raise AttachmentError(
                _l(
                    "The content of the file does not match its type (.%(ext)s). Please upload the original file.",
                    ext=extension(file_name),
                )
            )
        final = directory / key
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    try:
        with write_transaction():
            attachment = Attachment.create(
                owner_kind=owner.kind,
                owner_id=owner.id,
                label=label,
                name=(name or "").strip() or file_name,
                file_name=file_name,
                mime_type=file_type.mime_type,
                size=size,
                sha256=digest.hexdigest(),
                storage_key=key,
                created_by=actor.id,
            )
            audit.record(
                "attachment.added",
                target=ref("attachment", attachment.id),
                detail=owner.key,
                actor=actor,
            )
    except Exception:
        final.unlink(missing_ok=True)
        raise
    return attachment


def delete(attachment: Attachment, actor) -> None:
    path = stored_path(attachment)
    with write_transaction():
        attachment.delete_instance()
        audit.record(
            "attachment.deleted",
            target=ref("attachment", attachment.id),
            detail=f"{attachment.owner_kind}:{attachment.owner_id}",
            actor=actor,
        )
    # The file goes once its record is gone for good.
    path.unlink(missing_ok=True)


def delete_for_owner(kind: str, owner_id: int) -> None:
    """When an item goes, its files go with it (called by the owning area)."""
    for attachment in Attachment.select().where(
        (Attachment.owner_kind == kind) & (Attachment.owner_id == owner_id)
    ):
        stored_path(attachment).unlink(missing_ok=True)
        attachment.delete_instance()


def download_response(attachment: Attachment, owner: Owner, account):
    """Always a download: RFC 6266 file name, no sniffing, no active content even if opened."""
    if not downloadable(attachment, owner):
        raise NotFound
    path = stored_path(attachment)
    if not path.is_file():
        raise NotFound
    if not set(audience(attachment, owner).labels) <= set(sharing.FORUM_LABELS):
        # Who read what restricted file must be answerable later.
        audit.record(
            "attachment.downloaded",
            target=ref("attachment", attachment.id),
            detail=owner.key,
            actor=account,
        )
    response = send_file(
        path,
        mimetype=attachment.mime_type,
        as_attachment=True,
        download_name=attachment.file_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    return file_headers(response)


def forget_uploader(account, **_ignored):
    Attachment.update(created_by=None).where(Attachment.created_by == account.id).execute()


def export_uploads(person, account=None, viewer=None, **_ignored):
    """The files the person's account uploaded. A file's name appears only when `viewer` (the
    exporting admin) may see the file by the rule of its item and its own label, and neither
    is TLP:RED; otherwise number, date and label only."""
    if account is None:
        return {}
    owners = {}  # one access check per item, however many files hang on it

    def shown(attachment) -> bool:
        if viewer is None:
            return False
        key = f"{attachment.owner_kind}:{attachment.owner_id}"
        if key not in owners:
            owners[key] = load_owner(key, viewer)
        owner = owners[key]
        return (
            owner is not None
            and visible_to(attachment, owner, viewer)
            and all(sharing.in_feeds(label) for label in audience(attachment, owner).labels)
        )

    uploads = (
        Attachment.select()
        .where(Attachment.created_by == account.id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return {
        "attachments_uploaded": [
            labelled_entry(
                shown(a),
                {
                    "attachment_id": a.id,
                    "uploaded_at_utc": a.created_at.isoformat(),
                    "label": sharing.LABEL_NAMES.get(a.label, a.label),
                },
                {"name": a.name},
            )
            for a in uploads
        ]
    }
