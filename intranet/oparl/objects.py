"""The OParl objects themselves, built from what a `Bundle` loaded (or one row): what an
account may read of them is decided before they are built, and each writes only that."""

from flask import current_app

from intranet.attachments import services as attachments
from intranet.core import sharing, times
from intranet.core.ids import ref
from intranet.directory import visibility as directory
from intranet.minutes import export as minutes_export
from intranet.minutes import numbering
from intranet.oparl.bundle import Bundle
from intranet.oparl.common import (
    FORMS_OF_ADDRESS,
    OPARL,
    PER_PAGE,
    PREFIX,
    clean,
    extension,
    link,
    public,
    stamp,
)


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
