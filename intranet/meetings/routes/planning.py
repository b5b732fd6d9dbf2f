"""Meeting pages: planning a meeting or series, changing it, cancelling it, the minutes
template of its series."""

import datetime as dt

from flask import abort, flash, request, url_for
from flask_login import current_user
from peewee import JOIN
from wtforms.fields.choices import SelectChoice

from intranet.auth.saved_forms import keeps_typed_text, restore_typed_text
from intranet.core import times
from intranet.core.accounts import Account, Organization, organizations_by_name
from intranet.meetings import access
from intranet.meetings import planning as meetings_planning
from intranet.meetings import series as meetings_series
from intranet.meetings.forms import CancelForm, MeetingForm, SeriesTemplateForm
from intranet.meetings.models import Meeting
from intranet.meetings.routes.blueprint import (
    _form_error,
    _require_planner,
    bp,
)
from intranet.meetings.routes.page import _show_context
from intranet.platform.htmx import flash_at, redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext

# --- Planning ---------------------------------------------------------------------------------


def _meeting_form(meeting=None, context=None) -> MeetingForm:
    form = MeetingForm()
    form.problems = []  # errors of the whole form (conflicts), shown above it
    organizations = organizations_by_name()
    form.organization.choices = [SelectChoice(0, _("— none —"))] + [
        SelectChoice(o.id, o.name) for o in organizations
    ]
    form.invited.choices = [SelectChoice(o.id, o.name) for o in organizations]
    form.persons.choices = [
        SelectChoice(a.id, f"{a.display_name} ({a.organization.short_name or a.organization.name})")
        if a.organization
        else SelectChoice(a.id, a.display_name)
        for a in Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(Account.active == True)  # noqa: E712
        .order_by(Account.display_name)
    ]
    if request.method == "GET" and meeting is not None:
        local_start = times.to_local(meeting.start)
        local_end = times.to_local(meeting.end)
        form.title.data = meeting.title
        form.date.data = local_start.date()
        form.start_time.data = local_start.time().replace(tzinfo=None)
        form.end_time.data = local_end.time().replace(tzinfo=None)
        for name in ("room", "street", "postal_code", "city", "online_url", "description"):
            getattr(form, name).data = getattr(meeting, name)
        form.organization.data = meeting.organization_id or 0
        form.invited.data = context.invited_ids
        form.persons.data = context.person_ids
        form.label.data = meeting.label
        form.chatham_house.data = meeting.chatham_house
        form.version.data = str(meeting.version)
    elif request.method == "GET" and current_user.organization_id:
        form.organization.data = current_user.organization_id
    restore_typed_text(form)  # what was typed when the session ended, if anything
    # "Select all" / "None" without JavaScript: the form comes back with the choice applied.
    form.reselected = request.form.get("select_invited") in ("all", "none")
    if form.reselected:
        everyone = request.form["select_invited"] == "all"
        form.invited.data = [o.id for o in organizations] if everyone else []
    return form


