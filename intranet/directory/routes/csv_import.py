"""Importing contacts from a CSV file: the upload, then the preview that writes them."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.directory import csv_io
from intranet.directory.forms import ImportConfirmForm, ImportUploadForm
from intranet.directory.routes.blueprint import bp
from intranet.directory.visibility import can_manage
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext


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
