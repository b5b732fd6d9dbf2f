"""A series of meetings: its occurrences, the minutes template it gives its meetings, and
invitations to several occurrences at once."""

from dataclasses import dataclass, field

from intranet.core import audit, sharing
from intranet.core.ids import MAX_ID, ref
from intranet.meetings import mail, recurrence
from intranet.meetings.access import (
    MeetingContext,
    MeetingError,
    can_plan,
    load_context,
    visible_clause,
)
from intranet.meetings.models import (
    INVITED,
    PLANNED,
    Meeting,
    Series,
)
from intranet.meetings.planning import invite
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.errors import NotFound
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def series_occurrences(meeting: Meeting, actor) -> tuple[list[Meeting], int]:
    """The meeting and the later occurrences of its series that `actor` may see (cancelled
    ones included, so that the page can say why they are left out), and how many later
    occurrences are not shared with `actor`. One query."""
    if not meeting.series_id:
        return [meeting], 0
    return sharing.split_visible(
        Meeting.select()
        .where(
            (Meeting.series == meeting.series_id)
            & ((Meeting.start >= utcnow()) | (Meeting.id == meeting.id))
        )
        .order_by(Meeting.start, Meeting.id),
        visible_clause(actor),
    )


def sees_whole_series(meeting: Meeting, actor) -> bool:
    """Whether `actor` sees every meeting of the series. Its minutes template prefills the
    minutes of all of them, so only such an account reads or changes it: a coordinator who sees
    a GREEN occurrence must not write into the minutes of a RED one (acting on what one can
    see never reads, changes or reveals what one cannot). One query."""
    if not meeting.series_id:
        return False
    _shown, hidden = sharing.split_visible(
        Meeting.select(Meeting.id).where(Meeting.series == meeting.series_id),
        visible_clause(actor),
    )
    return hidden == 0


def _rule_of(series_id):
    return Series.select(Series.rrule, Series.first_start_local).where(Series.id == series_id)


# Every page of a meeting of a series says how the series repeats: compiled once.
_RULE_OF = Prepared(_rule_of)


def series_text(meeting: Meeting) -> str | None:
    """How the meeting's series repeats, in words ("every second Tuesday …"), or None."""
    if not meeting.series_id:
        return None
    series = _RULE_OF.first(series_id=meeting.series_id)
    return None if series is None else recurrence.describe(series.rrule, series.first_start_local)


def series_template(meeting: Meeting) -> str:
    """The text new minutes of this meeting's series start from ("" without a series)."""
    if not meeting.series_id:
        return ""
    return (
        Series.select(Series.minutes_template).where(Series.id == meeting.series_id).scalar() or ""
    )


def save_series_template(context: MeetingContext, text: str, actor) -> None:
    """Set the minutes template of the meeting's series; whoever may plan the meeting and sees
    every meeting of the series may set it."""
    meeting = context.meeting
    if not (can_plan(actor) and sees_whole_series(meeting, actor)):
        raise NotFound()
    with write_transaction():
        Series.update(minutes_template=text.strip()).where(Series.id == meeting.series_id).execute()
        audit.record(
            "series.template_saved",
            target=ref("series", meeting.series_id),
            detail=f"meeting:{meeting.id}, characters: {len(text.strip())}",
            actor=actor,
        )


@dataclass
class Invitations:
    """What an invitation to several occurrences did: the meetings now invited, and how many
    were left out and why (the page says so)."""

    meetings: list[Meeting] = field(default_factory=list)
    cancelled: int = 0
    already: int = 0  # invited or held before
    hidden: int = 0  # not shared with the actor
    changed: int = 0  # changed by someone else meanwhile
    mailed: int | None = None  # persons invited by mail; None: mail is off


def invite_occurrences(meeting: Meeting, actor, scope: str, chosen_ids=()) -> Invitations:
    """Send the invitation for this meeting only ('this'), for every later occurrence of its
    series the actor may see ('series'), or for the occurrences chosen among those ('chosen').

    Each occurrence takes its own workflow step, so the per-meeting rules hold: a cancelled
    occurrence is skipped, one already invited too. Ids that are not among the visible
    occurrences are ignored, never read or written.

    The invitation mails are queued in the same transaction: one per person, listing every
    date they are invited to; their delivery state shows on `meeting`'s page."""
    with write_transaction():
        result = _invite_occurrences(meeting, actor, scope, chosen_ids)
        if result.meetings:
            contexts = [load_context(m) for m in result.meetings]
            result.mailed = mail.queue_series_invitations(contexts, actor, meeting)
    return result


def _invite_occurrences(meeting: Meeting, actor, scope: str, chosen_ids) -> Invitations:
    if scope not in ("series", "chosen"):
        return Invitations([invite(meeting, actor)])
    candidates, hidden = series_occurrences(meeting, actor)
    result = Invitations()
    if scope == "chosen":
        chosen = set(chosen_ids)
        candidates = [c for c in candidates if c.id in chosen]
        if not candidates:
            raise MeetingError(_l("Please choose at least one meeting."), "occurrence")
    else:
        result.hidden = hidden
    for candidate in candidates:
        if candidate.cancelled:
            result.cancelled += 1
        elif candidate.state != PLANNED:
            result.already += 1
        else:
            try:
                result.meetings.append(invite(candidate, actor))
            except MeetingError:
                result.changed += 1
    return result


def invited_occurrences(meeting: Meeting, actor, ids) -> list[Meeting]:
    """Of `ids`, the occurrences of this meeting's series (or the meeting itself) that `actor`
    may see and that stand invited: what the copyable invitation text covers."""
    ids = [i for i in ids if isinstance(i, int) and 0 < i <= MAX_ID][:200]  # ids, not numbers
    if not ids:
        return []
    same = (
        (Meeting.series == meeting.series_id) if meeting.series_id else (Meeting.id == meeting.id)
    )
    return list(
        Meeting.select()
        .where(
            Meeting.id.in_(ids)
            & same
            & visible_clause(actor)
            & (Meeting.state == INVITED)
            & (Meeting.cancelled == False)  # noqa: E712 (SQL, not Python)
        )
        .order_by(Meeting.start, Meeting.id)
    )
