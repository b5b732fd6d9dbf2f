"""One person's entry: its page and vCard, making, editing and deleting it."""

from flask import abort, flash, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.core import audit
from intranet.core.accounts import Account, Organization
from intranet.core.ids import ref
from intranet.core.query_args import QueryArgs
from intranet.directory import search, services, vcard
from intranet.directory.forms import PersonForm
from intranet.directory.models import CONTACT_FIELDS, Membership, Person
from intranet.directory.routes.blueprint import (
    _organization_choices,
    bp,
    get_person_or_404,
    own_entry,
)
from intranet.directory.routes.memberships import _membership_form
from intranet.directory.visibility import (
    KEEPERS,
    can_create,
    can_edit,
    can_manage,
    can_see,
    default_visibility,
    is_own_entry,
    split_contact_fields,
)
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.web import download


@bp.get("/contacts/<id:person_id>")
def contact(person_id):
    person = get_person_or_404(person_id)
    memberships = list(
        Membership.select(Membership, Organization)
        .join(Organization)
        .where(Membership.person == person)
        .order_by(Membership.end_date.is_null(False), Membership.start_date.desc())
    )
    deputies = {
        p.id: p
        for p in Person.select().where(
            Person.id.in_([m.on_behalf_of_id for m in memberships if m.on_behalf_of_id])
        )
    }
    # Who stands in for this person (Vertretung), from the other side of on_behalf_of.
    deputised_by = list(
        Membership.select(Membership, Person)
        .join(Person, on=(Membership.person == Person.id))
        .where(Membership.on_behalf_of == person)
        .order_by(Person.sort_key)
    )
    membership_form = None
    if can_manage(current_user):
        membership_form = _membership_form(person)
    # Nothing of the person's own to reach them by: their organisation's general contact.
    reachable = split_contact_fields(current_user, person)[0]
    return render(
        "directory/contact.html",
        person=person,
        memberships=memberships,
        deputies=deputies,
        deputised_by=deputised_by,
        may_edit=can_edit(current_user, person),
        may_manage=can_manage(current_user),
        may_erase=current_user.is_admin,
        membership_form=membership_form,
        delete_form=EmptyForm(),
        own=is_own_entry(current_user, person),
        reachable=reachable,
        ask=[] if reachable else search.coordination(),
    )


@bp.get("/contacts/<id:person_id>.vcf")
def contact_vcard(person_id):
    person = get_person_or_404(person_id)
    body = vcard.person_card(current_user, person).serialize()
    audit.record("contacts.exported", target=ref("person", person.id), detail="vcf")
    return download(body, f"kontakt-{person.id}.vcf", "text/vcard")


def _person_form(person: Person | None, own_new: bool = False) -> PersonForm:
    """The form with only the fields this editor may see and change.

    An admin edits entries but does not see hidden numbers, so those fields are left out
    (and left unchanged); a member editing their own entry cannot move it to another
    organisation or link another account.
    """
    form = PersonForm(obj=person) if person is not None else PersonForm()
    if person is not None and request.method == "GET":
        form.account.data = person.account_id or 0
        form.organization.data = person.organization_id
    form.organization.choices = _organization_choices()
    coordinating = current_user.role in KEEPERS
    if not coordinating:
        # The consent record is kept by those who keep the directory: a member's own form
        # neither shows nor accepts it (a posted value is ignored, as the field is gone).
        del form.organization
        del form.account
        del form.consent_on
        del form.consent_basis
    else:
        taken = Person.select(Person.account).where(Person.account.is_null(False))
        if person is not None:
            taken = taken.where(Person.id != person.id)
        accounts = (
            Account.select(Account.id, Account.display_name, Account.email)
            .where(Account.id.not_in(taken))
            .order_by(Account.display_name)
        )
        form.account.choices = [SelectChoice(0, _("— no account —"))] + [
            SelectChoice(a.id, f"{a.display_name} ({a.email})") for a in accounts
        ]
    for field in ("phone", "mobile", "email", "consent_on"):
        if person is not None and field in form and not can_see(current_user, person, field):
            delattr(form, field)
            if field == "consent_on":
                del form.consent_basis
            else:
                delattr(form, f"{field}_visibility")
    return form


