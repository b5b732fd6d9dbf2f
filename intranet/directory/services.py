"""Changes to the directory: entries, memberships; each in one transaction and audited."""

from flask_babel import lazy_gettext as _l

from intranet.auth.access import may_change_clearance
from intranet.core import audit, versioning
from intranet.core.cleaning import clean_line
from intranet.db import utcnow, write_transaction
from intranet.directory import search_provider, text
from intranet.directory.models import Membership, Person

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
    audit.record("person.created", target=f"person:{person.id}")
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
    audit.record("person.updated", target=f"person:{person.id}", detail=", ".join(sorted(values)))
    _record_link_change(person, linked_before)
    return person


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
    if person.account_id != linked_before:
        audit.record(
            "person.account_linked",
            target=f"person:{person.id}",
            detail=f"account:{person.account_id or '-'} (before: account:{linked_before or '-'})",
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
    audit.record("person.deleted", target=f"person:{person.id}")


def add_membership(person: Person, values: dict) -> Membership:
    values = dict(values)
    values["role"] = clean_line(values.get("role"))
    with write_transaction():
        membership = Membership.create(person=person, **values)
    audit.record("membership.created", target=f"person:{person.id}")
    return membership


def delete_membership(membership: Membership) -> None:
    with write_transaction():
        membership.delete_instance()
    audit.record("membership.deleted", target=f"person:{membership.person_id}")
