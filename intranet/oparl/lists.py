"""The OParl lists: one page of objects each, as the SQL twins of the areas' rules let them
through, with their paging links and one audit entry per page for what is restricted."""

from collections import defaultdict

from flask import request
from peewee import Expression, fn

from intranet.attachments import services as attachments
from intranet.attachments.models import Attachment
from intranet.core import audit, sharing
from intranet.core.accounts import Organization
from intranet.core.pagination import paginate
from intranet.directory import search as directory_search
from intranet.directory.models import Membership
from intranet.meetings import access as meetings_access
from intranet.meetings.models import AgendaItem, Meeting
from intranet.oparl.bundle import bundle
from intranet.oparl.common import DETAIL_LABELS, PER_PAGE, link
from intranet.oparl.objects import (
    agenda_item_object,
    file_object,
    location_object,
    meeting_object,
    membership_object,
    organization_object,
    person_object,
)


def listing(endpoint: str, page, data: list) -> dict:
    """An OParl list: `data`, `pagination`, and `links` to the neighbouring pages."""

    def page_link(number):
        return link(endpoint, page=number)

    links = {"first": page_link(1), "last": page_link(page.pages)}
    if page.has_previous:
        links["prev"] = page_link(page.number - 1)
    if page.has_next:
        links["next"] = page_link(page.number + 1)
    return {
        "data": data,
        "pagination": {
            "totalElements": page.total,
            "elementsPerPage": page.per_page,
            "currentPage": page.number,
            "totalPages": page.pages,
        },
        "links": links,
    }


def record_listed(kind: str, items, labels_of, account) -> None:
    """A list page carries restricted objects in full: one audit entry per page names those
    that carry restricted content (their own or embedded), like the reads of their own
    addresses would; one entry, so that the number of queries stays fixed."""
    restricted = [
        f"{kind}:{item.id}"
        for item in items
        if not sharing.RESTRICTED_LABELS.isdisjoint(labels_of(item))
    ]
    if restricted:
        detail = f"{request.full_path.rstrip('?')} {' '.join(restricted)}"
        audit.record("oparl.listed", target=restricted[0], detail=detail, actor=account)


def _exported_meetings(account):
    return meetings_access.visible_meetings(account).where(Meeting.label != sharing.RED)


def meeting_list(account) -> dict:
    page = paginate(
        _exported_meetings(account).order_by(Meeting.start.desc(), Meeting.id.desc()), PER_PAGE
    )
    found = bundle(page.items, account)
    shown = [m for m in page.items if m.id in found.contexts]
    record_listed("meeting", shown, found.meeting_labels, account)
    return listing("oparl.meetings", page, [meeting_object(m, found) for m in shown])


def agenda_item_list(account) -> dict:
    query = (
        AgendaItem.select(AgendaItem, Meeting)
        .join(Meeting)
        .where(
            meetings_access.agenda_item_visibility(account)
            & (Meeting.label != sharing.RED)
            & (AgendaItem.label != sharing.RED)
        )
        .order_by(Meeting.start.desc(), Meeting.id.desc(), AgendaItem.position, AgendaItem.id)
    )
    page = paginate(query, PER_PAGE, key=AgendaItem.id)
    meetings = {item.meeting.id: item.meeting for item in page.items}
    found = bundle(list(meetings.values()), account, protocols=False)
    shown = [found.item_by_id[item.id] for item in page.items if item.id in found.item_by_id]
    record_listed("agenda_item", shown, found.item_labels, account)
    return listing("oparl.agenda_items", page, [agenda_item_object(i, found) for i in shown])


def _owning(kind: str, owners) -> Expression:
    """Whether the file on the row the query reads belongs to one of `owners`, a select of
    items of `kind` narrowed to the file's owner: one look-up per file."""
    return (Attachment.owner_kind == kind) & fn.EXISTS(owners)


def _files_naming_organization(organization_id):
    """A file names the organisations its owner names: a meeting's organiser and invited
    organisations, an agenda item's presenting and organising ones."""
    meeting = Meeting.alias("file_meeting")
    item, item_meeting = AgendaItem.alias("file_item"), Meeting.alias("file_item_meeting")
    meetings = meeting.select(meeting.id).where(
        (meeting.id == Attachment.owner_id)
        & (
            (meeting.organization == organization_id)
            | meetings_access.invites(meeting.id, organization_id)
        )
    )
    items = (
        item.select(item.id)
        .join(item_meeting, on=(item.meeting == item_meeting.id))
        .where(
            (item.id == Attachment.owner_id)
            & (
                (item.organization == organization_id)
                | (item_meeting.organization == organization_id)
            )
        )
    )
    return _owning("meeting", meetings) | _owning("agenda_item", items)


def _files_naming_person(account_id):
    return (Attachment.owner_kind == "meeting") & meetings_access.names(
        Attachment.owner_id, account_id
    )


