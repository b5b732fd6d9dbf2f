"""The directory's one blueprint and what its pages share: the sign-in check, the template
helpers and labels, loading a person or organisation with the access check, the organisation
choices of the forms, the log detail of a list export. The route modules beside this one add
their pages to `bp`."""

from flask import Blueprint, abort, request
from flask_babel import format_date
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.access import require_login
from intranet.core.accounts import Organization, organizations_by_name
from intranet.directory.forms import (
    CONSENT_BASIS_LABELS,
    CONTACT_FIELD_LABELS,
    FORM_OF_ADDRESS_LABELS,
    VISIBILITY_LABELS,
)
from intranet.directory.models import Person
from intranet.directory.visibility import can_edit, can_see
from intranet.platform.prepared import Prepared

bp = Blueprint("directory", __name__)
bp.before_request(require_login)


@bp.app_context_processor
def directory_helpers():
    # The account itself, not the proxy: a list asks once per row and field.
    viewer = current_user._get_current_object()

    def see(person, field):
        return can_see(viewer, person, field)

    return {
        "can_see_field": see,
        "CONTACT_FIELD_LABELS": CONTACT_FIELD_LABELS,
        "VISIBILITY_LABELS": VISIBILITY_LABELS,
        "FORM_OF_ADDRESS_LABELS": FORM_OF_ADDRESS_LABELS,
        "CONSENT_BASIS_LABELS": CONSENT_BASIS_LABELS,
    }


@bp.app_template_filter("local_date")
def local_date(value) -> str:
    return format_date(value, "medium") if value else ""


# --- Loading with the access check -------------------------------------------------------------


def get_person_or_404(person_id: int, for_edit: bool = False) -> Person:
    person = (
        Person.select(Person, Organization).join(Organization).where(Person.id == person_id).first()
    )
    if person is None or (for_edit and not can_edit(current_user, person)):
        abort(404)
    return person


def get_organization_or_404(organization_id: int) -> Organization:
    return Organization.get_or_none(Organization.id == organization_id) or abort(404)


def _entry_of(account_id):
    return Person.select(Person.id).where(Person.account == account_id).limit(1)


_ENTRY_OF = Prepared(_entry_of)


def own_entry() -> Person | None:
    """The signed-in person's own entry (its id, for the link to edit it), or None."""
    return _ENTRY_OF.first(account_id=current_user.id)


def _organization_choices():
    return [SelectChoice(o.id, o.name) for o in organizations_by_name()]


def _export_detail(file_format: str) -> str:
    """The format and the filters of a list export, so the log says which part left."""
    filters = "&".join(f"{key}={value}" for key, value in request.args.items(multi=True) if value)
    return f"{file_format} {filters}".strip()
