"""An organisation's page, its general contact and its people as vCards."""

import datetime as dt

from flask import abort, flash, url_for
from flask_login import current_user
from peewee import JOIN

from intranet.core import audit
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.directory import rows, search, services, vcard
from intranet.directory.forms import OrganizationContactForm
from intranet.directory.models import Membership, Person
from intranet.directory.routes.blueprint import bp, get_organization_or_404
from intranet.directory.visibility import can_create, can_edit_organization_contact
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.web import download


@bp.get("/organizations/<id:organization_id>")
def organization(organization_id):
    organization = get_organization_or_404(organization_id)
    filters = search.Filters(organization=organization.id)
    people = rows.page_of_rows(current_user._get_current_object(), search.people(filters))
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
