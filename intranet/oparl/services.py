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

The objects are built in `objects` from a `Bundle` (`bundle`), the lists in `lists`; this
module answers one object by its address and holds the personal token.
"""

from intranet.attachments import services as attachments
from intranet.auth.tokens import PersonalToken
from intranet.core import audit
from intranet.core.accounts import Organization
from intranet.directory.models import Membership, Person
from intranet.meetings import access as meetings_access
from intranet.meetings.models import AgendaItem
from intranet.minutes import access
from intranet.minutes import export as minutes_export
from intranet.oparl.bundle import bundle
from intranet.oparl.common import EXPORTED_OWNERS, exported
from intranet.oparl.lists import memberships_by
from intranet.oparl.models import OparlToken
from intranet.oparl.objects import (
    agenda_item_object,
    file_object,
    location_object,
    meeting_object,
    membership_object,
    minutes_file_object,
    organization_object,
    person_object,
)
from intranet.platform.errors import NotFound
from intranet.platform.web import download as download_response

TOKEN = PersonalToken(OparlToken, "oparl", "oparl.token_renewed", "oparl.token_revoked")


# --- One object by its address: the areas' loaders decide, then the export's own rule ---------


def get_meeting(meeting_id: int, account) -> tuple:
    # The loader notes the read; it is written only if the answer is served (core.audit).
    context = meetings_access.get_meeting_or_404(meeting_id, account=account)
    if not exported(context.audience):
        raise NotFound()  # RED never leaves the intranet (and nothing was read)
    return context.meeting, bundle([context.meeting], account)


def meeting(meeting_id: int, account) -> dict:
    found_meeting, found = get_meeting(meeting_id, account)
    return meeting_object(found_meeting, found)


def agenda_item(meeting_id: int, item_id: int, account) -> dict:
    _meeting, found = get_meeting(meeting_id, account)
    item = found.item_by_id.get(item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound()
    return agenda_item_object(item, found)


def location(meeting_id: int, account) -> dict:
    found_meeting, found = get_meeting(meeting_id, account)
    if not (found.contexts[meeting_id].audience.leaves_intranet and found_meeting.location_text):
        raise NotFound()
    return location_object(found_meeting)


def get_protocol(minutes_id: int, account):
    """Released minutes exported as their meeting's resultsProtocol, else 404."""
    context = access.get_minutes_or_404(minutes_id, account=account, record_view=False)
    meeting_id = context.meeting.id
    _meeting, found = get_meeting(meeting_id, account)
    chosen = found.protocols.get(meeting_id)
    if chosen is None or chosen[0].minutes.id != minutes_id:
        raise NotFound()
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
        raise NotFound()
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
        raise NotFound()
    return person_object(found, memberships_by(Membership.person, [found.id])[found.id], account)


def membership(person_id: int, membership_id: int) -> dict:
    found = Membership.get_or_none(
        (Membership.id == membership_id) & (Membership.person == person_id)
    )
    if found is None:
        raise NotFound()
    return membership_object(found)


def organization(organization_id: int) -> dict:
    found = Organization.get_or_none(Organization.id == organization_id)
    if found is None:
        raise NotFound()
    return organization_object(found, memberships_by(Membership.organization, [found.id])[found.id])


def export_token_data(person, account=None, **_ignored):
    """Art. 15: whether the person's account has an OParl token (never the token itself)."""
    if account is None:
        return {}
    return {"oparl_token": OparlToken.select().where(OparlToken.account == account.id).exists()}
