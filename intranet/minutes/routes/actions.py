"""Minutes pages: the open action items, carrying one into a later meeting, marking one done."""

from flask import abort, flash, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.core import times
from intranet.core.pagination import paginate
from intranet.minutes import access, rules
from intranet.minutes import actions as minutes_actions
from intranet.minutes.forms import CarryForm
from intranet.minutes.models import ActionItem
from intranet.minutes.routes.blueprint import bp
from intranet.platform.filters import formatted
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _


def format_meeting_date(value) -> str:
    return formatted("date", times.to_local(value).date(), "medium")


def _choice(name, allowed):
    value = request.args.get(name, "")
    return value if value in allowed else allowed[0]


@bp.get("/minutes/actions")
def actions():
    scope = _choice("scope", minutes_actions.ACTION_SCOPES)
    state = _choice("state", minutes_actions.ACTION_FILTERS)
    page = paginate(minutes_actions.action_items(current_user, scope, state), per_page=25)
    return render(
        "minutes/actions.html",
        "minutes/_action_list.html",
        page=page,
        scope=scope,
        state=state,
        may_track=rules.role_may(current_user.role, "track"),
        is_overdue=minutes_actions.is_overdue,
        strictest_label=minutes_actions.strictest_label,
        form=EmptyForm(),
    )


@bp.route("/minutes/actions/<id:item_id>/carry", methods=["GET", "POST"])
def carry(item_id):
    """Choose the meeting to carry an action item into (the next of its series suggested);
    without a choice the next one is taken, as the button on the list does."""
    item = minutes_actions.open_action_items(current_user).where(ActionItem.id == item_id).first()
    if item is None:
        abort(404)
    context = access.get_minutes_or_404(item.section.minutes_id, account=current_user)
    if not context.may(current_user, "track"):
        abort(404)
    form = CarryForm()
    targets = minutes_actions.carry_targets(item, current_user)
    form.meeting.choices = [
        SelectChoice(m.id, f"{m.title} – {format_meeting_date(m.start)}") for m in targets
    ]
    if request.method == "GET":
        suggested = minutes_actions.next_meeting(context.meeting)
        form.meeting.data = suggested.id if suggested else None
        return render("minutes/carry.html", item=item, form=form, targets=targets)
    if not form.validate_on_submit():
        abort(400)
    try:
        agenda_item = minutes_actions.carry_forward(item_id, current_user, form.meeting.data)
    except access.MinutesError as error:
        if error.field == "meeting" and targets:
            form.meeting.errors = [str(error)]
            return render("minutes/carry.html", status=422, item=item, form=form, targets=targets)
        flash(str(error), "error")
        return redirect_to(url_for("minutes.actions"))
    meeting = agenda_item.meeting
    flash(
        _(
            "The action item is on the agenda of %(meeting)s on %(date)s.",
            meeting=meeting.title,
            date=format_meeting_date(meeting.start),
        ),
        "success",
    )
    return redirect_to(url_for("meetings.show", meeting_id=agenda_item.meeting_id) + "#agenda")


@bp.post("/minutes/actions/<id:item_id>/state")
def action_state(item_id):
    item = minutes_actions.open_action_items(current_user).where(ActionItem.id == item_id).first()
    item = item or abort(404)
    context = access.get_minutes_or_404(item.section.minutes_id, account=current_user)
    if not (EmptyForm().validate_on_submit() and context.may(current_user, "track")):
        abort(404)
    minutes_actions.set_action_state(context, item, "done", current_user)
    flash(_("Action item marked as done."), "success")
    return redirect_to(url_for("minutes.actions"))
