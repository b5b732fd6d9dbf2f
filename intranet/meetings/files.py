"""Meetings and agenda items as owners of attachments: who sees them, who may add files."""

from dataclasses import dataclass

from flask import url_for

from intranet.attachments import services as attachments
from intranet.attachments.services import Owner
from intranet.meetings import access
from intranet.meetings.models import AgendaItem, Meeting
from intranet.platform.prepared import Prepared


def _meeting_context(meeting_id: int, account):
    meeting = Meeting.get_or_none(Meeting.id == meeting_id)
    if meeting is None:
        return None
    context = access.load_context(meeting)
    return context if context.visible_to(account) else None


def meeting_owner(meeting_id: int, account) -> Owner | None:
    context = _meeting_context(meeting_id, account)
    return None if context is None else context_owner(context, account)


def context_owner(context, account) -> Owner:
    """A meeting already checked as visible."""
    meeting = context.meeting
    return Owner(
        kind="meeting",
        id=meeting.id,
        title=meeting.title,
        url=url_for("meetings.show", meeting_id=meeting.id),
        audience=context.audience,
        may_edit=access.can_plan(account),
    )


def agenda_item_owner(item_id: int, account) -> Owner | None:
    item = AgendaItem.get_or_none(AgendaItem.id == item_id)
    if item is None:
        return None
    context = _meeting_context(item.meeting_id, account)
    if context is None or not access.can_see_agenda_item(
        account, item, context.meeting, context.person_ids
    ):
        return None
    return item_owner(item, context, account)


def item_owner(item, context, account) -> Owner:
    """An agenda item already checked as visible, with its meeting's context."""
    meeting = context.meeting
    return Owner(
        kind="agenda_item",
        id=item.id,
        title=f"{meeting.title}: {item.title}",
        url=url_for("meetings.show", meeting_id=meeting.id, _anchor=f"item-{item.id}"),
        audience=context.item_audience(item),
        may_edit=access.can_plan(account),
    )


@dataclass
class PageFiles:
    """The files shown on a meeting page: the meeting's own and each visible agenda item's."""

    meeting: Owner
    items: dict[int, Owner]
    by_key: dict[str, list]

    def of(self, owner: Owner) -> list:
        return self.by_key.get(owner.key, [])


def _files_of(meeting_id):
    items = AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == meeting_id)
    return attachments.of_item_and_parts("meeting", meeting_id, "agenda_item", items)


# Every file of a meeting and its agenda items, compiled once: the items as a sub-select rather
# than a list of ids, whose length would change the SQL from meeting to meeting.
_FILES_OF = Prepared(_files_of)


def page_files(context, items, account) -> PageFiles:
    """One query for all files of the page; `items` are the agenda items already checked. The
    files of items not among them are read and left out, like those the account may not see."""
    meeting = context_owner(context, account)
    item_owners = {item.id: item_owner(item, context, account) for item in items}
    files = _FILES_OF.run(meeting_id=context.meeting.id)
    by_key = attachments.sort_to_owners([meeting, *item_owners.values()], files, account)
    return PageFiles(meeting, item_owners, by_key)
