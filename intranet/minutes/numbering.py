"""What minutes are called and cited: the title, the number ("2026/07") and the numbers of
the decisions in them."""

from intranet.core.ids import ref
from intranet.minutes.models import (
    Decision,
    Minutes,
    MinutesSection,
)
from intranet.platform.i18n import gettext as _


def document_title(minutes: Minutes) -> str:
    """ "Protokoll: Plenum" or "Berichtigung des Protokolls: Plenum"."""
    title = minutes.meeting.title
    if minutes.corrects_id:
        return _("Correction of the minutes: %(title)s", title=title)
    return _("Minutes: %(title)s", title=title)


def citation(minutes: Minutes) -> str:
    """The number to cite ("2026/07"); a correction cites the original's. Empty if none."""
    number, year = minutes.number, minutes.number_year
    if number is None and minutes.corrects_id:
        original = (
            Minutes.select(Minutes.number, Minutes.number_year)
            .where(Minutes.id == minutes.corrects_id)
            .first()
        )
        number, year = (original.number, original.number_year) if original else (None, None)
    return f"{year}/{number:02d}" if number is not None else ""


def decision_numbers(minutes: Minutes, decision_ids=None, prefix=None) -> dict:
    """Decision id → its number in the minutes ("2026/07-3"), counted over every decision of
    every section, so a decision keeps its number whoever reads (one query, plus the
    original's number for a correction). `decision_ids` (every decision in order, as
    `access.sections` leaves on the context) and `prefix` (the citation) save both."""
    if prefix is None:
        prefix = citation(minutes)
    if decision_ids is None:
        decision_ids = [
            row.id
            for row in Decision.select(Decision.id)
            .join(MinutesSection)
            .where(MinutesSection.minutes == minutes.id)
            .order_by(MinutesSection.position, MinutesSection.id, Decision.position, Decision.id)
        ]
    return {i: f"{prefix}-{n}" if prefix else str(n) for n, i in enumerate(decision_ids, 1)}


def number_key(meeting) -> str:
    """What minutes are counted in: the meeting's series, else its organiser, else the forum."""
    if meeting.series_id:
        return ref("series", meeting.series_id)
    if meeting.organization_id:
        return ref("organization", meeting.organization_id)
    return "forum"
