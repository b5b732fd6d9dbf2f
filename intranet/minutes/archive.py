"""The archive of minutes, the register of decisions and its spreadsheet export, and which
minutes a reader has not seen since they changed."""

import csv
import datetime as dt
import io
from collections import namedtuple

from peewee import JOIN, fn

from intranet.core import times
from intranet.core.accounts import Organization
from intranet.core.sharing import Reader
from intranet.directory.csv_io import neutralise
from intranet.directory.search import like, like_pattern
from intranet.meetings.access import organization_meetings
from intranet.meetings.models import Meeting
from intranet.minutes.access import (
    contexts_for,
    section_visibility,
    seen_since_change,
    visible_clause,
)
from intranet.minutes.editing import describe_result
from intranet.minutes.models import (
    RELEASED,
    Decision,
    Minutes,
    MinutesSection,
    MinutesVisit,
)
from intranet.minutes.numbering import decision_numbers_of
from intranet.platform.db import utcnow
from intranet.platform.i18n import gettext as _
from intranet.platform.prepared import Prepared


def _visit(account_id, minutes_id, now):
    return MinutesVisit.insert(account=account_id, minutes=minutes_id, seen_at=now).on_conflict(
        conflict_target=[MinutesVisit.account, MinutesVisit.minutes],
        update={MinutesVisit.seen_at: now},
    )


# Every view of a set of minutes writes its visit: compiled once.
_VISIT = Prepared(_visit)


def mark_seen(minutes, account) -> None:
    _VISIT.run(account_id=account.id, minutes_id=minutes.id, now=utcnow())


def archive(account, year: int | None, organization_id: int | None, number: int, per_page: int):
    """Page `number` of the archive: visible minutes, newest meeting first, each a named tuple
    of what its row shows (the meeting's title and start, the organiser's name), whether it is
    new for the account (changed since their last visit, or never opened) and whether a
    released correction exists. Each row also carries the number of rows (`total`) and the
    first and last meeting start of them all (`first_start`, `last_start`): one query gives
    the page, its count (core.pagination.paginate_counted) and, unfiltered, the years."""
    values = _page_and_filters(number, per_page, year, organization_id)
    rows = _ARCHIVE_PAGE.run(Reader.of(account), bool(year), bool(organization_id), **values)
    return [ArchiveRow(*row) for row in rows]


def _page_and_filters(number: int, per_page: int, year, organization_id) -> dict:
    """The slots of a compiled list page: its rows (limit, offset), a year's bounds in UTC
    (Berlin's New Year), the organisation."""
    values = {"limit": per_page, "offset": (max(number, 1) - 1) * per_page}
    if year:
        values["year_start"] = times.to_utc(dt.datetime(year, 1, 1), shift_gap=True)
        values["year_end"] = times.to_utc(dt.datetime(year + 1, 1, 1), shift_gap=True)
    if organization_id:
        values["organization_id"] = organization_id
    return values


def _filtered(query, by_year: bool, by_organization: bool, slots: dict):
    """Narrow a query that joins Meeting to a year's meetings and an organisation's (organiser
    or invited), with the slots of `_page_and_filters`."""
    if by_year:
        query = query.where(
            (Meeting.start >= slots["year_start"]) & (Meeting.start < slots["year_end"])
        )
    if by_organization:
        query = query.where(Meeting.id.in_(organization_meetings(slots["organization_id"])))
    return query


def _archive_page(reader, by_year: bool, by_organization: bool, **slots):
    """`archive`'s query for one reader and choice of filters; the page, the year's bounds and
    the organisation are slots."""
    # The inner query finds the page among all visible minutes; the outer one reads what the
    # rows show for that page only (looking up visits and corrections for every visible set of
    # minutes made the query grow with the years twice as fast).
    ranked = (
        Minutes.select(
            Minutes.id.alias("id"),
            fn.COUNT(Minutes.id).over().alias("total"),
            fn.MIN(Meeting.start).over().alias("first_start"),
            fn.MAX(Meeting.start).over().alias("last_start"),
        )
        .join(Meeting)
        .where(visible_clause(reader, "list"))
        .order_by(Meeting.start.desc(), Minutes.id.desc())
    )
    ranked = _filtered(ranked, by_year, by_organization, slots)
    ranked = ranked.limit(slots["limit"]).offset(slots["offset"]).alias("ranked")
    correction = Minutes.alias("correction")
    corrected = fn.EXISTS(
        correction.select(correction.id).where(
            (correction.corrects == Minutes.id) & (correction.state == RELEASED)
        )
    )
    # Only the columns a row shows, as plain named tuples: whole rows carried the minutes' text
    # and forty columns into each list entry, and making three model objects of each row (the
    # minutes, its meeting, the organiser) cost more per row than the query and the template.
    # The tuple type is made once (`ArchiveRow`): peewee's named tuples make a new one for
    # every query.
    return (
        Minutes.select(
            Minutes.id,
            Minutes.corrects,
            Minutes.state,
            Minutes.label,
            Meeting.title,
            Meeting.start,
            Organization.name,
            ~seen_since_change(reader.id),
            corrected,
            ranked.c.total,
            ranked.c.first_start,
            ranked.c.last_start,
        )
        .join(ranked, on=(Minutes.id == ranked.c.id))
        .switch(Minutes)
        .join(Meeting)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .order_by(Meeting.start.desc(), Minutes.id.desc())
        .tuples()
    )


