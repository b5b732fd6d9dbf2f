"""The calendar's part of the start page: invitations waiting for an answer (a to-do, answered
in place), the next few meetings, and what changed lately."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import g

from intranet.core.start_page import Panel
from intranet.meetings import access
from intranet.meetings.models import Answer, Meeting, MeetingOrganization, MeetingPerson
from intranet.platform.db import utcnow

NEXT_MEETINGS = 3  # cards below the to-dos; the calendar has all
INVITATIONS_SHOWN = 3  # unanswered invitations on the to-do list
CANDIDATES = 30  # upcoming meetings looked at for both
RECENT_DAYS = 14
RECENT_LINES = 5


@dataclass
class MeetingCard:
    meeting: Meeting
    may_answer: bool
    answer: str | None

    @property
    def waiting(self) -> bool:
        """An invitation this account has not answered yet."""
        return self.may_answer and self.answer is None


def upcoming_cards(account) -> list[MeetingCard]:
    """The next visible meetings with the account's answer (four queries, any data size),
    computed once per request: the to-do list and the meeting cards both draw on them."""
    cached = g.get("start_upcoming_cards")
    if cached is not None and cached[0] == account.id:
        return cached[1]
    candidates = list(
        access.visible_meetings(account)
        .where(Meeting.end >= utcnow())
        .order_by(Meeting.start, Meeting.id)
        .limit(CANDIDATES)
    )
    ids = [m.id for m in candidates]
    cards = []
    if ids:
        answers = {
            a.meeting_id: a.answer
            for a in Answer.select(Answer.meeting, Answer.answer).where(
                Answer.meeting.in_(ids) & (Answer.account == account.id)
            )
        }
        invited, persons = defaultdict(list), defaultdict(list)
        for row in MeetingOrganization.select().where(MeetingOrganization.meeting.in_(ids)):
            invited[row.meeting_id].append(row.organization_id)
        for row in MeetingPerson.select().where(MeetingPerson.meeting.in_(ids)):
            persons[row.meeting_id].append(row.account_id)
        cards = [
            MeetingCard(
                m,
                access.can_answer(account, m, invited[m.id], persons[m.id]),
                answers.get(m.id),
            )
            for m in candidates
        ]
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
    rows = (
        access.visible_meetings(account)
        .where(
            (Meeting.end >= now)
            & (Meeting.updated_at >= now - dt.timedelta(days=RECENT_DAYS))
            & (Meeting.sequence > 0)
        )
        .order_by(Meeting.updated_at.desc(), Meeting.id.desc())
        .limit(CANDIDATES * 2)
    )
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
