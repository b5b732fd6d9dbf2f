"""What the calendar does for DSGVO: pseudonyms on erasure (Art. 17) and what it keeps about
a person in the access export (Art. 15). Registered by the area (meetings/__init__.py)."""

from intranet.core import sharing
from intranet.meetings.access import visible_clause
from intranet.meetings.models import (
    Answer,
    Attendance,
    FeedToken,
    Meeting,
    MeetingPerson,
    Series,
)
from intranet.privacy.services import labelled_entry


def pseudonymise(account, pseudonym: str, **_ignored):
    """Keep answers and attendance for the record, but under the pseudonym, not the account."""
    Answer.update(account=None, person_label=pseudonym).where(
        Answer.account == account.id
    ).execute()
    Attendance.update(recorded_by=None, recorded_by_label=pseudonym).where(
        Attendance.recorded_by == account.id
    ).execute()
    Meeting.update(created_by=None).where(Meeting.created_by == account.id).execute()
    Series.update(created_by=None).where(Series.created_by == account.id).execute()
    MeetingPerson.delete().where(MeetingPerson.account == account.id).execute()
    FeedToken.delete().where(FeedToken.account == account.id).execute()


def export_meeting_data(person, account=None, viewer=None, **_ignored):
    """What the calendar keeps about the person's account: answers, recorded attendance,
    meetings they are named on, and whether a calendar feed exists.

    A meeting appears in full only when `viewer` (the exporting admin) may see it by the
    meetings' sharing rule and it may leave the intranet (never RED); otherwise with id, time
    and label only.
    """
    if account is None:
        return {}
    answers = list(
        Answer.select(Answer, Meeting)
        .join(Meeting)
        .where(Answer.account == account.id)
        .order_by(Meeting.start)
    )
    named = list(
        Meeting.select(Meeting.id, Meeting.title, Meeting.start, Meeting.label)
        .join(MeetingPerson)
        .where(MeetingPerson.account == account.id)
        .order_by(Meeting.start)
    )
    recorded = list(
        Attendance.select(Attendance, Meeting)
        .join(Meeting)
        .where(Attendance.recorded_by == account.id)
        .order_by(Meeting.start)
    )
    meeting_ids = {a.meeting.id for a in answers} | {m.id for m in named}
    meeting_ids |= {r.meeting.id for r in recorded}
    visible = set()
    if viewer is not None and meeting_ids:
        visible = {
            row.id
            for row in Meeting.select(Meeting.id).where(
                Meeting.id.in_(meeting_ids) & visible_clause(viewer)
            )
        }

    def entry(meeting, **own_data):
        summary = {
            "meeting_id": meeting.id,
            "start_utc": meeting.start.isoformat(),
            "label": sharing.LABEL_NAMES.get(meeting.label, meeting.label),
        }
        shown = meeting.id in visible and sharing.in_feeds(meeting.label)
        return {**labelled_entry(shown, summary, {"meeting": meeting.title}), **own_data}

    return {
        "meeting_answers": [
            entry(a.meeting, answer=a.answer, answered_at_utc=a.answered_at.isoformat())
            for a in answers
        ],
        "named_on_meetings": [entry(m) for m in named],
        "attendance_recorded": [
            entry(r.meeting, organization_id=r.organization_id, status=r.status) for r in recorded
        ],
        "calendar_feed": FeedToken.select().where(FeedToken.account == account.id).exists(),
    }
