"""Meeting operations and the access rule for meetings: routes stay thin, tests call these."""

import calendar as calendar_module
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from flask import abort
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from intranet.attachments import services as attachments
from intranet.core import audit, sharing, times, versioning
from intranet.core.accounts import Account, Organization
from intranet.core.ids import MAX_ID
from intranet.core.workflow import WorkflowConflict, WorkflowError
from intranet.meetings import access, mail, recurrence, rules, search_provider
from intranet.meetings.models import (
    ANSWERS,
    ATTENDANCE,
    HELD,
    INVITED,
    PLANNED,
    AgendaItem,
    Answer,
    Attendance,
    FeedToken,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    Series,
)
from intranet.platform.db import serialized, utcnow, write_transaction
from intranet.privacy.services import labelled_entry

can_plan = rules.can_plan  # the role rule lives with the workflow; callers keep this name
# The access rule, its SQL twin and the loader live in `access` (below mail and search, which
# read them too); callers keep these names.
organizations_named = access.organizations_named
can_answer = access.can_answer
can_record_attendance = access.can_record_attendance
can_edit_agenda = access.can_edit_agenda
can_see_agenda_item = access.can_see_agenda_item
_invited_meetings = access._invited_meetings
_named_meetings = access._named_meetings
_organization_meetings = access._organization_meetings
_agenda_items_of_organization = access._agenda_items_of_organization
visible_clause = access.visible_clause
agenda_item_clause = access.agenda_item_clause
visible_agenda_items = access.visible_agenda_items
visible_meetings = access.visible_meetings
MeetingContext = access.MeetingContext
load_context = access.load_context
get_meeting_or_404 = access.get_meeting_or_404


class MeetingError(ValueError):
    """A request that cannot be carried out; `field` names the form field it belongs to."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Conflict(MeetingError, versioning.Conflict):
    """Someone else saved the meeting after this form was loaded."""


# --- Month grid and lists -----------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_month: bool
    meetings: list = field(default_factory=list)


def shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_grid(account, first: dt.date) -> list[list[Day]]:
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
        days[day] = Day(day, day.month == first.month)
        day += dt.timedelta(days=1)
    # Only what a grid cell shows: building the SQL for all columns of meeting and organiser
    # took a third of the page's time.
    query = (
        Meeting.select(Meeting.id, Meeting.title, Meeting.start, Meeting.cancelled)
        .where(visible_clause(account) & (Meeting.start >= start_utc) & (Meeting.start < end_utc))
        .order_by(Meeting.start, Meeting.id)
    )
    for meeting in query:
        days[times.to_local(meeting.start).date()].meetings.append(meeting)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]


def _mine_clause(account):
    clause = Meeting.id.in_(_named_meetings(account.id)) | Meeting.id.in_(
        Answer.select(Answer.meeting).where(Answer.account == account.id)
    )
    if account.organization_id is not None:
        clause |= Meeting.id.in_(_organization_meetings(account.organization_id))
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
            & ((Meeting.organization == org_id) | Meeting.id.in_(_invited_meetings(org_id)))
        )
        .order_by(Meeting.start, Meeting.id)
        .limit(limit)
    )
    return list(query)


# --- Creating and editing -----------------------------------------------------------------------


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
            target=f"meeting:{made[0].id}",
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
            target=f"meeting:{meeting.id}",
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


def series_template(meeting: Meeting) -> str:
    """The text new minutes of this meeting's series start from ("" without a series)."""
    if not meeting.series_id:
        return ""
    return (
        Series.select(Series.minutes_template).where(Series.id == meeting.series_id).scalar() or ""
    )


