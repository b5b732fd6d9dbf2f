"""A person's memberships in organisations: adding and removing them."""

from flask import abort, flash, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.directory import services
from intranet.directory.forms import MembershipForm
from intranet.directory.models import Membership, Person
from intranet.directory.routes.blueprint import _organization_choices, bp, get_person_or_404
from intranet.directory.visibility import can_manage
from intranet.platform.htmx import redirect_to
from intranet.platform.i18n import gettext as _


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
