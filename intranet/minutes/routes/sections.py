"""Minutes pages: the agenda items of a draft, each saved in place: text, decisions,
action items."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.auth.saved_forms import keeps_typed_text, restore_typed_text
from intranet.minutes import access, editing, files, numbering
from intranet.minutes import versions as minutes_versions
from intranet.minutes.forms import DecisionForm
from intranet.minutes.models import ActionItem, Decision
from intranet.minutes.routes.blueprint import bp
from intranet.minutes.routes.editor import (
    _edit_context,
    _filled_minutes_form,
    _item,
    _saved_at,
    _section_form,
    _sent_version,
)
from intranet.platform.htmx import flash_at, redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _

# --- Agenda items: text, decisions, action items, each saved in place ---------------------------


@bp.post("/minutes/<id:minutes_id>/sections")
def add_section(minutes_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    form = _section_form()
    if form.validate_on_submit():
        try:
            section = editing.save_section(
                context, current_user, form.title.data, form.text.data, form.label.data,
                form.organization.data,
            )  # fmt: skip
        except access.MinutesError as error:
            form.label.errors = [str(error)]
        else:
            flash(_("Section added."), "success")
            return redirect_to(_item_address(minutes_id, section.id))
    data = _edit_context(context, _filled_minutes_form(context.minutes), section_form=form)
    return render("minutes/edit.html", status=422, **data)


def _item_address(minutes_id, section_id):
    return url_for("minutes.edit", minutes_id=minutes_id) + f"#top-{section_id}"


def _item_answer(context, item, part, status=200, saved=None):
    """The answer to a form of one agenda item: with htmx only the part that was sent
    (`part`: "text" or "entries") and the status line; without, the whole editor, at the item."""
    target = f"top-{item.section.id}-{part}"
    if wants_fragment(target):
        fragment = f"minutes/_item_{part}.html"
        return render(
            fragment, fragment, status, target=target, item=item, saved=saved,
            context=context, minutes=context.minutes,
            decision_numbers=numbering.decision_numbers(context.minutes),
        )  # fmt: skip
    if saved is not None:
        flash_at(f"top-{item.section.id}", saved)
        return redirect_to(_item_address(context.minutes.id, item.section.id))
    data = _edit_context(context, _filled_minutes_form(context.minutes), item=item)
    return render("minutes/edit.html", status=status, **data)


def _saved(context, section, part, message):
    fresh = section_with_entries(context, section)
    return _item_answer(context, _item(fresh), part, saved=message)


@bp.route("/minutes/<id:minutes_id>/sections/<id:section_id>", methods=["GET", "POST"])
@keeps_typed_text
def section(minutes_id, section_id):
    """One agenda item on its own (where a form comes back after the sign-in had ended); its
    form is the one of the editor, and a save answers as the editor does."""
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    if request.method == "GET":
        item = _item(section_with_entries(context, section))
        restore_typed_text(item.form)
        return render(
            "minutes/section.html", context=context, minutes=context.minutes, item=item,
            decision_numbers=numbering.decision_numbers(context.minutes),
            attachments=files.numbered_files(context, [item.section], current_user),
        )  # fmt: skip
    item = _item(section_with_entries(context, section), posted="text")
    form = item.form
    if form.validate_on_submit():
        version = _sent_version(form)
        try:
            editing.save_section(
                context, current_user, form.title.data, form.text.data, form.label.data,
                form.organization.data, section=section, version=version,
            )  # fmt: skip
        except access.Conflict as error:
            # As for the whole text: theirs stays in the form, the difference is shown, and
            # the form now builds on the saved item, so saving again is a deliberate choice.
            form.version.data = str(error.current.version)
            item.conflict = {
                "message": str(error),
                "hunks": minutes_versions.compare(error.current.text, form.text.data or ""),
            }
            return _item_answer(context, item, "text", 409)
        except access.MinutesError as error:
            form.label.errors = [str(error)]
        else:
            return _saved(context, section, "text", _saved_at())
    return _item_answer(context, item, "text", 422)


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/delete")
def delete_section(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    if EmptyForm().validate_on_submit():
        try:
            editing.delete_section(context, section, current_user)
        except access.MinutesError as error:
            flash(str(error), "error")
        else:
            flash(_("Section removed."), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=minutes_id) + "#sections")


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/decisions")
def add_decision(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    item = _item(section_with_entries(context, section), posted="decision")
    form = item.decision_form
    if form.validate_on_submit():
        try:
            editing.add_decision(context, section, _decision_data(form), current_user)
        except access.MinutesError as error:
            form.result.errors = [str(error)]
        else:
            return _saved(context, section, "entries", _("Decision added."))
    return _item_answer(context, item, "entries", 422)


def _decision_data(form) -> editing.DecisionData:
    return editing.DecisionData(
        form.text.data, form.result.data or "", form.votes_yes.data, form.votes_no.data,
        form.votes_abstained.data,
    )  # fmt: skip


@bp.route(
    "/minutes/<id:minutes_id>/sections/<id:section_id>/<kind>/<id:entry_id>/edit",
    methods=["GET", "POST"],
)
def edit_entry(minutes_id, section_id, kind, entry_id):
    """A decision of a draft, changed in place (its text, result and counts)."""
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    decision = kind == "decisions" and next(
        (d for d in section_with_entries(context, section).decision_list if d.id == entry_id), None
    )
    if not decision:
        abort(404)
    form = DecisionForm(prefix="decision", obj=decision if request.method == "GET" else None)
    if form.validate_on_submit():
        editing.update_decision(context, section, entry_id, _decision_data(form), current_user)
        flash_at(f"top-{section_id}", _("Decision saved."))
        return redirect_to(_item_address(minutes_id, section_id))
    return render(
        "minutes/decision.html",
        status=422 if request.method == "POST" else 200,
        context=context,
        minutes=context.minutes,
        section=section,
        decision=decision,
        form=form,
    )


def section_with_entries(context, section):
    return next(s for s in access.sections(context, current_user) if s.id == section.id)


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/tasks")
def add_action_item(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    item = _item(section_with_entries(context, section), posted="task")
    form = item.action_item_form
    if not form.validate_on_submit():
        return _item_answer(context, item, "entries", 422)
    editing.add_action_item(
        context, section, form.text.data, form.responsible.data, form.due_on.data, current_user
    )
    return _saved(context, section, "entries", _("Action item added."))


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/<kind>/<id:entry_id>/delete")
def delete_entry(minutes_id, section_id, kind, entry_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    section = access.get_section_or_404(context, section_id, current_user)
    model = {"decisions": Decision, "tasks": ActionItem}.get(kind) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    editing.delete_entry(context, section, model, entry_id, current_user)
    return _saved(context, section, "entries", _("Entry removed."))
