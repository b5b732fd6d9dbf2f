"""Upload, download and removal of attachments; the owning item's page lists them."""

from flask import Blueprint, abort, flash, request
from flask_login import current_user

from intranet.attachments import services
from intranet.attachments.forms import AttachmentForm
from intranet.auth.access import require_login
from intranet.auth.forms import EmptyForm
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _

bp = Blueprint("attachments", __name__, url_prefix="/attachments")
bp.before_request(require_login)
bp.add_app_template_global(services.downloadable, "attachment_downloadable")
bp.add_app_template_global(services.effective_label, "attachment_label")


@bp.app_template_global("attachments_for")
def attachments_for(owner):
    """The files of `owner` the signed-in account may see, for a page that did not load them."""
    return services.for_owner(owner, current_user)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """The upload page for one item, named by `?owner=meeting:12` (a hidden field when posting)."""
    form = AttachmentForm()
    owner = services.load_owner(form.owner.data or request.args.get("owner"), current_user)
    if owner is None or not owner.may_edit:
        abort(404)
    form.owner.data = owner.key
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors.append(_("Please choose a file."))
        else:
            try:
                services.add(
                    owner, upload.stream, upload.filename, form.name.data, form.label.data,
                    current_user,
                )  # fmt: skip
            except services.AttachmentError as error:
                form[error.field].errors.append(str(error))
            else:
                flash(_("The file was added."), "success")
                return redirect_to(owner.url)
    status = 422 if form.errors else 200
    return render(
        "attachments/new.html",
        status=status,
        form=form,
        owner=owner,
        accepted=services.ACCEPTED,
        max_mb=services.max_bytes() // (1024 * 1024),
    )


@bp.get("/<id:attachment_id>")
def download(attachment_id):
    attachment, owner = services.get_attachment_or_404(attachment_id, account=current_user)
    return services.download_response(attachment, owner, current_user)


@bp.route("/<id:attachment_id>/delete", methods=["GET", "POST"])
def delete(attachment_id):
    attachment, owner = services.get_attachment_or_404(
        attachment_id, for_edit=True, account=current_user
    )
    form = EmptyForm()
    if form.validate_on_submit():
        services.delete(attachment, current_user)
        flash(_("The file %(name)s was removed.", name=attachment.name), "success")
        return redirect_to(owner.url)
    return render("attachments/confirm_delete.html", form=form, attachment=attachment, owner=owner)
