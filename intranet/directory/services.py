"""Changes to the directory: entries, memberships; each in one transaction and audited."""

from intranet.auth.access import may_change_clearance
from intranet.core import audit, versioning
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.directory import search_provider, text
from intranet.directory.models import Membership, Person
from intranet.directory.visibility import DataSubject, can_see
from intranet.platform.cleaning import clean_line
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l
from intranet.privacy.services import iso

NAME_FIELDS = ("title", "given_name", "family_name", "function", "languages")
EDITABLE_FIELDS = (
    "organization",
    "function",
    "title",
    "given_name",
    "family_name",
    "form_of_address",
    "phone",
    "phone_visibility",
    "mobile",
    "mobile_visibility",
    "email",
    "email_visibility",
    "languages",
    "consent_on",
    "consent_basis",
    "account",
)
SINGLE_LINE = (
    "function",
    "title",
    "given_name",
    "family_name",
    "phone",
    "mobile",
    "email",
    "languages",
)


class EditConflict(versioning.Conflict):
    """The entry changed since the form was loaded; nothing was saved."""


class DirectoryError(Exception):
    """A change that cannot be made, with a message for the user."""


def refresh_keys(person: Person) -> None:
    """Rebuild the folded search and sort keys from the (already cleaned) fields."""
    person.search_key = text.search_key(
        person.title, person.given_name, person.family_name, person.function
    )
    person.sort_key = text.fold(f"{person.family_name} {person.given_name}")[:250]


def clean(values: dict) -> dict:
    cleaned = dict(values)
    for field in SINGLE_LINE:
        if field in cleaned:
            cleaned[field] = clean_line(cleaned[field])
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


def apply(person: Person, values: dict, actor=None) -> None:
    values = clean(values)
    consent_changed = any(
        field in values and values[field] != getattr(person, field)
        for field in ("consent_on", "consent_basis")
    )
    for field, value in values.items():
        if field not in EDITABLE_FIELDS:
            raise KeyError(field)
        setattr(person, field, value)
    if consent_changed and actor is not None:
        person.consent_recorded_by = actor
    refresh_keys(person)


def create_person(values: dict, actor=None, own_entry: bool = False) -> Person:
    """`own_entry`: a member makes their own, new entry (which holds only what they type)."""
    if not own_entry:
        _check_link_change(None, values, actor)
    person = Person()
    apply(person, values, actor)
    with write_transaction():
        _check_account_free(person)
        person.save(force_insert=True)
        search_provider.index_person(person)
        audit.record("person.created", target=ref("person", person.id))
        _record_link_change(person, None)
    return person


def update_person(person: Person, values: dict, version: int, actor=None) -> Person:
    """Save only if nobody saved the entry since `version` was read."""
    linked_before = person.account_id
    _check_link_change(linked_before, values, actor)
    apply(person, values, actor)
    person.updated_at = utcnow()
    with write_transaction():
        _check_account_free(person)
        data = {field: getattr(person, field) for field in values}
        data.update(
            search_key=person.search_key,
            sort_key=person.sort_key,
            updated_at=person.updated_at,
            consent_recorded_by=person.consent_recorded_by_id,
        )
        try:
            person.version = versioning.update_versioned(Person, person.id, version, **data)
        except versioning.Conflict:
            raise EditConflict() from None
        search_provider.index_person(person)
        audit.record(
            "person.updated", target=ref("person", person.id), detail=", ".join(sorted(values))
        )
        _record_link_change(person, linked_before)
    return person


ORGANIZATION_CONTACT_FIELDS = ("phone", "email", "address", "office_hours")


def has_general_contact(organization: Organization) -> bool:
    return any(getattr(organization, field) for field in ORGANIZATION_CONTACT_FIELDS)


def save_organization_contact(organization: Organization, values: dict) -> Organization:
    """The organisation's general contact, as the whole forum sees it."""
    cleaned = {field: (values.get(field) or "").strip() for field in ORGANIZATION_CONTACT_FIELDS}
    cleaned["phone"] = clean_line(cleaned["phone"])
    cleaned["email"] = clean_line(cleaned["email"]).lower()
    with write_transaction():
        Organization.update(**cleaned).where(Organization.id == organization.id).execute()
        audit.record(
            "organization.updated",
            target=ref("organization", organization.id),
            detail=", ".join(ORGANIZATION_CONTACT_FIELDS),
        )
    for field, value in cleaned.items():
        setattr(organization, field, value)
    return organization


