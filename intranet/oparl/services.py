"""OParl 1.1 objects as one account may see them, and only what may leave the intranet.

The export is read by programs (a council information system, an archive), so it follows the
feeds' rule (core.sharing): nothing under TLP:RED anywhere up its chain is in it (404 by its
address, absent from every list); under TLP:AMBER+STRICT an object carries its title and
time only (no place, organisations, files or decisions); files only where they may be
downloaded. Access itself comes from the areas' loaders and their SQL twins, never from rules
of this module. The sharing label travels in the extension field `sicherheitsdialog:label`.

Released minutes are the meeting's `resultsProtocol`: a File whose download is the PDF the
minutes page offers the same account (the latest released version: a correction replaces the
original), with its number and, at the file's own address, the release note
(`sicherheitsdialog:releaseNote`) as that PDF prints it.

Lists take a fixed number of queries per page: one count, one page, and one `Bundle` that
loads what the page's meetings need (invited organisations, named persons, agenda items,
files, released decisions) in six queries, whatever the number of meetings.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask import abort, current_app, request, url_for

from intranet.attachments import services as attachments
from intranet.attachments.models import Attachment
from intranet.auth.tokens import PersonalToken
from intranet.core import audit, sharing, times
from intranet.core.accounts import Account, Organization
from intranet.core.ids import ref
from intranet.core.pagination import paginate
from intranet.directory import search as directory_search
from intranet.directory import visibility as directory
from intranet.directory.models import Membership, Person
from intranet.meetings import access as meetings_access
from intranet.meetings import files as meeting_files
from intranet.meetings.models import AgendaItem, Meeting, MeetingOrganization, MeetingPerson
from intranet.minutes import access, numbering
from intranet.minutes import export as minutes_export
from intranet.minutes.models import RELEASED, Decision, Minutes, MinutesSection
from intranet.oparl.models import OparlToken
from intranet.platform.web import download as download_response

OPARL = "https://schema.oparl.org/1.1/"
PREFIX = "sicherheitsdialog"  # the project's own prefix for extension fields
PER_PAGE = 50
# Files of these items are exported (Meeting.auxiliaryFile, AgendaItem.auxiliaryFile); files of
# minutes stay on the minutes pages, whose workflow decides more than a label can say.
EXPORTED_OWNERS = ("meeting", "agenda_item")
DETAIL_LABELS = tuple(label for label in sharing.LABELS if sharing.shows_detail(label))
FORMS_OF_ADDRESS = {"ms": "Frau", "mr": "Herr"}

TOKEN = PersonalToken(OparlToken, "oparl", "oparl.token_renewed", "oparl.token_revoked")


def link(endpoint: str, **args) -> str:
    return url_for(endpoint, _external=True, **args)


def stamp(value) -> str | None:
    """A stored naive UTC time as ISO 8601 with the Berlin offset."""
    return times.to_local(value).isoformat() if value else None


def exported(audience: sharing.Audience) -> bool:
    """Whether an item appears at all: no TLP:RED anywhere up its chain (never in exports)."""
    return all(sharing.in_feeds(label) for label in audience.labels)


def extension(audience: sharing.Audience) -> dict:
    strictest = max(audience.labels, key=sharing.LABELS.index)
    return {f"{PREFIX}:label": sharing.LABEL_NAMES[strictest]}


def public(audience: sharing.Audience) -> bool:
    """OParl `public`: only what may be published outside the forum, all the way up."""
    return all(sharing.is_public(label) for label in audience.labels)


def clean(data: dict) -> dict:
    """OParl leaves out what is unknown rather than writing null or an empty string."""
    return {key: value for key, value in data.items() if value not in (None, "")}


# --- What a page of meetings needs, in a fixed number of queries --------------------------------


@dataclass
class Bundle:
    account: object
    contexts: dict = field(default_factory=dict)  # meeting id -> MeetingContext
    items: dict = field(default_factory=dict)  # meeting id -> exported agenda items, numbered
    item_by_id: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)  # owner key -> attachments.Owner
    files: dict = field(default_factory=dict)  # owner key -> exported attachments
    resolutions: dict = field(default_factory=dict)  # agenda item id -> decisions' text
    # meeting id -> (MinutesContext, strictest label of what its PDF carries for the account)
    protocols: dict = field(default_factory=dict)

    def item_audience(self, item) -> sharing.Audience:
        return self.contexts[item.meeting_id].item_audience(item)

    def _file_labels(self, owner_key: str) -> set:
        owner = self.owners.get(owner_key)
        return {
            label
            for attachment in self.files.get(owner_key, [])
            for label in attachments.audience(attachment, owner).labels
        }

    def item_labels(self, item) -> set:
        """Every label on what an exported agenda item carries: its own chain, its files."""
        return {*self.item_audience(item).labels, *self._file_labels(ref("agenda_item", item.id))}

    def meeting_labels(self, meeting) -> set:
        """Every label on what an exported meeting carries, its agenda items included."""
        labels = {*self.contexts[meeting.id].audience.labels}
        labels |= self._file_labels(ref("meeting", meeting.id))
        if meeting.id in self.protocols:
            labels.add(self.protocols[meeting.id][1])
        for item in self.items[meeting.id]:
            labels |= self.item_labels(item)
        return labels


def bundle(meeting_list, account) -> Bundle:
    found = Bundle(account)
    meeting_list = [m for m in meeting_list if m is not None]
    ids = [m.id for m in meeting_list]
    if not ids:
        return found
    invited, persons = defaultdict(list), defaultdict(list)
    rows = (
        MeetingOrganization.select(MeetingOrganization, Organization)
        .join(Organization)
        .where(MeetingOrganization.meeting.in_(ids))
        .order_by(Organization.name)
    )
    for row in rows:
        invited[row.meeting_id].append(row.organization)
    rows = (
        MeetingPerson.select(MeetingPerson, Account)
        .join(Account)
        .where(MeetingPerson.meeting.in_(ids))
    )
    for row in rows:
        persons[row.meeting_id].append(row.account)
    for meeting in meeting_list:
        context = meetings_access.MeetingContext(meeting, invited[meeting.id], persons[meeting.id])
        if context.visible_to(account) and exported(context.audience):
            found.contexts[meeting.id] = context
            found.items[meeting.id] = []

    # Every item of the meetings, so that a TOP has the same number for every reader.
    numbers = defaultdict(int)
    items = (
        AgendaItem.select()
        .where(AgendaItem.meeting.in_(list(found.contexts)))
        .order_by(AgendaItem.meeting, AgendaItem.position, AgendaItem.id)
    )
    for item in items:
        numbers[item.meeting_id] += 1
        item.number = numbers[item.meeting_id]
        context = found.contexts[item.meeting_id]
        if meetings_access.can_see_agenda_item(
            account, item, context.meeting, context.person_ids
        ) and exported(context.item_audience(item)):
            found.items[item.meeting_id].append(item)
            found.item_by_id[item.id] = item

    owners = []
    for meeting_id, context in found.contexts.items():
        if context.audience.leaves_intranet:
            owners.append(meeting_files.context_owner(context, account))
        for item in found.items[meeting_id]:
            if context.item_audience(item).leaves_intranet:
                owners.append(meeting_files.item_owner(item, context, account))
    found.owners = {owner.key: owner for owner in owners}
    for key, files in attachments.for_owners(owners, account).items():
        owner = found.owners[key]
        found.files[key] = [a for a in files if attachments.audience(a, owner).leaves_intranet]

    found.resolutions = _resolutions(found, account)
    found.protocols = _protocols(found, account)
    return found


def _protocols(found: Bundle, account) -> dict:
    """Meeting.resultsProtocol: per meeting, the latest released minutes whose PDF this account
    may take (the minutes' export rule, nothing under RED or AMBER+STRICT up the chain), with
    the strictest label of the PDF's content (two queries, whatever the number of meetings)."""
    rows = (
        access.visible_minutes(account, "export")
        .where((Minutes.state == RELEASED) & Minutes.meeting.in_(list(found.contexts)))
        .order_by(Minutes.released_at, Minutes.id)
    )
    chosen = {}
    for row in rows:
        context = access.MinutesContext(row, found.contexts[row.meeting_id])
        if context.may(account, "export") and context.audience.leaves_intranet:
            chosen[row.meeting_id] = context  # a later release (a correction) replaces
    if not chosen:
        return {}
    labels = {m: set(c.audience.labels) for m, c in chosen.items()}
    # What the PDF carries: the sections the account may read that may leave the intranet.
    sections = access.visible_sections(account).where(
        MinutesSection.minutes.in_([c.minutes.id for c in chosen.values()])
    )
    for section in sections:
        context = chosen[section.minutes.meeting_id]
        if context.section_visible(account, section):
            audience = context.section_audience(section)
            if audience.leaves_intranet:
                labels[section.minutes.meeting_id].add(section.label)
    return {
        meeting_id: (context, max(labels[meeting_id], key=sharing.LABELS.index))
        for meeting_id, context in chosen.items()
    }


def _resolutions(found: Bundle, account) -> dict:
    """AgendaItem.resolutionText: the decisions of the released minutes' section about the
    item, where the account may read that section and its text may leave the intranet. A
    correction released later replaces the original's decisions."""
    item_ids = [
        item.id for item in found.item_by_id.values() if found.item_audience(item).leaves_intranet
    ]
    if not item_ids:
        return {}
    sections = list(
        access.visible_sections(account)
        .where((Minutes.state == RELEASED) & MinutesSection.agenda_item.in_(item_ids))
        .order_by(Minutes.released_at, Minutes.id, MinutesSection.position)
    )
    decisions = defaultdict(list)
    if sections:
        rows = (
            Decision.select()
            .where(Decision.section.in_([s.id for s in sections]))
            .order_by(Decision.position, Decision.id)
        )
        for decision in rows:
            decisions[decision.section_id].append(decision.text)
    chosen = {}  # item id -> (minutes id, texts)
    for section in sections:
        context = found.contexts.get(section.minutes.meeting_id)
        if context is None:
            continue
        minutes_context = access.MinutesContext(section.minutes, context)
        audience = minutes_context.section_audience(section)
        # The minutes' own export rule (released, whole chain may leave), then the section's.
        if not (
            minutes_context.may(account, "export")
            and minutes_context.section_visible(account, section)
            and audience.leaves_intranet
        ):
            continue
        minutes_id, texts = chosen.get(section.agenda_item_id, (None, []))
        if minutes_id != section.minutes.id:
            texts = []  # later released minutes (a correction) replace earlier ones
        chosen[section.agenda_item_id] = (section.minutes.id, texts + decisions[section.id])
    return {item_id: "\n\n".join(texts) for item_id, (_m, texts) in chosen.items() if texts}


# --- Objects ------------------------------------------------------------------------------------


def system_object() -> dict:
    return {
        "id": link("oparl.system"),
        "type": OPARL + "System",
        "oparlVersion": OPARL,
        "body": link("oparl.bodies"),
        "name": current_app.config["FORUM_NAME"],
        "website": link("pages.home"),
    }


def body_object() -> dict:
    return {
        "id": link("oparl.body"),
        "type": OPARL + "Body",
        "system": link("oparl.system"),
        "name": current_app.config["FORUM_NAME"],
        "website": link("pages.home"),
        "organization": link("oparl.organizations"),
        "person": link("oparl.people"),
        "meeting": link("oparl.meetings"),
        "paper": link("oparl.papers"),
        "legislativeTerm": [],
        "agendaItem": link("oparl.agenda_items"),
        "file": link("oparl.files"),
        "locationList": link("oparl.locations"),
        "membership": link("oparl.memberships"),
        "web": link("pages.home"),
    }


def body_list() -> dict:
    """System.body: a list, of one Body here."""
    address = link("oparl.bodies")
    return {
        "data": [body_object()],
        "pagination": {
            "totalElements": 1,
            "elementsPerPage": PER_PAGE,
            "currentPage": 1,
            "totalPages": 1,
        },
        "links": {"first": address, "last": address},
    }


def meeting_object(meeting, found: Bundle) -> dict:
    context = found.contexts[meeting.id]
    audience = context.audience
    data = {
        "id": link("oparl.meeting", meeting_id=meeting.id),
        "type": OPARL + "Meeting",
        "name": meeting.title,
        "meetingState": meeting.state,
        "cancelled": meeting.cancelled,
        "start": stamp(meeting.start),
        "end": stamp(meeting.end),
        "agendaItem": [agenda_item_object(item, found) for item in found.items[meeting.id]],
        "web": link("meetings.show", meeting_id=meeting.id),
        "created": stamp(meeting.created_at),
        "modified": stamp(meeting.updated_at),
        **extension(audience),
    }
    if meeting.id in found.protocols:
        data["resultsProtocol"] = minutes_file_object(*found.protocols[meeting.id])
    if audience.leaves_intranet:
        # AMBER+STRICT: title and time only — not even who was involved or where.
        data["organization"] = [
            link("oparl.organization", organization_id=i) for i in sorted(context.organization_ids)
        ]
        if meeting.location_text:
            data["location"] = location_object(meeting)
        owner_key = ref("meeting", meeting.id)
        data["auxiliaryFile"] = [
            file_object(a, found.owners[owner_key], meeting.id)
            for a in found.files.get(owner_key, [])
        ]
    return clean(data)


def agenda_item_object(item, found: Bundle) -> dict:
    audience = found.item_audience(item)
    data = {
        "id": link("oparl.agenda_item", meeting_id=item.meeting_id, item_id=item.id),
        "type": OPARL + "AgendaItem",
        "meeting": link("oparl.meeting", meeting_id=item.meeting_id),
        "number": str(item.number),
        "order": item.position,
        "name": item.title,
        "public": public(audience),
        "web": link("meetings.show", meeting_id=item.meeting_id, _anchor=f"item-{item.id}"),
        **extension(audience),
    }
    if audience.leaves_intranet:
        data["resolutionText"] = found.resolutions.get(item.id)
        owner_key = ref("agenda_item", item.id)
        data["auxiliaryFile"] = [
            file_object(a, found.owners[owner_key], item.meeting_id)
            for a in found.files.get(owner_key, [])
        ]
    return clean(data)


def location_object(meeting) -> dict:
    return clean(
        {
            "id": link("oparl.location", meeting_id=meeting.id),
            "type": OPARL + "Location",
            "description": meeting.location_text,
            "room": meeting.room,
            "streetAddress": meeting.street,
            "postalCode": meeting.postal_code,
            "locality": meeting.city,
            "meetings": [link("oparl.meeting", meeting_id=meeting.id)],
        }
    )


def file_object(attachment, owner, meeting_id: int) -> dict:
    if owner.kind == "meeting":
        reference = {"meeting": [link("oparl.meeting", meeting_id=owner.id)]}
    else:
        reference = {
            "agendaItem": [link("oparl.agenda_item", meeting_id=meeting_id, item_id=owner.id)]
        }
    address = link("oparl.download", attachment_id=attachment.id)
    return {
        "id": link("oparl.file", attachment_id=attachment.id),
        "type": OPARL + "File",
        "name": attachment.name,
        "fileName": attachment.file_name,
        "mimeType": attachment.mime_type,
        "size": attachment.size,
        "date": times.to_local(attachment.created_at).date().isoformat(),
        "accessUrl": address,
        "downloadUrl": address,
        **reference,
        "created": stamp(attachment.created_at),
        "modified": stamp(attachment.created_at),
        # The stored checksum; OParl knows SHA-1 and SHA-512 only.
        f"{PREFIX}:sha256Checksum": attachment.sha256,
        **extension(attachments.audience(attachment, owner)),
    }


def minutes_file_object(context, label: str, note=None) -> dict:
    """Released minutes as an OParl File: the PDF of the minutes page. `note`: the release
    note as the account reads it (at the file's own address)."""
    record = context.minutes
    address = link("oparl.minutes_download", minutes_id=record.id)
    data = {
        "id": link("oparl.minutes_file", minutes_id=record.id),
        "type": OPARL + "File",
        "name": numbering.document_title(record),
        "fileName": minutes_export.file_name(record),
        "mimeType": "application/pdf",
        "date": stamp(record.released_at)[:10] if record.released_at else None,
        "accessUrl": address,
        "downloadUrl": address,
        "meeting": [link("oparl.meeting", meeting_id=record.meeting_id)],
        "created": stamp(record.created_at),
        "modified": stamp(record.released_at),
        "web": link("minutes.show", minutes_id=record.id),
        f"{PREFIX}:number": numbering.citation(record),
        # The checksum frozen at release, over the canonical text (the PDF cites it).
        f"{PREFIX}:releasedSha256": record.released_sha256,
        f"{PREFIX}:label": sharing.LABEL_NAMES[label],
    }
    if record.corrects_id:
        data[f"{PREFIX}:correction"] = True  # the number above is the original's
    if note is not None:
        data[f"{PREFIX}:releaseNote"] = release_note_object(context, note)
    return clean(data)


def release_note_object(context, note) -> dict:
    """The Freigabevermerk as the PDF prints it for this account (minutes.export decides what
    of it may leave the intranet)."""
    return clean(
        {
            "reviewedBy": note.reviewed_by,
            "reviewed": stamp(note.reviewed_at),
            "releasedBy": note.released_by,
            "released": stamp(note.released_at),
            "earlyRelease": note.early,
            # Only for the editorial circle, as on the page.
            "earlyReleaseReason": note.early_reason if note.early else None,
            "objections": [
                clean(
                    {
                        "organization": link(
                            "oparl.organization", organization_id=c.organization_id
                        )
                        if c.organization_id
                        else None,
                        "about": c.section.title if c.section_id else None,
                        "text": c.text,
                        "state": "answered" if c.resolved_at else "open",
                        "answered": stamp(c.resolved_at),
                        "answer": c.resolution if c.resolved_at else None,
                    }
                )
                for c in note.objections
            ],
            "signoff": [
                clean(
                    {
                        "organization": link(
                            "oparl.organization", organization_id=row.organization.id
                        ),
                        # consented / objected / silent (consent by expiry) / waiting
                        "state": row.state,
                        "date": stamp(row.at),
                        "objectionAnswered": row.resolved if row.state == "objected" else None,
                    }
                )
                for row in note.organizations
            ],
        }
    )


def organization_object(organization, memberships) -> dict:
    return clean(
        {
            "id": link("oparl.organization", organization_id=organization.id),
            "type": OPARL + "Organization",
            "body": link("oparl.body"),
            "name": organization.name,
            "shortName": organization.short_name,
            "organizationType": organization.kind,
            "classification": organization.status,
            "startDate": organization.joined_on.isoformat() if organization.joined_on else None,
            "website": organization.website,
            "membership": [
                link("oparl.membership", person_id=m.person_id, membership_id=m.id)
                for m in memberships
            ],
            "web": link("directory.organization", organization_id=organization.id),
        }
    )


def person_object(person, memberships, account) -> dict:
    """What the contacts pages show this account: names and function to everyone, each phone
    number and address only where its own visibility lets the account see it."""
    phones = [directory.visible(account, person, f) for f in ("phone", "mobile")]
    email = directory.visible(account, person, "email")
    return clean(
        {
            "id": link("oparl.person", person_id=person.id),
            "type": OPARL + "Person",
            "body": link("oparl.body"),
            "name": person.full_name,
            "familyName": person.family_name,
            "givenName": person.given_name,
            "formOfAddress": FORMS_OF_ADDRESS.get(person.form_of_address),
            "title": [person.title] if person.title else None,
            "status": [person.function] if person.function else None,
            "phone": [p for p in phones if p] or None,
            "email": [email] if email else None,
            "membership": [membership_object(m) for m in memberships],
            "web": link("directory.contact", person_id=person.id),
        }
    )


def membership_object(membership) -> dict:
    data = {
        "id": link("oparl.membership", person_id=membership.person_id, membership_id=membership.id),
        "type": OPARL + "Membership",
        "person": link("oparl.person", person_id=membership.person_id),
        "organization": link("oparl.organization", organization_id=membership.organization_id),
        "role": membership.role,
        "startDate": membership.start_date.isoformat() if membership.start_date else None,
        "endDate": membership.end_date.isoformat() if membership.end_date else None,
    }
    if membership.on_behalf_of_id:
        # OParl's onBehalfOf names an organisation; here it is the person being deputised for.
        data[f"{PREFIX}:deputyFor"] = link("oparl.person", person_id=membership.on_behalf_of_id)
    return clean(data)


# --- Lists --------------------------------------------------------------------------------------


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
            AgendaItem.id.in_(meetings_access.visible_agenda_items(account))
            & (Meeting.label != sharing.RED)
            & (AgendaItem.label != sharing.RED)
        )
        .order_by(Meeting.start.desc(), Meeting.id.desc(), AgendaItem.position, AgendaItem.id)
    )
    page = paginate(query, PER_PAGE)
    found = bundle(list({item.meeting.id: item.meeting for item in page.items}.values()), account)
    shown = [found.item_by_id[item.id] for item in page.items if item.id in found.item_by_id]
    record_listed("agenda_item", shown, found.item_labels, account)
    return listing("oparl.agenda_items", page, [agenda_item_object(i, found) for i in shown])


