"""Planning a meeting: creating it (or a series of occurrences), editing it with optimistic
locking, and its workflow steps (invite, cancel, withdraw a cancellation), with the mails
to those already invited queued in the same transaction."""

import datetime as dt
from dataclasses import dataclass, field

from intranet.core import audit, sharing, times, versioning
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowConflict, WorkflowError
from intranet.meetings import mail, recurrence, rules, search_provider
from intranet.meetings.access import (
    Conflict,
    MeetingContext,
    MeetingError,
    load_context,
    visible_clause,
)
from intranet.meetings.models import (
    INVITED,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    Series,
)
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l


@dataclass
class MeetingData:
    """What the form delivers, already typed. Times are local (Europe/Berlin), naive."""

    title: str
    start_local: dt.datetime
    end_local: dt.datetime
    room: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    online_url: str = ""
    description: str = ""
    organization_id: int | None = None
    invited_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    label: str = sharing.DEFAULT
    chatham_house: bool = False
    repeat: str = ""
    repeat_until: dt.date | None = None


def check_times(data: MeetingData) -> tuple[dt.datetime, dt.datetime]:
    """UTC start and end, or a MeetingError naming the field."""
    if not 1970 <= data.start_local.year <= 2200:
        # Far-off years overflow the time zone arithmetic; nobody plans a meeting there.
        raise MeetingError(_l("Please enter a date between 1970 and 2200."), "date")
    try:
        start = times.to_utc(data.start_local)
    except times.NonexistentTime:
        raise MeetingError(
            _l(
                "This time does not exist: clocks jump from 2:00 to 3:00 that night (start of summer time). Please choose another time."
            ),
            "start_time",
        ) from None
    try:
        end = times.to_utc(data.end_local)
    except times.NonexistentTime:
        raise MeetingError(
            _l(
                "This time does not exist: clocks jump from 2:00 to 3:00 that night (start of summer time). Please choose another time."
            ),
            "end_time",
        ) from None
    if end <= start:
        raise MeetingError(_l("The end must be after the start."), "end_time")
    return start, end


def _check_sharing(data: MeetingData, actor) -> MeetingData:
    # Whoever plans a RED meeting is named on it (below), so only the organisations can be missing.
    problem = sharing.label_problem(
        data.label, (data.organization_id, *data.invited_ids), (actor.id,)
    )
    if problem:
        raise MeetingError(problem, "label")
    if data.label == sharing.RED and actor.id not in data.person_ids:
        # Whoever plans a RED meeting is named on it, or they would lose sight of it at once.
        data.person_ids = [*data.person_ids, actor.id]
    return data


def _apply(meeting: Meeting, data: MeetingData, start, end):
    for name, value in _values(data, start, end).items():
        setattr(meeting, name, value)


def _values(data: MeetingData, start, end) -> dict:
    """The columns a form sets, by field name (for a new row and for a versioned update)."""
    values = {"title": data.title.strip(), "start": start, "end": end}
    for name in ("room", "street", "postal_code", "city", "online_url", "description"):
        values[name] = (getattr(data, name) or "").strip()
    values["organization"] = data.organization_id or None
    values["label"] = data.label
    values["chatham_house"] = bool(data.chatham_house)
    return values


def _set_links(meeting: Meeting, data: MeetingData):
    MeetingOrganization.delete().where(MeetingOrganization.meeting == meeting.id).execute()
    if data.invited_ids:
        MeetingOrganization.insert_many(
            [{"meeting": meeting.id, "organization": i} for i in sorted(set(data.invited_ids))]
        ).execute()
    MeetingPerson.delete().where(MeetingPerson.meeting == meeting.id).execute()
    if data.label == sharing.RED and data.person_ids:
        MeetingPerson.insert_many(
            [{"meeting": meeting.id, "account": i} for i in sorted(set(data.person_ids))]
        ).execute()


def create_meeting(data: MeetingData, actor) -> list[Meeting]:
    """One meeting, or every occurrence of a series. Returns the meetings made (first first)."""
    start, end = check_times(data)
    data = _check_sharing(data, actor)
    duration = end - start
    with write_transaction():
        series = None
        starts = [data.start_local]
        if data.repeat:
            if data.repeat not in recurrence.KINDS:
                raise MeetingError(_l("Please choose how the meeting repeats."), "repeat")
            until = data.repeat_until or recurrence.cap_date(data.start_local.date())
            until = min(until, recurrence.cap_date(data.start_local.date()))
            if until < data.start_local.date():
                raise MeetingError(
                    _l("The series must end on or after the first meeting."), "repeat_until"
                )
            rule = recurrence.build_rule(data.repeat, data.start_local, until)
            series = Series.create(rrule=rule, first_start_local=data.start_local, created_by=actor)
            starts = recurrence.occurrences(rule, data.start_local)
        made = []
        local_duration = data.end_local - data.start_local
        for local_start in starts:
            meeting = Meeting(series=series, created_by=actor)
            if local_start == data.start_local:
                occ_start, occ_end = start, start + duration
            else:
                # Each occurrence keeps the local clock time (18:00 in winter and in summer).
                occ_start = times.to_utc(local_start, shift_gap=True)
                occ_end = times.to_utc(local_start + local_duration, shift_gap=True)
            _apply(meeting, data, occ_start, occ_end)
            meeting.save(force_insert=True)
            _set_links(meeting, data)
            search_provider.index_meeting(meeting)
            made.append(meeting)
        audit.record(
            "meeting.created",
            target=ref("meeting", made[0].id),
            detail=f"occurrences: {len(made)}" if series else "",
            actor=actor,
        )
    return made


@dataclass
class SavedEdit:
    """What an edit changed, and how many occurrences it left alone because the editor may not
    see them (the page says so)."""

    meetings: list[Meeting]
    skipped: int = 0
    mailed: int | None = None  # persons told of the change; None: mail is off