def _check_link_change(linked_before: int | None, values: dict, actor) -> None:
    """An entry's account sees the entry's hidden fields: nobody links or unlinks themself."""
    linked_after = values.get("account", linked_before)
    linked_after = getattr(linked_after, "id", linked_after)  # an Account or its id
    if linked_after == linked_before:
        return
    for account_id in (linked_before, linked_after):
        if account_id is not None and not may_change_clearance(actor, account_id):
            raise DirectoryError(
                _l(
                    "You cannot link your own account to an entry or remove it, as the entry "
                    "decides what you may see. Another coordinator or administrator can do it."
                )
            )


def _record_link_change(person: Person, linked_before: int | None) -> None:
    """Called inside the transaction that saved the entry (this one joins it)."""
    if person.account_id != linked_before:
        with write_transaction():
            audit.record(
                "person.account_linked",
                target=ref("person", person.id),
                detail=f"account:{person.account_id or '-'} "
                f"(before: account:{linked_before or '-'})",
            )


def _check_account_free(person: Person) -> None:
    if person.account_id is None:
        return
    clash = Person.select().where(Person.account == person.account_id)
    if person.id is not None:
        clash = clash.where(Person.id != person.id)
    if clash.exists():
        raise DirectoryError(_l("This account already has a directory entry."))


def delete_person(person: Person) -> None:
    with write_transaction():
        person.delete_instance()
        search_provider.remove_person(person)
        audit.record("person.deleted", target=ref("person", person.id))


def add_membership(person: Person, values: dict) -> Membership:
    values = dict(values)
    values["role"] = clean_line(values.get("role"))
    with write_transaction():
        membership = Membership.create(person=person, **values)
        audit.record("membership.created", target=ref("person", person.id))
    return membership


def delete_membership(membership: Membership) -> None:
    with write_transaction():
        membership.delete_instance()
        audit.record("membership.deleted", target=ref("person", membership.person_id))


# --- DSGVO: the directory's part of the access export (Art. 15) and of erasure (Art. 17) ------------


def person_record(person: Person) -> dict:
    """The entry as its subject sees it (every field), through the one visibility rule."""
    subject = DataSubject(person)
    fields = person._meta.fields
    data = {"id": person.id}
    for name in fields:
        if name in ("id", "search_key", "sort_key") or not can_see(subject, person, name):
            continue
        field = fields[name]
        value = getattr(person, field.name + ("_id" if hasattr(field, "rel_model") else ""), None)
        if name == "organization":
            value = person.organization.name
        data[name] = iso(value)
    return data


def export_directory_data(person, **_ignored):
    """The entry in full and every membership the person holds or is the deputy in."""
    if person is None:
        return {"contact_entry": None, "memberships": []}
    memberships = (
        Membership.select(Membership, Organization)
        .join(Organization)
        .where((Membership.person == person) | (Membership.on_behalf_of == person))
        .order_by(Membership.start_date)
    )
    return {
        "contact_entry": person_record(person),
        "memberships": [
            {
                "organization": m.organization.name,
                "role": m.role,
                "start_date": iso(m.start_date),
                "end_date": iso(m.end_date),
                "deputy_for_person_id": m.on_behalf_of_id,
                "as_deputy_of_this_person": m.person_id != person.id,
            }
            for m in memberships
        ],
    }


def remove_entry_links(person, **_ignored):
    """Memberships go with the entry; where it was someone's deputy, that link is dropped."""
    Membership.update(on_behalf_of=None).where(Membership.on_behalf_of == person).execute()
    Membership.delete().where(Membership.person == person).execute()
    search_provider.remove_person(person)


def forget_consent_recorder(account, **_ignored):
    Person.update(consent_recorded_by=None).where(
        Person.consent_recorded_by == account.id
    ).execute()