def _files_naming_organization(organization_id):
    file = Attachment.alias("f_org")
    return file.select(file.id).where(
        (
            (file.owner_kind == "meeting")
            & file.owner_id.in_(meetings_access.organization_meetings(organization_id))
        )
        | (
            (file.owner_kind == "agenda_item")
            & file.owner_id.in_(meetings_access.agenda_items_of_organization(organization_id))
        )
    )


def _files_naming_person(account_id):
    file = Attachment.alias("f_per")
    return file.select(file.id).where(
        (file.owner_kind == "meeting")
        & file.owner_id.in_(meetings_access.named_meetings(account_id))
    )


def exported_files_clause(account):
    """The SQL twin of what `bundle` lets through as files: the item visible and exported,
    the file's own label visible, and no AMBER+STRICT or RED on the file or above it."""
    detailed_meetings = Meeting.select(Meeting.id).where(
        meetings_access.visible_clause(account) & Meeting.label.in_(DETAIL_LABELS)
    )
    detailed_items = meetings_access.visible_agenda_items(account).where(
        Meeting.label.in_(DETAIL_LABELS) & AgendaItem.label.in_(DETAIL_LABELS)
    )
    label = sharing.visible_where(
        account, Attachment.label, Attachment.id, _files_naming_organization, _files_naming_person
    )
    owners = ((Attachment.owner_kind == "meeting") & Attachment.owner_id.in_(detailed_meetings)) | (
        (Attachment.owner_kind == "agenda_item") & Attachment.owner_id.in_(detailed_items)
    )
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
    found = bundle(page_meetings, account)
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