def _form_values(form: PersonForm) -> dict:
    values = {
        field.name: field.data
        for field in form
        if field.name in services.EDITABLE_FIELDS and field.name != "account"
    }
    for key in ("form_of_address", "consent_basis"):
        if key in values:
            values[key] = values[key] or ""
    for key in values:
        if values[key] is None and key not in ("consent_on",):
            values[key] = ""
    if "organization" in values:
        values["organization"] = Organization.get_or_none(Organization.id == values["organization"])
    if "account" in form:
        values["account"] = form.account.data or None
    return values


def _validate_organization(form: PersonForm) -> bool:
    if "organization" in form and not any(
        choice.value == form.organization.data for choice in form.organization.choices
    ):
        form.organization.errors = [_("Please choose an organisation.")]
        return False
    return True


@bp.route("/contacts/new", methods=["GET", "POST"])
def new_contact():
    own_new = request.args.get("own") == "1"
    if own_new:
        # A member without an entry makes their own, in their own organisation.
        if own_entry() is not None or current_user.organization_id is None:
            abort(404)
    elif not can_create(current_user):
        abort(404)
    form = _person_form(None, own_new=own_new)
    if request.method == "GET":
        # The organisation the entry is for when known (one's own, or the page it came from),
        # with the visibility its people's numbers start with.
        chosen = QueryArgs(request.args).id("organization")
        if own_new or chosen is None:
            chosen = current_user.organization_id
        organization = Organization.get_or_none(Organization.id == chosen) if chosen else None
        if organization is not None:
            if "organization" in form:
                form.organization.data = organization.id
            for field in CONTACT_FIELDS:
                getattr(form, f"{field}_visibility").data = default_visibility(
                    organization.kind, field
                )
        if own_new:
            form.family_name.data = current_user.display_name.rsplit(" ", 1)[-1]
            form.given_name.data = " ".join(current_user.display_name.split(" ")[:-1])
            form.email.data = current_user.email
    if form.validate_on_submit() and _validate_organization(form):
        values = _form_values(form)
        if own_new:
            values["organization"] = current_user.organization
            values["account"] = current_user.id
        try:
            person = services.create_person(values, actor=current_user, own_entry=own_new)
        except services.DirectoryError as error:
            form.account.errors = [str(error)]
        else:
            return _saved(person)
    return _form_page(form, None)


@bp.route("/contacts/<id:person_id>/edit", methods=["GET", "POST"])
def edit_contact(person_id):
    person = get_person_or_404(person_id, for_edit=True)
    form = _person_form(person)
    if request.method == "GET":
        form.version.data = str(person.version)
    if form.validate_on_submit() and _validate_organization(form):
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            services.update_person(person, _form_values(form), version, actor=current_user)
        except services.EditConflict:
            flash(
                _(
                    "Someone else changed this entry in the meantime. Your changes were not "
                    "saved; please reload the page and enter them again."
                ),
                "error",
            )
            return render(
                "directory/contact_form.html", form=form, person=person, conflict=True, status=409
            )
        except services.DirectoryError as error:
            form.account.errors = [str(error)]
        else:
            return _saved(person)
    return _form_page(form, person)


@bp.post("/contacts/<id:person_id>/delete")
def delete_contact(person_id):
    person = get_person_or_404(person_id)
    if not can_manage(current_user):
        abort(404)
    if not EmptyForm().validate_on_submit() or request.form.get("confirm") != "yes":
        flash(_("Please confirm the deletion with the checkbox."), "error")
        return redirect_to(url_for("directory.contact", person_id=person.id))
    services.delete_person(person)
    flash(_("Entry for %(name)s deleted.", name=person.full_name), "success")
    return redirect_to(url_for("directory.contacts"))


def _saved(person):
    flash(_("Entry for %(name)s saved.", name=person.full_name), "success")
    return redirect_to(url_for("directory.contact", person_id=person.id))


def _form_page(form, person):
    """The new or edit form again: with its errors (422) after a refused save."""
    return render(
        "directory/contact_form.html", form=form, person=person, status=422 if form.errors else 200
    )
