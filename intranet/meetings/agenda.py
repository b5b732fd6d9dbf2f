"""The agenda of a meeting: items as each reader may see them (numbered the same for all),
adding, editing, moving and deleting items while the meeting is not cancelled."""

from peewee import JOIN, fn

from intranet.attachments import services as attachments
from intranet.core import audit, sharing
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.meetings import search_provider
from intranet.meetings.access import MeetingError, can_see_agenda_item
from intranet.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingPerson,
)
from intranet.platform.db import serialized, write_transaction
from intranet.platform.errors import NotFound
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def _agenda(meeting_id):
    # Of the presenting organisation only what the agenda shows: its name.
    return (
        AgendaItem.select(AgendaItem, Organization.id, Organization.name)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(AgendaItem.meeting == meeting_id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )


# Every meeting page and its minutes show the agenda: compiled once.
_AGENDA = Prepared(_agenda)


def agenda_rows(meeting, account, person_ids) -> list[tuple[int, AgendaItem | None]]:
    """Every agenda item as (number, item), the item None where `account` may not see it.

    The number is the item's place among all items of the meeting, so that a TOP has the
    same number for every viewer, in the minutes and when people talk about it; a hidden item
    leaves only its number (one query, whatever the size of the agenda).
    """
    items = _AGENDA.run(meeting_id=meeting.id)
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
        audit.record("agenda.added", target=ref("meeting", meeting.id), actor=actor)
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
        audit.record("agenda.updated", target=ref("meeting", item.meeting_id), actor=actor)
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
            raise NotFound
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(shown):
            a, b = shown[index], shown[other]
            a.position, b.position = b.position, a.position
        for item in items:
            if item.position != before[item.id]:
                AgendaItem.update(position=item.position).where(AgendaItem.id == item.id).execute()
        audit.record(
            "agenda.moved", target=ref("meeting", meeting.id), detail=direction, actor=actor
        )


def delete_agenda_item(meeting, item_id: int, actor) -> None:
    with write_transaction():
        _check_agenda_open(meeting.id)
        deleted = (
            AgendaItem.delete()
            .where((AgendaItem.meeting == meeting.id) & (AgendaItem.id == item_id))
            .execute()
        )
        if not deleted:
            raise NotFound
        attachments.delete_for_owner("agenda_item", item_id)
        search_provider.remove_agenda_item(item_id)
        audit.record("agenda.deleted", target=ref("meeting", meeting.id), actor=actor)
