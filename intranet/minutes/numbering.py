"""What minutes are called and cited: the title, the number ("2026/07") and the numbers of
the decisions in them."""

from intranet.core.ids import ref
from intranet.minutes.models import (
    Decision,
    Minutes,
    MinutesSection,
)
from intranet.platform.i18n import gettext as _
from intranet.platform.prepared import Prepared


def document_title(minutes: Minutes) -> str:
    """ "Protokoll: Plenum" or "Berichtigung des Protokolls: Plenum"."""
    title = minutes.meeting.title
    if minutes.corrects_id:
        return _("Correction of the minutes: %(title)s", title=title)
    return _("Minutes: %(title)s", title=title)


def citation(minutes: Minutes) -> str:
    """The number to cite ("2026/07"); a correction cites the original's. Empty if none."""
    return citations([minutes])[minutes.id]


def citations(minutes_list) -> dict[int, str]:
    """`citation` of each set of minutes, by id (one query for the originals of the corrections
    among them, none without)."""
    wanted = {m.corrects_id for m in minutes_list if m.number is None and m.corrects_id}
    originals = {}
    if wanted:
        rows = Minutes.select(Minutes.id, Minutes.number, Minutes.number_year)
        for original_id, number, year in rows.where(Minutes.id.in_(sorted(wanted))).tuples():
            originals[original_id] = (number, year)
    cited = {}
    for minutes in minutes_list:
        number, year = minutes.number, minutes.number_year
        if number is None and minutes.corrects_id:
            number, year = originals.get(minutes.corrects_id, (None, None))
        cited[minutes.id] = f"{year}/{number:02d}" if number is not None else ""
    return cited


def decision_numbers(minutes: Minutes, decision_ids=None, prefix=None) -> dict:
    """Decision id → its number in the minutes ("2026/07-3"), counted over every decision of
    every section, so a decision keeps its number whoever reads (one query, plus the
    original's number for a correction). `decision_ids` (every decision in order, as
    `access.sections` leaves on the context) and `prefix` (the citation) save both."""
    if prefix is None:
        prefix = citation(minutes)
    if decision_ids is None:
        decision_ids = _decision_ids_of([minutes.id])[minutes.id]
    return _numbered(prefix, decision_ids)


def decision_numbers_of(minutes_list) -> dict:
    """`decision_numbers` of several sets of minutes at once, for a list that shows decisions
    of many (two queries at most, however many)."""
    prefixes = citations(minutes_list)
    ordered = _decision_ids_of([m.id for m in minutes_list])
    numbers = {}
    for minutes in minutes_list:
        numbers.update(_numbered(prefixes[minutes.id], ordered[minutes.id]))
    return numbers


def _decision_ids_of(minutes_ids) -> dict[int, list[int]]:
    """Every decision of each set of minutes, in the order they are numbered (one query)."""
    ordered = {minutes_id: [] for minutes_id in minutes_ids}
    if ordered:
        ids = {f"minutes{n}": minutes_id for n, minutes_id in enumerate(ordered)}
        for decision_id, minutes_id in _DECISION_IDS.run(len(ids), **ids):
            ordered[minutes_id].append(decision_id)
    return ordered


def _decision_ids(count: int, **slots):
    """`_decision_ids_of`'s query for `count` sets of minutes, their ids the slots."""
    return (
        Decision.select(Decision.id, MinutesSection.minutes)
        .join(MinutesSection)
        .where(MinutesSection.minutes.in_([slots[f"minutes{n}"] for n in range(count)]))
        .order_by(MinutesSection.position, MinutesSection.id, Decision.position, Decision.id)
        .tuples()
    )


# Every minutes page numbers its decisions, and the register a page of them: compiled once per
# number of minutes.
_DECISION_IDS = Prepared(_decision_ids)


def _numbered(prefix: str, decision_ids) -> dict:
    return {i: f"{prefix}-{n}" if prefix else str(n) for n, i in enumerate(decision_ids, 1)}


def number_key(meeting) -> str:
    """What minutes are counted in: the meeting's series, else its organiser, else the forum."""
    if meeting.series_id:
        return ref("series", meeting.series_id)
    if meeting.organization_id:
        return ref("organization", meeting.organization_id)
    return "forum"