# Compiled once per reader and choice of filters (the archive is the minutes' main page).
_ARCHIVE_PAGE = Prepared(_archive_page)


ArchiveRow = namedtuple(
    "ArchiveRow",
    "id corrects_id state label title start organization_name new corrected"
    " total first_start last_start",
)


def archive_years(account, unfiltered_page=None) -> list[int]:
    """The years that hold visible minutes, newest first: from a page of the unfiltered
    archive, which carries them, else one query."""
    if unfiltered_page is not None:
        if not unfiltered_page.items:
            return []
        row = unfiltered_page.items[0]
        return _years_between(row.first_start, row.last_start)
    first, last = _FIRST_AND_LAST.raw(Reader.of(account)).rows[0]
    return _years_between(first, last)


def _first_and_last(reader):
    return (
        Minutes.select(fn.MIN(Meeting.start), fn.MAX(Meeting.start))
        .join(Meeting)
        .where(visible_clause(reader, "list"))
    )


# The register asks on every page (the archive only when filtered): compiled once per reader.
_FIRST_AND_LAST = Prepared(_first_and_last)


def _years_between(first, last) -> list[int]:
    if first is None:
        return []
    if isinstance(first, str):  # SQLite hands aggregates back as text
        first, last = (dt.datetime.fromisoformat(v) for v in (first, last))
    return list(range(times.to_local(last).year, times.to_local(first).year - 1, -1))


# What the register's page and its spreadsheet read of each decision: the row, its number
# (the minutes' number or the one they correct), the labels and organisations of the chain for
# what may leave the intranet. Whole rows put the minutes' text and released text, the
# section's text and forty more columns into the sort of every visible decision.
REGISTER_COLUMNS = (
    *(Decision.id, Decision.section, Decision.position, Decision.text, Decision.result),
    *(Decision.votes_yes, Decision.votes_no, Decision.votes_abstained),
    *(MinutesSection.id, MinutesSection.minutes, MinutesSection.position, MinutesSection.title),
    *(MinutesSection.label, MinutesSection.organization),
    *(Minutes.id, Minutes.meeting, Minutes.state, Minutes.label, Minutes.corrects),
    *(Minutes.number, Minutes.number_year),
    *(Meeting.id, Meeting.title, Meeting.start, Meeting.label, Meeting.organization),
)


# Words of the register's search box that count; more are pasted noise.
REGISTER_WORDS = 10


def decision_register(
    account, words: str, year: int | None, organization_id, number: int, per_page: int
) -> list[Decision]:
    """Page `number` of the released decisions the account may read (their section visible),
    newest meeting first, filtered by words in the text, year and organisation, as decisions
    with their section, minutes and meeting (`REGISTER_COLUMNS`; the spreadsheet's rows). One
    query, compiled once per reader and choice of filters; each decision carries the number
    of all of them (`total`, for core.pagination.paginate_counted)."""
    return list(_register(account, words, year, organization_id, number, per_page, False))


def register_rows(
    account, words: str, year: int | None, organization_id, number: int, per_page: int
) -> list["RegisterRow"]:
    """`decision_register` as the register's page shows it: a `RegisterRow` per decision.
    Four model objects a row, with their joins, cost more than the query and the template."""
    rows = _register(account, words, year, organization_id, number, per_page, True)
    return [RegisterRow(*row) for row in rows]


def _register(account, words, year, organization_id, number, per_page, shown: bool):
    terms = [word.casefold() for word in words.split()[:REGISTER_WORDS]]
    values = _page_and_filters(number, per_page, year, organization_id)
    values.update({f"word{n}": like_pattern(term) for n, term in enumerate(terms)})
    return _REGISTER_PAGE.run(
        Reader.of(account), len(terms), bool(year), bool(organization_id), shown, **values
    )