def _memberships_by(column, ids) -> dict:
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
    memberships = _memberships_by(Membership.person, [p.id for p in page.items])
    data = [person_object(p, memberships[p.id], account) for p in page.items]
    return listing("oparl.people", page, data)


def membership_list(account) -> dict:
    # Anonymised memberships (no person any more) name nobody and are left out.
    query = Membership.select().where(Membership.person.is_null(False)).order_by(Membership.id)
    page = paginate(query, PER_PAGE)
    return listing("oparl.memberships", page, [membership_object(m) for m in page.items])


def organization_list(account) -> dict:
    page = paginate(Organization.select().order_by(Organization.name, Organization.id), PER_PAGE)
    memberships = _memberships_by(Membership.organization, [o.id for o in page.items])
    data = [organization_object(o, memberships[o.id]) for o in page.items]
    return listing("oparl.organizations", page, data)


def empty_list(endpoint: str) -> dict:
    return listing(endpoint, paginate(Meeting.select().where(Meeting.id.is_null()), PER_PAGE), [])


# --- One object by its address: the areas' loaders decide, then the export's own rule ---------


def get_meeting(meeting_id: int, account) -> tuple:
    # The loader notes the read; it is written only if the answer is served (core.audit).
    context = meetings_access.get_meeting_or_404(meeting_id, account=account)
    if not exported(context.audience):
        abort(404)  # RED never leaves the intranet (and nothing was read)
    return context.meeting, bundle([context.meeting], account)


