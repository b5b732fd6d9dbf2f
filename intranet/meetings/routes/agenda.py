"""Meeting pages: the agenda of a meeting, changed in place."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.meetings import access, files
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings.routes.blueprint import _form_error, bp
from intranet.meetings.routes.page import _agenda_form, _show_context
from intranet.platform.htmx import redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _

# --- Agenda -----------------------------------------------------------------------------------


def _agenda_response(context, status=200, form=None, new_item=None):
    """The agenda fragment for htmx, else back to the meeting page (at the new item, which
    takes the focus)."""
    if request.headers.get("HX-Request") and wants_fragment("agenda"):
        rows = meetings_agenda.agenda_rows(context.meeting, current_user, context.person_ids)
        items = [item for _number, item in rows if item]
        return render(
            "meetings/_agenda.html",
            "meetings/_agenda.html",
            status=status,
            meeting=context.meeting,
            agenda_rows=rows,
            items=items,
            files=files.page_files(context, items, current_user),
            edit_agenda=access.can_edit_agenda(current_user, context.meeting),
            agenda_form=form or _agenda_form(empty=True),
            action_form=EmptyForm(),
            new_item_id=new_item.id if new_item else None,
        )
    if status == 422:
        data = _show_context(context)
        data["agenda_form"] = form
        return render("meetings/show.html", status=422, **data)
    anchor = f"item-{new_item.id}" if new_item else "agenda"
    return redirect_to(url_for("meetings.show", meeting_id=context.meeting.id, _anchor=anchor))


def _agenda_closed(context, error):
    """A change to the agenda of a cancelled meeting: refused with the reason (409)."""
    flash(str(error), "error")
    return _agenda_response(context, 409)


def _agenda_values(form) -> tuple:
    """The agenda form's values in the order the agenda operations take them."""
    return (
        form.title.data,
        form.description.data,
        form.organization.data,
        form.label.data,
    )


@bp.post("/meetings/<id:meeting_id>/agenda")
def add_agenda_item(meeting_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    form = _agenda_form()
    if not form.validate_on_submit():
        return _agenda_response(context, 422, form)
    try:
        item = meetings_agenda.add_agenda_item(context.meeting, *_agenda_values(form), current_user)
    except access.MeetingError as error:
        if isinstance(error, meetings_agenda.AgendaClosed):
            return _agenda_closed(context, error)
        _form_error(form, error)
        return _agenda_response(context, 422, form)
    flash(_("Agenda item added."), "success")
    return _agenda_response(context, new_item=item)


@bp.post("/meetings/<id:meeting_id>/agenda/<id:item_id>/move")
def move_agenda_item(meeting_id, item_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    if EmptyForm().validate_on_submit():
        visible = {
            i.id for i in meetings_agenda.agenda(context.meeting, current_user, context.person_ids)
        }
        if item_id not in visible:
            abort(404)
        direction = "up" if request.form.get("direction") == "up" else "down"
        try:
            meetings_agenda.move_agenda_item(
                context.meeting, item_id, direction, visible, current_user
            )
        except meetings_agenda.AgendaClosed as error:
            return _agenda_closed(context, error)
        # Also what a screen reader announces after the swap (the flash area is a live region).
        flash(_("Agenda item moved."), "success")
    return _agenda_response(context)


@bp.route("/meetings/<id:meeting_id>/agenda/<id:item_id>/edit", methods=["GET", "POST"])
def edit_agenda_item(meeting_id, item_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    items = meetings_agenda.agenda(context.meeting, current_user, context.person_ids)
    item = next((i for i in items if i.id == item_id), None) or abort(404)
    if not access.can_edit_agenda(current_user, context.meeting):
        return _agenda_closed(context, meetings_agenda.AgendaClosed())
    form = _agenda_form()
    if request.method == "GET":
        form.title.data = item.title
        form.description.data = item.description
        form.organization.data = item.organization_id or 0
        form.label.data = item.label
    elif form.validate_on_submit():
        try:
            meetings_agenda.update_agenda_item(item, *_agenda_values(form), current_user)
        except access.MeetingError as error:
            if isinstance(error, meetings_agenda.AgendaClosed):
                return _agenda_closed(context, error)
            _form_error(form, error)
        else:
            flash(_("Agenda item saved."), "success")
            return redirect_to(url_for("meetings.show", meeting_id=meeting_id) + "#agenda")
    return render(
        "meetings/agenda_item_form.html",
        form=form,
        meeting=context.meeting,
        item=item,
        status=422 if form.errors else 200,
    )


@bp.post("/meetings/<id:meeting_id>/agenda/<id:item_id>/delete")
def delete_agenda_item(meeting_id, item_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    if EmptyForm().validate_on_submit():
        visible = {
            i.id for i in meetings_agenda.agenda(context.meeting, current_user, context.person_ids)
        }
        if item_id not in visible:
            abort(404)
        try:
            meetings_agenda.delete_agenda_item(context.meeting, item_id, current_user)
        except meetings_agenda.AgendaClosed as error:
            return _agenda_closed(context, error)
        flash(_("Agenda item removed."), "success")
    return _agenda_response(context)
