"""The month grid and the meeting lists (upcoming, past, mine, per organisation)."""

import calendar as calendar_module
import datetime as dt
from dataclasses import dataclass, field

from intranet.core import times
from intranet.core.sharing import Reader
from intranet.meetings.access import (
    invited_meetings,
    named_meetings,
    organization_meetings,
    visible_clause,
    visible_meetings,
)
from intranet.meetings.models import (
    Answer,
    Meeting,
)
from intranet.platform.db import utcnow
from intranet.platform.filters import formatted
from intranet.platform.prepared import Prepared


@dataclass
class Day:
    date: dt.date
    in_month: bool
    # What the cell says of itself: the date in words (for screen readers) and whether it is
    # today. Worked out here, once per day, rather than by a filter call in each of 42 cells.
    label: str = ""
    today: bool = False
    meetings: list = field(default_factory=list)


def shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month(reader, start, end):
    # Only what a grid cell shows: building the SQL for all columns of meeting and organiser
    # took a third of the page's time.
    return (
        Meeting.select(Meeting.id, Meeting.title, Meeting.start, Meeting.cancelled)
        .where(visible_clause(reader) & (Meeting.start >= start) & (Meeting.start < end))
        .order_by(Meeting.start, Meeting.id)
    )


# The calendar is the page opened most: its query is compiled once per reader.
MONTH = Prepared(_month)


def month_grid(account, first: dt.date, today: dt.date) -> list[list[Day]]:
    """Weeks (Monday first) covering the month, each day with the visible meetings that start
    on it in Berlin time. One query, whatever the number of meetings."""
    grid_start = first - dt.timedelta(days=first.weekday())
    last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
    grid_end = last + dt.timedelta(days=6 - last.weekday())
    start_utc = times.to_utc(dt.datetime.combine(grid_start, dt.time()), shift_gap=True)
    end_utc = times.to_utc(
        dt.datetime.combine(grid_end + dt.timedelta(days=1), dt.time()), shift_gap=True
    )
    days = {}
    day = grid_start
    while day <= grid_end:
        days[day] = Day(day, day.month == first.month, formatted("date", day, "full"), day == today)
        day += dt.timedelta(days=1)
    rows = MONTH.run(Reader.of(account), start=start_utc, end=end_utc)
    for meeting in rows:
        days[times.to_local(meeting.start).date()].meetings.append(meeting)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]


def _mine_clause(account):
    clause = Meeting.id.in_(named_meetings(account.id)) | Meeting.id.in_(
        Answer.select(Answer.meeting).where(Answer.account == account.id)
    )
    if account.organization_id is not None:
        clause |= Meeting.id.in_(organization_meetings(account.organization_id))
    return clause


def meeting_list(account, when: str = "upcoming", mine: bool = False):
    """The paginated list: upcoming (soonest first) or past (latest first)."""
    now = utcnow()
    query = visible_meetings(account)
    if when == "past":
        query = query.where(Meeting.end < now).order_by(Meeting.start.desc(), Meeting.id.desc())
    else:
        query = query.where(Meeting.end >= now).order_by(Meeting.start, Meeting.id)
    if mine:
        query = query.where(_mine_clause(account))
    return query


def upcoming_for_organization(account, organization, limit: int = 5) -> list[Meeting]:
    """Upcoming meetings that `organization` organises or is invited to, as far as `account`
    may see them (one query; for the organisation page)."""
    if organization is None or not getattr(account, "is_authenticated", False):
        return []
    org_id = organization if isinstance(organization, int) else organization.id
    query = (
        visible_meetings(account)
        .where(
            (Meeting.end >= utcnow())
            & ((Meeting.organization == org_id) | Meeting.id.in_(invited_meetings(org_id)))
        )
        .order_by(Meeting.start, Meeting.id)
        .limit(limit)
    )
    return list(query)
