"""Minutes and their sections as owners of attachments: whoever may read the minutes (or the
section) may read their files (the reviewer needs them to check the text); only those who may
edit the draft add or remove. A file of a section ("Anlage zu TOP 3") takes the section's
audience, so it never reaches anyone the section does not."""

from flask import url_for

from intranet.attachments import services as attachments
from intranet.attachments.services import Owner, sort_to_owners
from intranet.minutes import access, numbering
from intranet.minutes.models import Minutes, MinutesSection
from intranet.platform.prepared import Prepared


def context_owner(context, account) -> Owner:
    """Minutes already checked as visible."""
    return Owner(
        kind="minutes",
        id=context.minutes.id,
        title=numbering.document_title(context.minutes),
        url=url_for("minutes.show", minutes_id=context.minutes.id),
        audience=context.audience,
        may_edit=context.may(account, "edit"),
    )


def minutes_owner(minutes_id: int, account) -> Owner | None:
    minutes = Minutes.get_or_none(Minutes.id == minutes_id)
    if minutes is None:
        return None
    context = access.context_for(minutes)
    return context_owner(context, account) if context.may(account, "view") else None


def section_owner(context, section, account) -> Owner:
    """A section already checked as visible."""
    return Owner(
        kind="minutes_section",
        id=section.id,
        title=section.title,
        url=url_for("minutes.show", minutes_id=context.minutes.id) + f"#section-{section.id}",
        audience=context.section_audience(section),
        may_edit=context.may(account, "edit"),
    )


def minutes_section_owner(section_id: int, account) -> Owner | None:
    section = MinutesSection.get_or_none(MinutesSection.id == section_id)
    if section is None:
        return None
    context = access.context_for(Minutes.get_by_id(section.minutes_id))
    return (
        section_owner(context, section, account)
        if context.section_visible(account, section)
        else None
    )


def _files_of(minutes_id):
    sections = access.section_ids_of(minutes_id)
    return attachments.of_item_and_parts("minutes", minutes_id, "minutes_section", sections)


# Every file of one set of minutes and its sections, in the order they are numbered (compiled
# once; the sections as a sub-select, so that their number does not change the SQL).
_FILES_OF = Prepared(_files_of)


def numbered_files(context, sections, account) -> dict:
    """The owners and visible files of the minutes and of each visible section, and the number
    of each file ("Anlage 3"), counted over every file of the minutes and all their sections
    so that a file keeps its number whoever reads (one query)."""
    owners = [context_owner(context, account)] + [
        section_owner(context, s, account) for s in sections
    ]
    every_file = list(_FILES_OF.run(minutes_id=context.minutes.id))
    return {
        "owners": {owner.key: owner for owner in owners},
        "files": sort_to_owners(owners, every_file, account),
        "numbers": {row.id: n for n, row in enumerate(every_file, 1)},
    }