def meeting(meeting_id: int, account) -> dict:
    found_meeting, found = get_meeting(meeting_id, account)
    return meeting_object(found_meeting, found)


def agenda_item(meeting_id: int, item_id: int, account) -> dict:
    _meeting, found = get_meeting(meeting_id, account)
    item = found.item_by_id.get(item_id)
    if item is None or item.meeting_id != meeting_id:
        abort(404)
    return agenda_item_object(item, found)


def location(meeting_id: int, account) -> dict:
    found_meeting, found = get_meeting(meeting_id, account)
    if not (found.contexts[meeting_id].audience.leaves_intranet and found_meeting.location_text):
        abort(404)
    return location_object(found_meeting)


def get_protocol(minutes_id: int, account):
    """Released minutes exported as their meeting's resultsProtocol, else 404."""
    context = access.get_minutes_or_404(minutes_id, account=account, record_view=False)
    meeting_id = context.meeting.id
    _meeting, found = get_meeting(meeting_id, account)
    chosen = found.protocols.get(meeting_id)
    if chosen is None or chosen[0].minutes.id != minutes_id:
        abort(404)
    return chosen


def minutes_file(minutes_id: int, account) -> dict:
    context, label = get_protocol(minutes_id, account)
    audit.record_read("minutes", minutes_id, context.audience.labels, account)
    return minutes_file_object(
        context, label, minutes_export.leaving_release_note(context, account)
    )


