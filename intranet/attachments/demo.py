"""Demo files: a short PDF on past meetings and on released minutes, so that downloads, labels
on files, backups and the Art. 15 export have something to show. Written directly, like the
rest of the demo data; the services' checks apply to what people upload."""

import hashlib
import os
import secrets
from html import escape

from intranet.attachments.models import Attachment
from intranet.attachments.services import _private_dir, storage_root
from intranet.core import sharing
from intranet.core.pdf import render_pdf
from intranet.platform.db import utcnow

# Files may not carry TLP:AMBER+STRICT (no downloads), so such items get none.
NO_FILES = sharing.AMBER_STRICT


def tiny_pdf(title: str, line: str) -> bytes:
    """A one-page PDF with a heading and a line, tagged (PDF/UA-1) like every PDF the forum
    makes: demo files are opened with screen readers too."""
    page = (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{escape(title)}'
        '</title><link rel="stylesheet" href="css/print.css"></head>'
        f"<body><main><h1>{escape(title)}</h1><p>{escape(line)}</p></main></body></html>"
    )
    return render_pdf(page)


def _store(owner_kind, owner_id, label, name, file_name, content, uploader) -> Attachment:
    key = secrets.token_hex(16)
    directory = storage_root() / key[:2]
    _private_dir(storage_root())
    _private_dir(directory)
    fd = os.open(directory / key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    return Attachment.create(
        owner_kind=owner_kind,
        owner_id=owner_id,
        label=label,
        name=name,
        file_name=file_name,
        mime_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=key,
        created_by=uploader,
    )


def populate(meetings, released_minutes, uploader) -> list[Attachment]:
    """An agenda PDF on every past, held meeting and an attendance list on each of the released
    minutes (chosen by the caller: the minutes area sits above this one)."""
    now = utcnow()
    made = []
    for meeting in meetings:
        if meeting.cancelled or meeting.start > now or meeting.label == NO_FILES:
            continue
        day = meeting.start.strftime("%Y-%m-%d")
        made.append(
            _store(
                "meeting",
                meeting.id,
                meeting.label,
                "Einladung und Tagesordnung",
                f"{day}-einladung.pdf",
                tiny_pdf(meeting.title, f"Einladung und Tagesordnung, {day}"),
                uploader,
            )
        )
    for document in released_minutes:
        if document.label == NO_FILES:
            continue
        made.append(
            _store(
                "minutes",
                document.id,
                document.label,
                "Anwesenheitsliste",
                "anwesenheitsliste.pdf",
                tiny_pdf("Anwesenheitsliste", f"Protokoll Nr. {document.id}"),
                uploader,
            )
        )
    return made