def exported_files_clause(account):
    """The SQL twin of what `bundle` lets through as files: the item visible and exported,
    the file's own label visible, and no AMBER+STRICT or RED on the file or above it.

    Checked on each file's row, with a look-up of its owner. The list used to read every
    visible meeting and agenda item of every year (and every agenda item of the reader's
    organisation) into lists first, work that followed the number of agenda items, five
    for each file in the demo, rather than the files: 6.8 → 2.1 ms of SQL a page at the
    stress size."""
    detailed_meetings = (
        Meeting.select(Meeting.id)
        .where(Meeting.id == Attachment.owner_id)
        .where(meetings_access.visible_clause(account) & Meeting.label.in_(DETAIL_LABELS))
    )
    detailed_items = (
        AgendaItem.select(AgendaItem.id)
        .join(Meeting)
        .where(AgendaItem.id == Attachment.owner_id)
        .where(
            meetings_access.agenda_item_visibility(account)
            & Meeting.label.in_(DETAIL_LABELS)
            & AgendaItem.label.in_(DETAIL_LABELS)
        )
    )
    label = sharing.visible_where(
        account,
        Attachment.label,
        Attachment.id,
        _files_naming_organization,
        _files_naming_person,
        row_columns=(Attachment.owner_kind, Attachment.owner_id),
    )
    owners = _owning("meeting", detailed_meetings) | _owning("agenda_item", detailed_items)
    return owners & label & Attachment.label.in_(DETAIL_LABELS)


def file_list(account) -> dict:
    query = (
        Attachment.select()
        .where(exported_files_clause(account))
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    page = paginate(query, PER_PAGE)
    item_ids = [a.owner_id for a in page.items if a.owner_kind == "agenda_item"]
    item_meetings = (
        dict(
            AgendaItem.select(AgendaItem.id, AgendaItem.meeting)
            .where(AgendaItem.id.in_(item_ids))
            .tuples()
        )
        if item_ids
        else {}
    )
    meeting_ids = {a.owner_id for a in page.items if a.owner_kind == "meeting"}
    meeting_ids |= set(item_meetings.values())
    page_meetings = (
        list(meetings_access.visible_meetings(account).where(Meeting.id.in_(meeting_ids)))
        if meeting_ids
        else []
    )
    found = bundle(page_meetings, account, resolutions=False, protocols=False)
    data, shown = [], []
    for attachment in page.items:
        key = f"{attachment.owner_kind}:{attachment.owner_id}"
        if attachment in found.files.get(key, []):
            owner = found.owners[key]
            meeting_id = owner.id if owner.kind == "meeting" else item_meetings[owner.id]
            data.append(file_object(attachment, owner, meeting_id))
            shown.append((attachment, owner))
    record_listed(
        "attachment",
        [a for a, _o in shown],
        lambda a: attachments.audience(a, found.owners[f"{a.owner_kind}:{a.owner_id}"]).labels,
        account,
    )
    return listing("oparl.files", page, data)


def location_list(account) -> dict:
    """Each meeting with a place the account may learn is one Location."""
    query = (
        _exported_meetings(account)
        .where(
            (Meeting.label.in_(DETAIL_LABELS))
            & (
                (Meeting.room != "")
                | (Meeting.street != "")
                | (Meeting.postal_code != "")
                | (Meeting.city != "")
            )
        )
        .order_by(Meeting.start.desc(), Meeting.id.desc())
    )
    page = paginate(query, PER_PAGE)
    return listing("oparl.locations", page, [location_object(m) for m in page.items])


def memberships_by(column, ids) -> dict:
    """The memberships of these people (or organisations), grouped by `column` (one query).
    Anonymised ones (no person any more) name nobody and are left out."""
    found = defaultdict(list)
    if ids:
        rows = (
            Membership.select()
            .where(column.in_(ids) & Membership.person.is_null(False))
            .order_by(Membership.start_date, Membership.id)
        )
        for membership in rows:
            found[getattr(membership, f"{column.name}_id")].append(membership)
    return found


def person_list(account) -> dict:
    page = paginate(directory_search.people(), PER_PAGE)
    memberships = memberships_by(Membership.person, [p.id for p in page.items])
    data = [person_object(p, memberships[p.id], account) for p in page.items]
    return listing("oparl.people", page, data)


def membership_list(account) -> dict:
    # Anonymised memberships (no person any more) name nobody and are left out.
    query = Membership.select().where(Membership.person.is_null(False)).order_by(Membership.id)
    page = paginate(query, PER_PAGE)
    return listing("oparl.memberships", page, [membership_object(m) for m in page.items])


def organization_list(account) -> dict:
    page = paginate(Organization.select().order_by(Organization.name, Organization.id), PER_PAGE)
    memberships = memberships_by(Membership.organization, [o.id for o in page.items])
    data = [organization_object(o, memberships[o.id]) for o in page.items]
    return listing("oparl.organizations", page, data)


def empty_list(endpoint: str) -> dict:
    return listing(endpoint, paginate(Meeting.select().where(Meeting.id.is_null()), PER_PAGE), [])