def minutes_download(minutes_id: int, account):
    context, _label = get_protocol(minutes_id, account)
    # The same document as the minutes page's PDF (which writes minutes.exported).
    document = minutes_export.prepare(context, account)
    return download_response(
        minutes_export.pdf(document), minutes_export.file_name(context.minutes), "application/pdf"
    )


def get_file(attachment_id: int, account):
    attachment, owner = attachments.get_attachment_or_404(attachment_id, account=account)
    audience = attachments.audience(attachment, owner)
    if owner.kind not in EXPORTED_OWNERS or not audience.leaves_intranet:
        abort(404)
    return attachment, owner


def file(attachment_id: int, account) -> dict:
    attachment, owner = get_file(attachment_id, account)
    meeting_id = owner.id
    if owner.kind == "agenda_item":
        meeting_id = AgendaItem.get_by_id(owner.id).meeting_id
    audit.record_read(
        "attachment", attachment.id, attachments.audience(attachment, owner).labels, account
    )
    return file_object(attachment, owner, meeting_id)


def download(attachment_id: int, account):
    attachment, owner = get_file(attachment_id, account)
    return attachments.download_response(attachment, owner, account)


def person(person_id: int, account) -> dict:
    found = (
        Person.select(Person, Organization).join(Organization).where(Person.id == person_id).first()
    )
    if found is None:
        abort(404)
    return person_object(found, _memberships_by(Membership.person, [found.id])[found.id], account)


def membership(person_id: int, membership_id: int) -> dict:
    found = Membership.get_or_none(
        (Membership.id == membership_id) & (Membership.person == person_id)
    )
    if found is None:
        abort(404)
    return membership_object(found)


def organization(organization_id: int) -> dict:
    found = Organization.get_or_none(Organization.id == organization_id)
    if found is None:
        abort(404)
    return organization_object(
        found, _memberships_by(Membership.organization, [found.id])[found.id]
    )


def export_token_data(person, account=None, **_ignored):
    """Art. 15: whether the person's account has an OParl token (never the token itself)."""
    if account is None:
        return {}
    return {"oparl_token": OparlToken.select().where(OparlToken.account == account.id).exists()}
