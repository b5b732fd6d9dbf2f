"""The directory's addresses: contacts list and search, person and organisation pages, vCards."""

import datetime as dt

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN
from wtforms.fields.choices import SelectChoice

from intranet.auth.access import require_login
from intranet.auth.forms import EmptyForm
from intranet.core import audit
from intranet.core.accounts import Account, Organization
from intranet.core.ids import ref
from intranet.core.pagination import paginate
from intranet.core.query_args import QueryArgs
from intranet.directory import csv_io, search, services, vcard
from intranet.directory import retention as membership_retention
from intranet.directory.forms import (
    CONSENT_BASIS_LABELS,
    CONTACT_FIELD_LABELS,
    FORM_OF_ADDRESS_LABELS,
    VISIBILITY_LABELS,
    ImportConfirmForm,
    ImportUploadForm,
    MembershipForm,
    OrganizationContactForm,
    PersonForm,
)
from intranet.directory.models import CONTACT_FIELDS, Membership, Person
from intranet.directory.visibility import (
    can_create,
    can_edit,
    can_edit_organization_contact,
    can_manage,
    can_see,
    default_visibility,
    is_own_entry,
    split_contact_fields,
)
from intranet.platform.htmx import redirect_to, render, wants_fragment
from intranet.platform.web import download
from intranet.privacy import services as privacy

bp = Blueprint("directory", __name__)
bp.before_request(require_login)


@bp.app_context_processor
def directory_helpers():
    # The account itself, not the proxy: a list asks once per row and field.
    viewer = current_user._get_current_object()

    def see(person, field):
        return can_see(viewer, person, field)

    def contact_summary(person):
        """(the fields to show, the line naming those not shared with the viewer or "")."""
        shown, hidden = split_contact_fields(viewer, person)
        # Translated once per request and set of hidden fields, not once per row.
        notes = g.setdefault("contact_not_shared", {})
        key = tuple(hidden)
        if key not in notes:
            notes[key] = _not_shared(hidden)
        return shown, notes[key]

    return {
        "can_see_field": see,
        "split_contact_fields": contact_summary,
        "CONTACT_FIELD_LABELS": CONTACT_FIELD_LABELS,
        "VISIBILITY_LABELS": VISIBILITY_LABELS,
        "FORM_OF_ADDRESS_LABELS": FORM_OF_ADDRESS_LABELS,
        "CONSENT_BASIS_LABELS": CONSENT_BASIS_LABELS,
    }


def _not_shared(hidden) -> str:
    if not hidden:
        return ""
    if len(hidden) == len(CONTACT_FIELD_LABELS):
        return _("not visible to you")
    names = ", ".join(str(CONTACT_FIELD_LABELS[field]) for field in hidden)
    return _("%(fields)s: not visible to you", fields=names)


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


def own_entry() -> Person | None:
    return Person.get_or_none(Person.account == current_user.id)


# --- List and search ----------------------------------------------------------------------------


@bp.get("/contacts")
def contacts():
    filters = search.Filters.from_args(request.args)
    # The columns a row shows (whole entries brought the consent record, the search keys and
    # the organisation's address into every row).
    page = paginate(
        search.people(filters).select(
            *search.LIST_COLUMNS, Organization.id, Organization.name, Organization.short_name
        )
    )
    # The empty directory tells whoever may add entries how; the role decides, no query.
    shared = {"may_create": can_create(current_user), "may_manage": can_manage(current_user)}
    # An organisation's general contact comes before its people: the way to reach it.
    named = search.organizations_named(filters)
    shared.update(named_organizations=named, ask=search.coordination() if named else [])
    if wants_fragment("contact-results"):
        # Typing in the search box: only the results change, the filters stay as they are.
        return render(
            "directory/contacts.html",
            "directory/_contact_results.html",
            page=page,
            filters=filters,
            **shared,
        )
    return render(
        "directory/contacts.html",
        "directory/_contact_results.html",
        page=page,
        filters=filters,
        organizations=search.organization_choices(),
        functions=search.function_choices(),
        letters=search.LETTERS,
        letter_args={k: v for k, v in filters.as_args().items() if k != "letter"},
        own=own_entry(),
        **shared,
    )


@bp.get("/contacts.vcf")
def contacts_vcard():
    filters = search.Filters.from_args(request.args)
    people = search.people(filters)
    body = vcard.serialize(vcard.person_card(current_user, person) for person in people)
    audit.record("contacts.exported", detail=_export_detail("vcf"))
    return download(body, "kontakte.vcf", "text/vcard")


# --- One person -----------------------------------------------------------------------------------


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


