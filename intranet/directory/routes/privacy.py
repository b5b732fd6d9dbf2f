"""DSGVO: an entry's access export and erasure (admins), and anonymising ended memberships."""

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.core.pagination import paginate
from intranet.directory import retention as membership_retention
from intranet.directory.routes.blueprint import bp, get_person_or_404
from intranet.directory.visibility import can_manage
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext
from intranet.platform.web import download
from intranet.privacy import services as privacy


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
