"""Released minutes leave the intranet only here: as a print view and as a tagged PDF.

What an export holds is decided once, for both forms: the sections the reader may see, minus
those labelled AMBER+STRICT or RED (which never leave the intranet); under the Chatham House
Rule no name the system records about people (authors, who took which step, attendance names).
"""

from dataclasses import dataclass

from flask import abort, render_template
from flask_login import current_user

from intranet.core import audit
from intranet.core.pdf import render_pdf
from intranet.db import utcnow
from intranet.meetings import services as meetings
from intranet.minutes import services


@dataclass
class Export:
    context: services.MinutesContext
    sections: list
    withheld: int  # visible sections that stay in the intranet
    attendance: dict
    names_shown: bool
    reader: object
    made_at: object
    decision_numbers: dict
    citation: str
    release_note: object


def prepare(context, account=None) -> Export:
    """The content of an export for `account`; 404 where the rules allow none."""
    account = account or current_user
    if not context.may(account, "export"):
        abort(404)
    visible = services.sections(context, account)
    sections = [s for s in visible if context.section_audience(s).leaves_intranet]
    return Export(
        context=context,
        sections=sections,
        withheld=len(visible) - len(sections),
        attendance=meetings.attendance(context.meeting),
        names_shown=not context.minutes.chatham_house,
        reader=account,
        made_at=utcnow(),
        decision_numbers=services.decision_numbers(context.minutes),
        citation=services.citation(context.minutes),
        release_note=services.release_note(context, account),
    )


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
        target=f"minutes:{export.context.minutes.id}",
        detail="pdf",
        actor=export.reader,
    )
    return body


def file_name(minutes) -> str:
    day = minutes.meeting.start.strftime("%Y-%m-%d")
    kind = "berichtigung" if minutes.corrects_id else "protokoll"
    return f"{kind}-{day}-{minutes.id}.pdf"
