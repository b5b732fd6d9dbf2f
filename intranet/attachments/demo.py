"""Demo files: a short PDF on past meetings and on released minutes, so that downloads, labels
on files, backups and the Art. 15 export have something to show. Written directly, like the
rest of the demo data; the services' checks apply to what people upload."""

import hashlib
import os
import secrets

from intranet.attachments.models import Attachment
from intranet.attachments.services import _private_dir, storage_root
from intranet.core import sharing
from intranet.db import utcnow

# Files may not carry TLP:AMBER+STRICT (no downloads), so such items get none.
NO_FILES = sharing.AMBER_STRICT


def tiny_pdf(title: str, line: str) -> bytes:
    """A one-page PDF with two lines of text (Helvetica, WinAnsi): small and valid."""

    def text(value: str) -> str:
        escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return escaped.encode("cp1252", "replace").decode("latin-1")

    content = (
        f"BT /F1 16 Tf 72 770 Td ({text(title)}) Tj ET\n"
        f"BT /F1 11 Tf 72 745 Td ({text(line)}) Tj ET\n"
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


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


def populate(meetings, minutes, uploader) -> list[Attachment]:
    """An agenda PDF on every past, held meeting and an attendance list on released minutes."""
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
    for document in minutes:
        if document.state != "released" or document.label == NO_FILES:
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