def _register_page(
    reader, word_count: int, by_year: bool, by_organization: bool, shown: bool, **slots
):
    """`decision_register`'s query for one reader and choice of filters, with the
    `REGISTER_COLUMNS` as decisions or, `shown`, the `REGISTER_ROW` columns as tuples; the
    page, the words' patterns, the year's bounds and the organisation are slots."""
    visible = (
        Decision.select()
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where((Minutes.state == RELEASED) & section_visibility(reader))
        .order_by(*_REGISTER_ORDER)
    )
    for n in range(word_count):
        visible = visible.where(like(fn.LOWER(Decision.text), slots[f"word{n}"]))
    visible = _filtered(visible, by_year, by_organization, slots)
    total = fn.COUNT(Decision.id).over().alias("total")
    if not shown:  # the spreadsheet's decisions, as many as it holds, in one page
        return (
            visible.select(*REGISTER_COLUMNS, total).limit(slots["limit"]).offset(slots["offset"])
        )
    # As in the archive: the inner query finds the page among all visible decisions by their
    # ids alone; the outer one reads the page's columns and sorts those few rows again.
    # Sorting every visible decision with its text and a dozen more columns was a third of
    # the query at the stress size (1.44 → 1.02 ms; 0.41 → 0.33 ms at ten years).
    ranked = (
        visible.select(Decision.id.alias("id"), total)
        .limit(slots["limit"])
        .offset(slots["offset"])
        .alias("ranked")
    )
    return (
        Decision.select(*REGISTER_ROW, ranked.c.total)
        .join(ranked, on=(Decision.id == ranked.c.id))
        .switch(Decision)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .order_by(*_REGISTER_ORDER)
        .tuples()
    )


_REGISTER_PAGE = Prepared(_register_page)

# Newest meeting first, then as the minutes number their decisions; the ids last: positions may
# repeat, and the order must be the same on every page.
_REGISTER_ORDER = (
    Meeting.start.desc(),
    Minutes.id.desc(),
    MinutesSection.position,
    MinutesSection.id,
    Decision.position,
    Decision.id,
)

# What a row of the register's page shows: the decision, where it was taken, what it is cited
# by (the minutes' number or the one they correct), and the count of all rows.
REGISTER_ROW = (
    *(Decision.id, Decision.text, Decision.result),
    *(Decision.votes_yes, Decision.votes_no, Decision.votes_abstained),
    *(MinutesSection.id, MinutesSection.title),
    *(Minutes.id, Minutes.corrects, Minutes.number, Minutes.number_year),
    *(Meeting.title, Meeting.start),
)
RegisterRow = namedtuple(
    "RegisterRow",
    "id text result votes_yes votes_no votes_abstained section_id section_title"
    " minutes_id corrects_id number number_year meeting_title start total",
)
# What numbering reads of a row's minutes (`numbering.decision_numbers_of`).
_NumberedMinutes = namedtuple("_NumberedMinutes", "id corrects_id number number_year")


def register_numbers(decisions) -> dict:
    """Decision id → number for the decisions of the spreadsheet (two queries at most, however
    many sets of minutes they come from)."""
    return decision_numbers_of(_minutes_of(decisions))


def register_row_numbers(rows) -> dict:
    """`register_numbers` for the `RegisterRow`s of the register's page."""
    minutes = {
        row.minutes_id: _NumberedMinutes(
            row.minutes_id, row.corrects_id, row.number, row.number_year
        )
        for row in rows
    }
    return decision_numbers_of(list(minutes.values()))


def _minutes_of(decisions) -> list[Minutes]:
    """The minutes the decisions belong to, each once."""
    return list({d.section.minutes_id: d.section.minutes for d in decisions}.values())


def decisions_csv(account, decisions) -> str:
    """The register as a spreadsheet file, only decisions whose section may leave the
    intranet; every cell made inert for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [_("Number"), _("Date"), _("Meeting"), _("Agenda item"), _("Decision"), _("Result")]
    )
    numbers = register_numbers(decisions)
    contexts = contexts_for(_minutes_of(decisions))
    for d in decisions:
        minutes = d.section.minutes
        if not contexts[minutes.id].section_audience(d.section).leaves_intranet:
            continue
        row = [
            numbers.get(d.id, ""),
            times.to_local(minutes.meeting.start).date().isoformat(),
            minutes.meeting.title,
            d.section.title,
            d.text,
            describe_result(d),
        ]
        writer.writerow([neutralise(str(cell)) for cell in row])
    return "\ufeff" + out.getvalue()
