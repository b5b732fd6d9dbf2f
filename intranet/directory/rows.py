"""The rows of the people lists (contacts, an organisation's people), worked out in Python once.

A row carries only what the lists show, read as plain values from one SELECT: no model instance
per row, the links filled into one address per page, and the visibility rule applied here, so
the template only writes the values out (per-row macro calls and `url_for` cost more than the
query did).
"""

from intranet.core.accounts import Organization
from intranet.core.links import link_pattern
from intranet.core.pagination import paginate
from intranet.directory.forms import CONTACT_FIELD_LABELS
from intranet.directory.models import CONTACT_FIELDS, Person
from intranet.directory.visibility import split_contact_fields
from intranet.platform.db import db
from intranet.platform.i18n import gettext as _

# The columns a row is made of, in the order of `ContactRow`'s slots up to `organization_name`.
COLUMNS = (
    Person.id,
    Person.account,
    Person.organization,
    Person.title,
    Person.given_name,
    Person.family_name,
    Person.function,
    Person.phone,
    Person.phone_visibility,
    Person.mobile,
    Person.mobile_visibility,
    Person.email,
    Person.email_visibility,
    Organization.short_name,
    Organization.name,
)


# The attribute each of COLUMNS fills, in order (a foreign key its `…_id`); the organisation's
# two names, the last two columns, make one.
_FILLED = tuple(getattr(column, "object_id_name", column.name) for column in COLUMNS[:-2])


class ContactRow:
    """One person as a list shows them. It answers the visibility rule's questions like a
    `Person` (`account_id`, `organization_id`, the contact fields and their visibility)."""

    __slots__ = (*_FILLED, "organization_name", "url", "organization_url", "links", "not_shared")

    def __init__(self, values):
        *filled, short_name, name = values
        for attribute, value in zip(_FILLED, filled, strict=True):
            setattr(self, attribute, value)
        self.organization_name = short_name or name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.given_name, self.family_name) if part)


def _href(field: str, value: str) -> str:
    return f"mailto:{value}" if field == "email" else "tel:" + value.replace(" ", "")


def not_shared(hidden) -> str:
    """The line naming the contact fields not shared with the viewer, or ""."""
    if not hidden:
        return ""
    if len(hidden) == len(CONTACT_FIELDS):
        return _("not visible to you")
    names = ", ".join(str(CONTACT_FIELD_LABELS[field]) for field in hidden)
    return _("%(fields)s: not visible to you", fields=names)


def contact_rows(viewer, people) -> list[ContactRow]:
    """`people` (a query of `Person` joined with `Organization`, any selection) as rows for
    `viewer`: the shown contact values as (link, text) and the line about those not shared."""
    person_url = link_pattern("directory.contact", "person_id")
    organization_url = link_pattern("directory.organization", "organization_id")
    # Translated once per page and set of hidden fields, not once per row.
    notes: dict[tuple, str] = {}
    rows = []
    # The driver's rows as they come: the columns are integers and text, which both drivers
    # return as Python uses them (peewee's conversion per column and row cost a tenth of the list).
    for row in map(ContactRow, db.execute(people.select(*COLUMNS))):
        shown, hidden = split_contact_fields(viewer, row)
        key = tuple(hidden)
        if key not in notes:
            notes[key] = not_shared(hidden)
        row.not_shared = notes[key]
        row.links = [(_href(field, getattr(row, field)), getattr(row, field)) for field in shown]
        row.url = person_url(row.id)
        row.organization_url = organization_url(row.organization_id)
        rows.append(row)
    return rows


def page_of_rows(viewer, people):
    """A page (`core.pagination`) of `people` as rows: one count and one SELECT."""
    return paginate(people.select(*COLUMNS), rows=lambda query: contact_rows(viewer, query))
