"""vCard 3.0 (the version Outlook reads) for one person, an organisation or the whole list."""

import vobject

from intranet.directory.visibility import can_see
from intranet.platform.i18n import gettext as _


def person_card(viewer, person) -> vobject.base.Component:
    """A card with only what `viewer` may see (every field goes through can_see)."""
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(
        family=person.family_name, given=person.given_name, prefix=person.title
    )
    card.add("fn").value = person.full_name or person.family_name
    card.add("org").value = [person.organization.name]
    if person.function:
        card.add("title").value = person.function
    for field, kind in (("phone", "WORK"), ("mobile", "CELL")):
        value = getattr(person, field)
        if value and can_see(viewer, person, field):
            tel = card.add("tel")
            tel.value = value
            tel.type_param = kind
    if person.email and can_see(viewer, person, "email"):
        email = card.add("email")
        email.value = person.email
        email.type_param = "INTERNET"
    card.add("uid").value = f"urn:intranet:person:{person.id}"
    return card


def organization_card(organization) -> vobject.base.Component:
    """The organisation's general contact, shared with the whole forum."""
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=organization.name)
    card.add("fn").value = organization.name
    card.add("org").value = [organization.name]
    # Apple and Outlook show such a card as a company, not a person.
    card.add("x-abshowas").value = "COMPANY"
    if organization.phone:
        tel = card.add("tel")
        tel.value = organization.phone
        tel.type_param = "WORK"
    if organization.email:
        email = card.add("email")
        email.value = organization.email
        email.type_param = "INTERNET"
    if organization.address:
        # The address as written (no fields to split it into): one street line, as Outlook and
        # phones show it.
        adr = card.add("adr")
        adr.value = vobject.vcard.Address(street=organization.address)
        adr.type_param = "WORK"
    if organization.office_hours:
        card.add("note").value = f"{_('Office hours')}: {organization.office_hours}"
    if organization.website:
        card.add("url").value = organization.website
    card.add("uid").value = f"urn:intranet:organization:{organization.id}"
    return card


def serialize(cards) -> str:
    return "".join(card.serialize() for card in cards)