def _organization_choices():
    return [SelectChoice(o.id, o.name) for o in Organization.select().order_by(Organization.name)]


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
    coordinating = current_user.role in ("coordinator", "admin")
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
            flash(_("Entry for %(name)s saved.", name=person.full_name), "success")
            return redirect_to(url_for("directory.contact", person_id=person.id))
    return render(
        "directory/contact_form.html",
        form=form,
        person=None,
        status=422 if form.errors else 200,
    )


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
            flash(_("Entry for %(name)s saved.", name=person.full_name), "success")
            return redirect_to(url_for("directory.contact", person_id=person.id))
    return render(
        "directory/contact_form.html",
        form=form,
        person=person,
        status=422 if form.errors else 200,
    )


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


# --- Memberships ----------------------------------------------------------------------------------


def _membership_form(person: Person) -> MembershipForm:
    form = MembershipForm()
    form.organization.choices = _organization_choices()
    others = (
        Person.select(Person.id, Person.given_name, Person.family_name, Person.title)
        .where(Person.id != person.id)
        .order_by(Person.sort_key)
    )
    form.on_behalf_of.choices = [SelectChoice(0, _("— nobody —"))] + [
        SelectChoice(p.id, p.full_name) for p in others
    ]
    if request.method == "GET":
        form.organization.data = person.organization_id
    return form


@bp.post("/contacts/<id:person_id>/memberships")
def add_membership(person_id):
    person = get_person_or_404(person_id)
    if not can_manage(current_user):
        abort(404)
    form = _membership_form(person)
    if form.validate_on_submit():
        deputy = form.on_behalf_of.data or None
        services.add_membership(
            person,
            {
                "organization": form.organization.data,
                "role": form.role.data,
                "start_date": form.start_date.data,
                "end_date": form.end_date.data,
                "on_behalf_of": deputy,
            },
        )
        flash(_("Membership added."), "success")
        return redirect_to(url_for("directory.contact", person_id=person.id))
    flash(
        _("The membership was not added: %(errors)s", errors=_join_errors(form)),
        "error",
    )
    return redirect_to(url_for("directory.contact", person_id=person.id))


def _join_errors(form) -> str:
    return " ".join(
        f"{form[name].label.text}: {' '.join(map(str, errors))}"
        for name, errors in form.errors.items()
        if name in form
    )


@bp.post("/contacts/<id:person_id>/memberships/<id:membership_id>/delete")
def delete_membership(person_id, membership_id):
    person = get_person_or_404(person_id)
    if not can_manage(current_user):
        abort(404)
    membership = Membership.get_or_none(
        (Membership.id == membership_id) & (Membership.person == person)
    ) or abort(404)
    if EmptyForm().validate_on_submit():
        services.delete_membership(membership)
        flash(_("Membership removed."), "success")
    return redirect_to(url_for("directory.contact", person_id=person.id))


# --- Organisations --------------------------------------------------------------------------------


@bp.get("/organizations/<id:organization_id>")
def organization(organization_id):
    organization = get_organization_or_404(organization_id)
    filters = search.Filters(organization=organization.id)
    people = paginate(search.people(filters))
    # Members of other organisations who hold a current role here (e.g. a deputy).
    today = dt.date.today()
    memberships = list(
        Membership.select(Membership, Person)
        .join(Person, JOIN.INNER, on=(Membership.person == Person.id))
        .where(
            (Membership.organization == organization)
            & (Membership.end_date.is_null() | (Membership.end_date >= today))
        )
        .order_by(Person.sort_key)
    )
    return render(
        "directory/organization.html",
        organization=organization,
        people=people,
        memberships=memberships,
        ask=[] if services.has_general_contact(organization) else search.coordination(),
        may_edit_contact=can_edit_organization_contact(current_user),
        may_create=can_create(current_user),
    )


@bp.route("/organizations/<id:organization_id>/contact", methods=["GET", "POST"])
def edit_organization_contact(organization_id):
    organization = get_organization_or_404(organization_id)
    if not can_edit_organization_contact(current_user):
        abort(404)
    form = OrganizationContactForm(obj=organization)
    if form.validate_on_submit():
        services.save_organization_contact(organization, form.data)
        flash(_("Contact of %(name)s saved.", name=organization.name), "success")
        return redirect_to(url_for("directory.organization", organization_id=organization.id))
    return render(
        "directory/organization_contact_form.html",
        form=form,
        organization=organization,
        status=422 if form.errors else 200,
    )