STALE_EDIT = _l(
    "Someone else changed this meeting in the meantime. Your changes were not saved; please check the current state and enter them again."
)


STALE_ACTION = _l("Someone else changed this meeting in the meantime. Please check and try again.")


def _save_versioned(meeting_id: int, version: int, message=STALE_EDIT, **changes) -> None:
    """Every write to a meeting row: raise the version and SEQUENCE, only from `version`."""
    try:
        versioning.update_versioned(
            Meeting,
            meeting_id,
            version,
            sequence=Meeting.sequence + 1,
            updated_at=utcnow(),
            **changes,
        )
    except versioning.Conflict:
        raise Conflict(message) from None


def update_meeting(
    context: MeetingContext, data: MeetingData, version: int, actor, scope: str = "this"
) -> SavedEdit:
    """Save an edit; with scope 'following' also every later occurrence of the series that
    the editor may see. Occurrences shared with others only are left untouched and counted.

    Refused with Conflict when the meeting, or any occurrence written with it, changed since
    it was read: the whole edit is then rolled back."""
    meeting = context.meeting
    start, end = check_times(data)
    data = _check_sharing(data, actor)
    with write_transaction():
        current = Meeting.get_by_id(meeting.id)
        if current.version != version:
            raise Conflict(STALE_EDIT)
        targets, skipped = [current], 0
        if scope == "following" and current.series_id:
            later, skipped = sharing.split_visible(
                Meeting.select()
                .where(
                    (Meeting.series == current.series_id)
                    & (Meeting.start > current.start)
                    & (Meeting.cancelled == False)  # noqa: E712 (SQL, not Python)
                )
                .order_by(Meeting.start),
                visible_clause(actor),
            )
            targets += later
        old_local = times.to_local(current.start).replace(tzinfo=None)
        day_shift = data.start_local.date() - old_local.date()
        local_duration = data.end_local - data.start_local
        for target in targets:
            if target.id == current.id:
                occ_start, occ_end = start, end
            else:
                local_day = times.to_local(target.start).date() + day_shift
                local_start = dt.datetime.combine(local_day, data.start_local.time())
                occ_start = times.to_utc(local_start, shift_gap=True)
                occ_end = times.to_utc(local_start + local_duration, shift_gap=True)
            # Each row from the version read here: a concurrent edit of any later occurrence
            # makes the whole edit fail rather than be overwritten.
            _save_versioned(
                target.id,
                version if target.id == current.id else target.version,
                **_values(data, occ_start, occ_end),
            )
            _set_links(target, data)
        saved = list(
            Meeting.select().where(Meeting.id.in_([t.id for t in targets])).order_by(Meeting.start)
        )
        for saved_meeting in saved:
            search_provider.index_meeting(saved_meeting)
        mailed = _queue_update(saved, actor)
        audit.record(
            "meeting.updated",
            target=ref("meeting", meeting.id),
            detail=f"occurrences: {len(saved)}, not shared with the editor: {skipped}",
            actor=actor,
        )
    return SavedEdit(saved, skipped, mailed)


def _queue_update(meetings, actor) -> int | None:
    """After an edit, cancellation or its withdrawal: tell those already invited (others hear
    of the meeting when it is invited). Inside the transaction of the change."""
    told = [
        mail.queue_invitations(load_context(m), actor, update=True)
        for m in meetings
        if m.state == INVITED
    ]
    return None if None in told else sum(told)


def take_step(
    meeting: Meeting, action: str, actor, comment: str = "", version: int | None = None, **changes
) -> Meeting:
    """Move a meeting on in its workflow (meetings/rules.py): decided on the row as read here
    and written only if it is still in that state (and, with `version`, unchanged since the
    form was loaded). Raises the version and SEQUENCE like every other write to a meeting."""
    with write_transaction():
        current = Meeting.get_by_id(meeting.id)
        if version is not None and current.version != version:
            raise Conflict(STALE_ACTION)
        try:
            rules.WORKFLOW.apply(
                actor,
                current,
                action,
                comment,
                changes={
                    Meeting.version: Meeting.version + 1,
                    Meeting.sequence: Meeting.sequence + 1,
                    Meeting.updated_at: utcnow(),
                    **changes,
                },
                expected={"version": current.version},
            )
        except WorkflowConflict:
            raise Conflict(STALE_ACTION) from None
        except WorkflowError as error:
            raise MeetingError(str(error)) from None
        return Meeting.get_by_id(meeting.id)


def _step_and_tell(meeting: Meeting, action: str, actor, comment, version, **changes) -> Meeting:
    """A step that the invited must hear of, with their mails in the same transaction; the
    meeting comes back with `mailed` (persons told; None when mail is off)."""
    with write_transaction():
        changed = take_step(meeting, action, actor, comment, version, **changes)
        changed.mailed = _queue_update([changed], actor)
    return changed


def cancel_meeting(meeting: Meeting, reason: str, version: int, actor) -> Meeting:
    """Cancel one meeting (or one occurrence): it stays, marked, and feeds say CANCELLED."""
    reason = reason.strip()
    return _step_and_tell(meeting, "cancel", actor, reason, version, cancel_reason=reason)


def uncancel_meeting(meeting: Meeting, version: int, actor) -> Meeting:
    """Withdraw a cancellation: back to planned or invited; feeds say CONFIRMED/TENTATIVE again."""
    return _step_and_tell(meeting, "uncancel", actor, "", version, cancel_reason="")


def invite(meeting: Meeting, actor) -> Meeting:
    return take_step(meeting, "invite", actor)


def timeline(meeting) -> list:
    return rules.WORKFLOW.history(meeting.id)
