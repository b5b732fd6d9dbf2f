"""The calendar's part of the start page: invitations waiting for an answer (a to-do, answered
in place), the next few meetings, and what changed lately."""

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from functools import cached_property, partial

from flask import g
from peewee import JOIN

from intranet.core.accounts import Organization
from intranet.core.sharing import Reader
from intranet.core.start_page import Panel
from intranet.meetings import access
from intranet.meetings.models import Answer, Meeting
from intranet.platform.db import utcnow
from intranet.platform.prepared import Prepared

NEXT_MEETINGS = 3  # cards below the to-dos; the calendar has all
INVITATIONS_SHOWN = 3  # unanswered invitations on the to-do list
CANDIDATES = 30  # upcoming meetings looked at for both
RECENT_DAYS = 14
RECENT_LINES = 5


class MeetingCard:
    """An upcoming meeting with the account's answer and whether it may answer. Its `meeting`
    is made from the query's row when first read: of the thirty candidates a page shows six."""

    def __init__(self, make_meeting, may_answer: bool, answer: str | None):
        self._make_meeting = make_meeting
        self.may_answer = may_answer
        self.answer = answer

    @cached_property
    def meeting(self) -> Meeting:
        return self._make_meeting()

    @property
    def waiting(self) -> bool:
        """An invitation this account has not answered yet."""
        return self.may_answer and self.answer is None


# What a card or a line shows of a meeting, and what `access.can_answer` reads: whole rows of
# thirty meetings with their organisers cost more than the rest of the panel.
CARD_COLUMNS = (
    Meeting.id,
    Meeting.title,
    Meeting.start,
    Meeting.end,
    Meeting.room,
    Meeting.street,
    Meeting.postal_code,
    Meeting.city,
    Meeting.organization,
    Meeting.state,
    Meeting.cancelled,
    Meeting.label,
    Organization.id,
    Organization.name,
)


def _visible_ahead(account, now, *columns):
    """Visible meetings that have not ended by `now`, with the columns the start page shows."""
    return (
        Meeting.select(*CARD_COLUMNS, *columns)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where(access.visible_clause(account) & (Meeting.end >= now))
    )


def _upcoming(account, now):
    # Whether the account's own organisation is invited and whether the account is named:
    # all `can_answer` asks of the invitation lists, so the lists themselves are not read.
    answer = Answer.select(Answer.answer).where(
        (Answer.meeting == Meeting.id) & (Answer.account == account.id)
    )
    return (
        _visible_ahead(
            account,
            now,
            answer.alias("answer"),
            access.invites(Meeting.id, account.organization_id).alias("invites"),
            access.names(Meeting.id, account.id).alias("names"),
        )
        .order_by(Meeting.start, Meeting.id)
        .limit(CANDIDATES)
    )


def _recently_changed(account, now, since):
    return (
        _visible_ahead(account, now, Meeting.series, Meeting.updated_at)
        .where((Meeting.updated_at >= since) & (Meeting.sequence > 0))
        .order_by(Meeting.updated_at.desc(), Meeting.id.desc())
        .limit(CANDIDATES * 2)
    )


# Where `_upcoming`'s rows hold what `upcoming_cards` reads before making any meeting of them.
_AnswerView = namedtuple("_AnswerView", "cancelled state organization_id label")
_ANSWER_VIEW_COLUMNS = tuple(
    # By identity: a column compared with == is a peewee expression, true for any column.
    next(n for n, shown in enumerate(CARD_COLUMNS) if shown is column)
    for column in (Meeting.cancelled, Meeting.state, Meeting.organization, Meeting.label)
)
_ANSWER, _INVITES, _NAMES = range(len(CARD_COLUMNS), len(CARD_COLUMNS) + 3)

# The start page's two meeting queries, compiled once per reader (they read the account's id
# and organisation only: the rule, the answer, the invitation and name look-ups).
UPCOMING = Prepared(_upcoming)
RECENTLY_CHANGED = Prepared(_recently_changed)


def upcoming_cards(account) -> list[MeetingCard]:
    """The next visible meetings with the account's answer (one query, any data size),
    computed once per request: the to-do list and the meeting cards both draw on them."""
    cached = g.get("start_upcoming_cards")
    if cached is not None and cached[0] == account.id:
        return cached[1]
    candidates = UPCOMING.raw(Reader.of(account), now=utcnow())
    cards = []
    for row in candidates.rows:
        # What `access.can_answer` reads of a meeting, from the row as the database gave it
        # (flags as 0/1 on SQLite, True/False on PostgreSQL; states and labels as text).
        meeting = _AnswerView(*(row[n] for n in _ANSWER_VIEW_COLUMNS))
        may_answer = access.can_answer(
            account,
            meeting,
            [account.organization_id] if row[_INVITES] else [],
            [account.id] if row[_NAMES] else [],
        )
        cards.append(MeetingCard(partial(candidates.object, row), may_answer, row[_ANSWER]))
    g.start_upcoming_cards = (account.id, cards)
    return cards


def waiting_invitations(account) -> tuple[list[MeetingCard], int]:
    """The first unanswered invitations, soonest first, and how many more wait."""
    waiting = [card for card in upcoming_cards(account) if card.waiting]
    return waiting[:INVITATIONS_SHOWN], max(len(waiting) - INVITATIONS_SHOWN, 0)


def next_meetings(account, limit: int = NEXT_MEETINGS) -> list[MeetingCard]:
    """The next meetings that do not wait for an answer (those are on the to-do list)."""
    return [card for card in upcoming_cards(account) if not card.waiting][:limit]


@dataclass
class Change:
    """One line of "recently changed": a meeting, or all changed dates of one series."""

    meeting: Meeting  # the earliest date concerned
    updated_at: dt.datetime  # the latest change
    dates: int = 1
    cancelled: int = 0


def recent_changes(account, limit: int = RECENT_LINES) -> list[Change]:
    """Visible meetings still ahead that were changed or cancelled in the last two weeks, one
    line per series: a change to a series of eleven dates is one change, not eleven."""
    now = utcnow()
    since = now - dt.timedelta(days=RECENT_DAYS)
    rows = RECENTLY_CHANGED.run(Reader.of(account), now=now, since=since)
    lines: dict[tuple, Change] = {}
    for meeting in rows:
        key = ("series", meeting.series_id) if meeting.series_id else ("meeting", meeting.id)
        line = lines.get(key)
        if line is None:
            if len(lines) == limit:
                continue
            line = lines[key] = Change(meeting, meeting.updated_at, dates=0)
        line.dates += 1
        line.cancelled += meeting.cancelled
        if meeting.start < line.meeting.start:
            line.meeting = meeting
    return list(lines.values())


def invitations_panel(account):
    shown, more = waiting_invitations(account)
    if not shown:
        return None
    return Panel("meetings/_start_invitations.html", {"cards": shown, "more": more}, "todo")


def next_meetings_panel(account):
    context = {"cards": next_meetings(account), "waiting": bool(waiting_invitations(account)[0])}
    return Panel("meetings/_start_next.html", context)


def recent_changes_panel(account):
    changed = recent_changes(account)
    return Panel("meetings/_start_changes.html", {"changed": changed}) if changed else None