def _form_data(form: MeetingForm) -> meetings_planning.MeetingData:
    date = form.date.data
    return meetings_planning.MeetingData(
        title=form.title.data,
        start_local=dt.datetime.combine(date, form.start_time.data),
        end_local=dt.datetime.combine(date, form.end_time.data),
        room=form.room.data or "",
        street=form.street.data or "",
        postal_code=form.postal_code.data or "",
        city=form.city.data or "",
        online_url=form.online_url.data or "",
        description=form.description.data or "",
        organization_id=form.organization.data or None,
        invited_ids=list(form.invited.data or []),
        person_ids=list(form.persons.data or []),
        label=form.label.data,
        chatham_house=bool(form.chatham_house.data),
        repeat=form.repeat.data or "",
        repeat_until=form.repeat_until.data,
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
@keeps_typed_text
def new():
    _require_planner()
    form = _meeting_form()
    if not form.reselected and form.validate_on_submit():
        try:
            made = meetings_planning.create_meeting(_form_data(form), current_user)
        except access.MeetingError as error:
            _form_error(form, error)
        else:
            if made[0].series_id:
                flash(
                    ngettext(
                        "Series planned: %(num)s meeting.",
                        "Series planned: %(num)s meetings.",
                        len(made),
                    ),
                    "success",
                )
            else:
                flash(_("Meeting planned."), "success")
            return redirect_to(url_for("meetings.show", meeting_id=made[0].id))
    status = 422 if form.errors or form.problems else 200
    return render("meetings/form.html", form=form, meeting=None, status=status)


@bp.route("/meetings/<id:meeting_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
def edit(meeting_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    meeting = context.meeting
    form = _meeting_form(meeting, context)
    status = 200
    if not form.reselected and form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            saved = meetings_planning.update_meeting(
                context, _form_data(form), version, current_user, form.scope.data or "this"
            )
        except access.Conflict as error:
            form.problems.append(str(error))
            status = 409
        except access.MeetingError as error:
            _form_error(form, error)
        else:
            flash(_message_with_mail(_("Meeting saved."), saved.mailed), "success")
            if saved.skipped:
                flash(
                    ngettext(
                        "%(num)s later occurrence was not changed because it is not shared with you.",
                        "%(num)s later occurrences were not changed because they are not shared with you.",
                        saved.skipped,
                    ),
                    "warning",
                )
            updated = access.load_context(Meeting.get_by_id(meeting.id))
            if not updated.visible_to(current_user):
                return redirect_to(url_for("meetings.calendar"))
            return redirect_to(url_for("meetings.show", meeting_id=meeting.id))
    if form.errors or (form.problems and status == 200):
        status = 422
    return render("meetings/form.html", form=form, meeting=meeting, status=status)


@bp.route("/meetings/<id:meeting_id>/series-template", methods=["GET", "POST"])
@keeps_typed_text
def series_template(meeting_id):
    """The minutes template of the meeting's series: for whoever may plan the meeting and sees
    every meeting of the series."""
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    meeting = context.meeting
    if not meetings_series.sees_whole_series(meeting, current_user):
        abort(404)
    form = SeriesTemplateForm()
    if request.method == "GET":
        form.minutes_template.data = meetings_series.series_template(meeting)
        restore_typed_text(form)  # what was typed when the session ended, if anything
    if form.validate_on_submit():
        meetings_series.save_series_template(
            context, form.minutes_template.data or "", current_user
        )
        flash(_("Template for the minutes of the series saved."), "success")
        return redirect_to(url_for("meetings.show", meeting_id=meeting.id))
    status = 422 if form.errors else 200
    return render("meetings/series_template.html", form=form, meeting=meeting, status=status)


def _message_with_mail(message, mailed: int | None):
    """The success message with how many persons are being mailed (the outbox sends in the
    background; the meeting's page shows what became of each mail)."""
    if mailed:
        return (
            message
            + " "
            + ngettext(
                "An email to %(num)s person is on its way.",
                "Emails to %(num)s persons are on their way.",
                mailed,
            )
        )
    return message


@bp.post("/meetings/<id:meeting_id>/cancel")
def cancel(meeting_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            meeting = meetings_planning.cancel_meeting(
                context.meeting, form.reason.data or "", version, current_user
            )
        except access.MeetingError as error:
            # The reason as typed stays: 409 when someone else changed the meeting, else 422.
            form.reason.errors = [*form.reason.errors, str(error)]
            data = _show_context(context)
            data["cancel_form"] = form
            status = 409 if isinstance(error, access.Conflict) else 422
            return render("meetings/show.html", status=status, **data)
        else:
            flash_at("planning", _message_with_mail(_("The meeting is cancelled."), meeting.mailed))
    else:
        data = _show_context(context)
        data["cancel_form"] = form  # the reason as typed, with the message beside it
        return render("meetings/show.html", status=422, **data)
    # Where the cancel button was: the confirmation is shown there, not at the page's top.
    return redirect_to(url_for("meetings.show", meeting_id=meeting_id, _anchor="planning"))
