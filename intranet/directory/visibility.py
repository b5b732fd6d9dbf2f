"""The one rule for who sees which field of a contact entry; every page and export asks it.

Names, organisation, function and languages are shared with the whole forum. Each phone and
email carries its own visibility. Coordinators keep the directory and see everything; a person
sees their own entry in full. Admins get no automatic access (separation of duties, DOMAIN.md):
they see what a member of their own organisation would see. Their DSGVO tasks (Art. 15 export,
erasure) go through the audited admin pages, built by intranet/privacy/services.py.
"""

from intranet.core.accounts import OrganizationKind, Role
from intranet.directory.models import CONTACT_FIELDS, DEFAULT_VISIBILITY, Visibility

PUBLIC_FIELDS = (
    "title",
    "given_name",
    "family_name",
    "form_of_address",
    "organization",
    "function",
    "languages",
)
CONSENT_FIELDS = ("consent_on", "consent_basis", "consent_recorded_by")
# Bookkeeping that belongs to the entry's subject (Art. 15) but is shown on no page.
RECORD_FIELDS = ("account", "version", "created_at", "updated_at")


# Those who keep the directory: coordinators, and the admins who keep the organisations.
KEEPERS = (Role.COORDINATOR, Role.ADMIN)


def is_coordinator(viewer) -> bool:
    return getattr(viewer, "role", None) == Role.COORDINATOR


class DataSubject:
    """The person an Art. 15 answer is written for: like the owner, they see their whole entry.

    The admin's export goes through this rule as that person, not as the admin.
    """

    role = None
    organization_id = None

    def __init__(self, person):
        self.person_id = person.id
        self.id = person.account_id


def is_own_entry(viewer, person) -> bool:
    if isinstance(viewer, DataSubject):
        return viewer.person_id == person.id
    return person.account_id is not None and person.account_id == getattr(viewer, "id", None)


def can_see(viewer, person, field: str) -> bool:
    """May `viewer` (a signed-in account) see `field` of `person`? Uses no query."""
    if field in PUBLIC_FIELDS:
        return True
    if is_coordinator(viewer) or is_own_entry(viewer, person):
        return True
    if field in RECORD_FIELDS:
        return isinstance(viewer, DataSubject) and is_own_entry(viewer, person)
    if field in CONSENT_FIELDS:
        # The consent record is DSGVO bookkeeping, which is the admin's task.
        return getattr(viewer, "role", None) == Role.ADMIN
    if field in CONTACT_FIELDS:
        level = getattr(person, f"{field}_visibility")
        if level == Visibility.FORUM:
            return True
        if level == Visibility.ORGANIZATION:
            own = getattr(viewer, "organization_id", None)
            return own is not None and own == person.organization_id
        return False
    if field.endswith("_visibility") and field.removesuffix("_visibility") in CONTACT_FIELDS:
        # Who may see a number is only of interest to those who may see the number.
        return can_see(viewer, person, field.removesuffix("_visibility"))
    return False


def split_contact_fields(viewer, person) -> tuple[list[str], list[str]]:
    """(the fields shown because they hold a value the viewer may see, the fields not shared
    with the viewer), in one pass: a list asks this for every row."""
    shown, hidden = [], []
    for field in CONTACT_FIELDS:
        if not can_see(viewer, person, field):
            hidden.append(field)
        elif getattr(person, field):
            shown.append(field)
    return shown, hidden


def visible(viewer, person, field: str) -> str:
    """The value of `field`, or "" when hidden: what every export writes."""
    return getattr(person, field) if can_see(viewer, person, field) else ""


def can_edit(viewer, person) -> bool:
    return getattr(viewer, "role", None) in KEEPERS or is_own_entry(viewer, person)


def can_create(viewer) -> bool:
    return getattr(viewer, "role", None) in KEEPERS


def can_edit_organization_contact(viewer) -> bool:
    """An organisation's general contact: kept by those who keep the directory (coordinators)
    and by the admins, who keep the organisations themselves."""
    return getattr(viewer, "role", None) in KEEPERS


def default_visibility(organization_kind: str | None, field: str) -> str:
    """The visibility `field` of a new entry starts with, by its organisation's kind. An
    authority's office phone is a public service line, so the forum sees it; everything else
    starts with coordinators only. Existing entries keep what was chosen for them."""
    if field == "phone" and organization_kind == OrganizationKind.AUTHORITY:
        return Visibility.FORUM
    return DEFAULT_VISIBILITY


def can_manage(viewer) -> bool:
    """Import, retention review, memberships: keeping the directory, the coordinators' task."""
    return is_coordinator(viewer)