def save_series_template(context: MeetingContext, text: str, actor) -> None:
    """Set the minutes template of the meeting's series; whoever may plan the meeting may set
    it, as they may edit the series' later occurrences."""
    meeting = context.meeting
    if not (meeting.series_id and can_plan(actor)):
        raise MeetingError(_l("This meeting belongs to no series."))
    with write_transaction():
        Series.update(minutes_template=text.strip()).where(Series.id == meeting.series_id).execute()
        audit.record(
            "series.template_saved",
            target=f"series:{meeting.series_id}",
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


def timeline(meeting) -> list:
    return rules.WORKFLOW.history(meeting.id)


# --- Agenda -------------------------------------------------------------------------------------


def agenda_rows(meeting, account, person_ids) -> list[tuple[int, AgendaItem | None]]:
    """Every agenda item as (number, item), the item None where `account` may not see it.

    The number is the item's place among all items of the meeting, so that a TOP has the
    same number for every viewer, in the minutes and when people talk about it; a hidden item
    leaves only its number (one query, whatever the size of the agenda).
    """
    items = (
        AgendaItem.select(AgendaItem, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(AgendaItem.meeting == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    rows = []
    for number, item in enumerate(items, 1):
        if can_see_agenda_item(account, item, meeting, person_ids):
            item.number = number
            rows.append((number, item))
        else:
            rows.append((number, None))
    return rows


def agenda(meeting, account, person_ids) -> list[AgendaItem]:
    """The agenda items `account` may see, each with its `number` (see `agenda_rows`)."""
    return [item for _number, item in agenda_rows(meeting, account, person_ids) if item]


class AgendaClosed(MeetingError):
    """The meeting is cancelled: its agenda stays as it was."""

    def __init__(self):
        super().__init__(
            _l(
                "This meeting is cancelled: its agenda cannot be changed. Withdraw the cancellation first."
            )
        )


def _check_agenda_open(meeting_id: int) -> None:
    """Read in the caller's transaction: a cancellation saved meanwhile closes the agenda."""
    if Meeting.select(Meeting.cancelled).where(Meeting.id == meeting_id).scalar():
        raise AgendaClosed()


def _check_agenda_label(meeting_id: int, organization_id, label: str) -> None:
    """Refuse a label that would hide the item from everyone: an AMBER item names its
    presenting organisation and the organiser, a RED one the persons named on the meeting.
    Read in the caller's transaction, so that it sees the meeting as it is now."""
    organiser = Meeting.select(Meeting.organization).where(Meeting.id == meeting_id).scalar()
    persons = []
    if label in sharing.PERSON_LABELS:
        persons = [
            row.account_id
            for row in MeetingPerson.select(MeetingPerson.account).where(
                MeetingPerson.meeting == meeting_id
            )
        ]
    problem = sharing.label_problem(label, (organization_id, organiser), persons)
    if problem:
        raise MeetingError(problem, "label")


def add_agenda_item(meeting, title, description, organization_id, label, actor):
    # Two items added at once would otherwise both take the same next position.
    with serialized(f"agenda:{meeting.id}"):
        _check_agenda_open(meeting.id)
        _check_agenda_label(meeting.id, organization_id, label)
        last = (
            AgendaItem.select(fn.MAX(AgendaItem.position))
            .where(AgendaItem.meeting == meeting.id)
            .scalar()
        )
        item = AgendaItem.create(
            meeting=meeting.id,
            position=(last or 0) + 1,
            title=title.strip(),
            description=(description or "").strip(),
            organization=organization_id or None,
            label=label,
        )
        search_provider.index_agenda_item(item)
        audit.record("agenda.added", target=f"meeting:{meeting.id}", actor=actor)
    return item


def update_agenda_item(item, title, description, organization_id, label, actor):
    with write_transaction():
        _check_agenda_open(item.meeting_id)
        _check_agenda_label(item.meeting_id, organization_id, label)
        item.title = title.strip()
        item.description = (description or "").strip()
        item.organization = organization_id or None
        item.label = label  # save() sets `public` from it
        item.save()
        search_provider.index_agenda_item(item)
        audit.record("agenda.updated", target=f"meeting:{item.meeting_id}", actor=actor)
    return item


def move_agenda_item(meeting, item_id: int, direction: str, visible_ids, actor) -> None:
    """Swap an item with its visible neighbour above or below.

    Items the actor cannot see keep their place and are never written: only ids and
    positions are read, and only the positions that change are saved.
    """
    with serialized(f"agenda:{meeting.id}"):
        _check_agenda_open(meeting.id)
        items = list(
            AgendaItem.select(AgendaItem.id, AgendaItem.position)
            .where(AgendaItem.meeting == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
        before = {item.id: item.position for item in items}
        if len(set(before.values())) != len(items):
            # Equal positions from older data would stall a swap: number them once.
            for number, item in enumerate(items, 1):
                item.position = number
        shown = [i for i in items if i.id in visible_ids]
        index = next((n for n, i in enumerate(shown) if i.id == item_id), None)
        if index is None:
            abort(404)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(shown):
            a, b = shown[index], shown[other]
            a.position, b.position = b.position, a.position
        for item in items:
            if item.position != before[item.id]:
                AgendaItem.update(position=item.position).where(AgendaItem.id == item.id).execute()
        audit.record("agenda.moved", target=f"meeting:{meeting.id}", detail=direction, actor=actor)


def delete_agenda_item(meeting, item_id: int, actor) -> None:
    with write_transaction():
        _check_agenda_open(meeting.id)
        deleted = (
            AgendaItem.delete()
            .where((AgendaItem.meeting == meeting.id) & (AgendaItem.id == item_id))
            .execute()
        )
        if not deleted:
            abort(404)
        attachments.delete_for_owner("agenda_item", item_id)
        search_provider.remove_agenda_item(item_id)
        audit.record("agenda.deleted", target=f"meeting:{meeting.id}", actor=actor)


# --- Answers and attendance ---------------------------------------------------------------------


def give_answer(meeting, account, value: str) -> None:
    """Save or change the account's answer; an upsert, so a double click cannot fail."""
    if value not in ANSWERS:
        raise MeetingError(_l("Please choose an answer."))
    now = utcnow()
    Answer.insert(
        meeting=meeting.id,
        account=account.id,
        person_label=account.display_name,
        organization=account.organization_id,
        answer=value,
        answered_at=now,
    ).on_conflict(
        conflict_target=[Answer.meeting, Answer.account],
        update={Answer.answer: value, Answer.answered_at: now},
    ).execute()


def own_answer(meeting, account) -> str | None:
    row = Answer.get_or_none((Answer.meeting == meeting.id) & (Answer.account == account.id))
    return row.answer if row else None


@dataclass
class OrganizationAnswers:
    organization: Organization
    answers: list = field(default_factory=list)  # (name, answer code)
    missing: list = field(default_factory=list)  # names of accounts without an answer


def answers_overview(context: MeetingContext) -> list[OrganizationAnswers]:
    """Per named organisation: who answered what and who has not (two queries)."""
    meeting = context.meeting
    org_ids = context.organization_ids
    organizations = {o.id: o for o in context.invited}
    if meeting.organization_id and meeting.organization:
        organizations[meeting.organization_id] = meeting.organization
    rows = {i: OrganizationAnswers(organizations[i]) for i in org_ids if i in organizations}
    answers = list(
        Answer.select(Answer, Account)
        .join(Account, JOIN.LEFT_OUTER)
        .where(Answer.meeting == meeting.id)
        .order_by(Answer.person_label)
    )
    answered = {a.account_id for a in answers if a.account_id}
    other = OrganizationAnswers(None)
    for answer in answers:
        target = rows.get(answer.organization_id, other)
        # The current name while the account exists; the stored label (pseudonym) after erasure.
        name = answer.account.display_name if answer.account_id else answer.person_label
        target.answers.append((name, answer.answer))
    if meeting.label == sharing.RED:
        candidates = context.persons
    else:
        candidates = list(
            Account.select()
            .where(Account.organization.in_(list(org_ids)) & (Account.active == True))  # noqa: E712
            .order_by(Account.display_name)
        )
    for account in candidates:
        if account.id not in answered:
            rows.get(account.organization_id, other).missing.append(account.display_name)
    result = sorted(rows.values(), key=lambda r: r.organization.name)
    if other.answers or other.missing:
        result.append(other)
    return result


def answer_counts(meeting) -> dict[str, int]:
    counts = dict.fromkeys(ANSWERS, 0)
    query = (
        Answer.select(Answer.answer, fn.COUNT(Answer.id).alias("n"))
        .where(Answer.meeting == meeting.id)
        .group_by(Answer.answer)
    )
    for row in query:
        counts[row.answer] = row.n
    return counts


def attendance(meeting) -> dict[int, Attendance]:
    rows = (
        Attendance.select(Attendance, Organization)
        .join(Organization)
        .where(Attendance.meeting == meeting.id)
        .order_by(Organization.name)
    )
    return {a.organization_id: a for a in rows}


def attendance_from_answers(meeting) -> dict[int, str]:
    """A first guess at the attendance, per organisation, from the answers to the invitation:
    someone accepted → present; everyone who answered declined → excused. Organisations with
    no answer or only "maybe" get no guess (one query)."""
    answers = defaultdict(set)
    for row in Answer.select(Answer.organization, Answer.answer).where(
        (Answer.meeting == meeting.id) & Answer.organization.is_null(False)
    ):
        answers[row.organization_id].add(row.answer)
    guesses = {}
    for organization_id, given in answers.items():
        if "yes" in given:
            guesses[organization_id] = "present"
        elif given == {"no"}:
            guesses[organization_id] = "excused"
    return guesses


def record_attendance(context: MeetingContext, rows: dict[int, tuple[str, str]], actor) -> None:
    """rows: organisation id → (status, names). The first record moves the meeting to held
    (a workflow step), which is possible only from the meeting's start on."""
    meeting = context.meeting
    allowed = context.organization_ids
    with write_transaction():
        current = Meeting.get_by_id(meeting.id)
        if current.cancelled or current.state != HELD:
            try:
                rules.WORKFLOW.check(actor, current, "hold")
            except WorkflowError as error:
                raise MeetingError(str(error)) from None
        for organization_id, (status, names) in rows.items():
            if organization_id not in allowed or status not in ATTENDANCE:
                raise MeetingError(_l("Please choose a status for every organisation."))
            Attendance.insert(
                meeting=meeting.id,
                organization=organization_id,
                status=status,
                names=names.strip(),
                recorded_by=actor.id,
                recorded_by_label=actor.display_name,
                recorded_at=utcnow(),
            ).on_conflict(
                conflict_target=[Attendance.meeting, Attendance.organization],
                update={
                    Attendance.status: status,
                    Attendance.names: names.strip(),
                    Attendance.recorded_by: actor.id,
                    Attendance.recorded_by_label: actor.display_name,
                    Attendance.recorded_at: utcnow(),
                },
            ).execute()
        if current.cancelled or current.state != HELD:
            take_step(current, "hold", actor)
        audit.record("meeting.attendance", target=f"meeting:{meeting.id}", actor=actor)


# --- Erasure (DSGVO Art. 17) ----------------------------------------------------------------------


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


# --- Access export (DSGVO Art. 15) ----------------------------------------------------------------


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