@bp.get("/organizations/<id:organization_id>.vcf")
def organization_vcard(organization_id):
    organization = get_organization_or_404(organization_id)
    people = (
        Person.select(Person, Organization)
        .join(Organization)
        .where(Person.organization == organization)
        .order_by(Person.sort_key)
    )
    cards = [vcard.organization_card(organization)]
    cards += [vcard.person_card(current_user, person) for person in people]
    audit.record("contacts.exported", target=ref("organization", organization.id), detail="vcf")
    return download(vcard.serialize(cards), f"organisation-{organization.id}.vcf", "text/vcard")


# --- CSV --------------------------------------------------------------------------------------------


@bp.get("/contacts.csv")
def contacts_csv():
    filters = search.Filters.from_args(request.args)
    body = csv_io.export(current_user, search.people(filters))
    audit.record("contacts.exported", detail=_export_detail("csv"))
    return download(body, "kontakte.csv", "text/csv")


def _export_detail(file_format: str) -> str:
    """The format and the filters of a list export, so the log says which part left."""
    filters = "&".join(f"{key}={value}" for key, value in request.args.items(multi=True) if value)
    return f"{file_format} {filters}".strip()


def _require_manager():
    if not can_manage(current_user):
        abort(404)


@bp.route("/contacts/import", methods=["GET", "POST"])
def import_csv():
    _require_manager()
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [_("Please choose a CSV file.")]
        else:
            try:
                rows = csv_io.parse(upload.read(csv_io.MAX_BYTES + 1))
            except csv_io.ImportFileError as error:
                form.file.errors = [str(error)]
            else:
                token = csv_io.store(current_user.id, rows)
                return redirect_to(url_for("directory.import_preview", token=token))
    return render(
        "directory/import.html",
        form=form,
        columns="; ".join(label for _name, label in csv_io.COLUMNS),
        status=422 if form.errors else 200,
    )


@bp.route("/contacts/import/<token>", methods=["GET", "POST"])
def import_preview(token):
    _require_manager()
    rows = csv_io.load(token, current_user.id)
    if rows is None:
        abort(404)
    valid = [row for row in rows if not row.errors]
    invalid = [row for row in rows if row.errors]
    form = ImportConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        only_valid = form.mode.data == "valid"
        if invalid and not only_valid:
            flash(_("The file has errors; nothing was imported."), "error")
        elif not valid:
            flash(_("There are no valid rows to import."), "error")
        else:
            count = csv_io.write(valid, current_user)
            csv_io.discard(token)
            flash(
                ngettext("%(num)s entry imported.", "%(num)s entries imported.", count),
                "success",
            )
            return redirect_to(url_for("directory.contacts"))
    return render(
        "directory/import_preview.html",
        rows=rows,
        valid=valid,
        invalid=invalid,
        form=form,
        token=token,
    )


# --- DSGVO (admin) ----------------------------------------------------------------------------------


def _require_admin():
    if not current_user.is_admin:
        abort(404)


@bp.get("/contacts/<id:person_id>/privacy")
def privacy_person(person_id):
    _require_admin()
    person = get_person_or_404(person_id)
    return render("directory/privacy_person.html", person=person, form=EmptyForm())


@bp.get("/contacts/<id:person_id>/privacy.json")
def privacy_export(person_id):
    _require_admin()
    person = get_person_or_404(person_id)
    body, name = privacy.access_export_file(person, viewer=current_user)
    return download(body, name, "application/json")


@bp.post("/contacts/<id:person_id>/erase")
def privacy_erase(person_id):
    _require_admin()
    person = get_person_or_404(person_id)
    form = EmptyForm()
    if not form.validate_on_submit() or request.form.get("confirm") != "yes":
        flash(_("Please confirm the erasure with the checkbox."), "error")
        return redirect_to(url_for("directory.privacy_person", person_id=person.id))
    if person.account_id == current_user.id:
        flash(_("You cannot erase your own account here."), "error")
        return redirect_to(url_for("directory.privacy_person", person_id=person.id))
    label = privacy.erase(person)
    if label:
        flash(
            _(
                "The entry and the account were erased; records that are kept now show “%(label)s”.",
                label=label,
            ),
            "success",
        )
    else:
        flash(_("The entry was erased."), "success")
    return redirect_to(url_for("directory.contacts"))


@bp.route("/contacts/retention", methods=["GET", "POST"])
def retention():
    if not (can_manage(current_user) or current_user.is_admin):
        abort(404)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        count = membership_retention.anonymise_expired()
        flash(
            ngettext("%(num)s membership anonymised.", "%(num)s memberships anonymised.", count),
            "success",
        )
        return redirect_to(url_for("directory.retention"))
    page = paginate(membership_retention.expired_memberships())
    return render(
        "directory/retention.html",
        page=page,
        form=form,
        months=current_app.config.get("MEMBERSHIP_RETENTION_MONTHS", 12),
        cutoff=membership_retention.retention_cutoff(),
    )
