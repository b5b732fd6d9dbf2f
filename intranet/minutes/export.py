"""Released minutes leave the intranet only here: as a print view and as a tagged PDF.

What an export holds is decided once, for both forms: the sections the reader may see, minus
those labelled AMBER+STRICT or RED (which never leave the intranet); under the Chatham House
Rule no name the system records about people (authors, who took which step, attendance names).
"""

from dataclasses import dataclass, replace

from flask import render_template

from intranet.attachments import services as attachments
from intranet.core import audit, sharing
from intranet.core.ids import ref
from intranet.core.pdf import render_pdf
from intranet.meetings import attendance as meetings_attendance
from intranet.minutes import access, comments, files, numbering, signoff
from intranet.minutes.models import RELEASED, Minutes
from intranet.platform.db import utcnow
from intranet.platform.errors import NotFound


@dataclass
class Export:
    context: access.MinutesContext
    sections: list
    withheld: int  # visible sections that stay in the intranet
    attendance: dict
    names_shown: bool
    reader: object
    made_at: object
    decision_numbers: dict
    citation: str
    release_note: object
    files: list  # (number, attachment) the reader may download
    original: object  # for a correction: the original as (minutes, citation)
    label: str  # the strictest label of the meeting, the minutes and every exported section
    corrections: list  # released corrections of these minutes the reader may see


def prepare(context, account) -> Export:
    """The content of an export for `account`; NotFound where the rules allow none."""
    if not context.may(account, "export"):
        raise NotFound
    visible = access.sections(context, account)
    sections = [s for s in visible if context.section_audience(s).leaves_intranet]
    return Export(
        context=context,
        sections=sections,
        withheld=len(visible) - len(sections),
        attendance=meetings_attendance.attendance(context.meeting),
        names_shown=not context.minutes.chatham_house,
        reader=account,
        made_at=utcnow(),
        decision_numbers=numbering.decision_numbers(context.minutes),
        citation=numbering.citation(context.minutes),
        release_note=leaving_release_note(context, account),
        label=max(
            [*context.audience.labels, *(s.label for s in sections)], key=sharing.LABELS.index
        ),
        files=_files(context, sections, account),
        original=_original(context, account),
        corrections=[
            m
            for m in access.current_for_meeting(context.meeting.id, account)
            if m.corrects_id == context.minutes.id and m.state == RELEASED
        ],
    )


def leaving_release_note(context, account):
    """The Freigabevermerk as it may leave the intranet, for the print view, the PDF and OParl:
    objections only where the section they are about may leave it too (the section itself is
    not exported, and an objection quotes it), and under the Chatham House Rule without the
    names of who reviewed and who released."""
    note = signoff.release_note(context, account)
    if note is None:
        return None
    names_shown = not context.minutes.chatham_house
    return replace(
        note,
        reviewed_by=note.reviewed_by if names_shown else "",
        released_by=note.released_by if names_shown else "",
        objections=[
            c
            for c in note.objections
            if comments.comment_audience(context, c.section).leaves_intranet
        ],
    )


@dataclass
class Original:
    minutes: object
    citation: str


def _original(context, account):
    if not context.minutes.corrects_id:
        return None
    original = (
        access.visible_minutes(account, "view")
        .where(Minutes.id == context.minutes.corrects_id)
        .first()
    )
    return Original(original, numbering.citation(original)) if original else None


def _files(context, sections, account) -> list:
    """The numbered files of the minutes and of the exported sections that may leave the
    intranet (named in the export; they are downloaded in the intranet)."""
    found = files.numbered_files(context, sections, account)
    listed = []
    for key, owner in found["owners"].items():
        for attachment in found["files"][key]:
            if attachments.audience(attachment, owner).leaves_intranet:
                listed.append((found["numbers"][attachment.id], attachment))
    return sorted(listed, key=lambda pair: pair[0])


def html(export: Export, stylesheet: str | None = None) -> str:
    """`stylesheet`: None for the browser (the fingerprinted static address), a path inside
    the static folder for the PDF renderer."""
    return render_template(
        "minutes/print.html",
        export=export,
        minutes=export.context.minutes,
        meeting=export.context.meeting,
        stylesheet=stylesheet,
    )


def pdf(export: Export) -> bytes:
    # Relative to the static folder, which is all the renderer may read.
    body = render_pdf(html(export, "css/print.css"))
    audit.record(
        "minutes.exported",
        target=ref("minutes", export.context.minutes.id),
        detail="pdf",
        actor=export.reader,
    )
    return body


def file_name(minutes) -> str:
    day = minutes.meeting.start.strftime("%Y-%m-%d")
    kind = "berichtigung" if minutes.corrects_id else "protokoll"
    return f"{kind}-{day}-{minutes.id}.pdf"
