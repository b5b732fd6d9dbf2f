"""The calendar's part of the start page: the next meetings with the answer in place, and what
changed lately."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from intranet.core.start_page import Panel, panel
from intranet.db import utcnow
from intranet.meetings import services
from intranet.meetings.models import Answer, Meeting, MeetingOrganization, MeetingPerson

NEXT_MEETINGS = 5
RECENT_DAYS = 14


@dataclass
class MeetingCard:
    meeting: Meeting
    may_answer: bool
    answer: str | None

    @property
    def waiting(self) -> bool:
        """An invitation this account has not answered yet."""
        return self.may_answer and self.answer is None


def next_meetings(account, limit: int = NEXT_MEETINGS) -> list[MeetingCard]:
    """The next visible meetings, unanswered invitations first (four queries, any data size)."""
    candidates = list(
        services.visible_meetings(account)
        .where(Meeting.end >= utcnow())
        .order_by(Meeting.start, Meeting.id)
        .limit(limit * 3)
    )
    ids = [m.id for m in candidates]
    if not ids:
        return []
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
            services.can_answer(account, m, invited[m.id], persons[m.id]),
            answers.get(m.id),
        )
        for m in candidates
    ]
    cards.sort(key=lambda card: (not card.waiting, card.meeting.start, card.meeting.id))
    return cards[:limit]


def recent_changes(account, limit: int = 5) -> list[Meeting]:
    """Visible meetings still ahead that were changed or cancelled in the last two weeks."""
    now = utcnow()
    return list(
        services.visible_meetings(account)
        .where(
            (Meeting.end >= now)
            & (Meeting.updated_at >= now - dt.timedelta(days=RECENT_DAYS))
            & (Meeting.sequence > 0)
        )
        .order_by(Meeting.updated_at.desc(), Meeting.id.desc())
        .limit(limit)
    )


@panel(order=10)
def next_meetings_panel(account):
    return Panel("meetings/_start_next.html", {"cards": next_meetings(account)})


@panel(order=30)
def recent_changes_panel(account):
    changed = recent_changes(account)
    return Panel("meetings/_start_changes.html", {"changed": changed}) if changed else None
