"""Calendar pages: month grid, lists, meeting page, planning forms, answers, feeds."""

import datetime as dt

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from peewee import JOIN
from wtforms.fields.choices import SelectChoice

from intranet.auth.access import require_login, safe_next
from intranet.auth.forms import EmptyForm
from intranet.auth.saved_forms import keeps_typed_text, restore_typed_text
from intranet.core import mail as core_mail
from intranet.core import outbox, sharing, times
from intranet.core.accounts import Account, Organization
from intranet.core.pagination import paginate
from intranet.core.query_args import QueryArgs
from intranet.core.text import render_markdown
from intranet.meetings import (
    access,
    feeds,
    files,
    ics,
    mail,
    recurrence,
    rules,
    start,
)
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings import answers as meetings_answers
from intranet.meetings import attendance as meetings_attendance
from intranet.meetings import overview as meetings_overview
from intranet.meetings import planning as meetings_planning
from intranet.meetings import series as meetings_series
from intranet.meetings.forms import (
    AgendaItemForm,
    AttendanceForm,
    CancelForm,
    MeetingForm,
    SeriesTemplateForm,
)
from intranet.meetings.models import ANSWERS, Meeting
from intranet.platform.db import utcnow
from intranet.platform.filters import formatted
from intranet.platform.htmx import flash_at, redirect_to, render, wants_fragment
from intranet.platform.web import conditional, download

bp = Blueprint("meetings", __name__)

PUBLIC_ENDPOINTS = {"meetings.feed"}  # the feed authenticates by its token, not a session


@bp.before_request
def _login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return require_login()


def _require_planner():
    if not access.can_plan(current_user):
        abort(404)


@bp.app_context_processor
def _labels():
    return {
        "LABEL_NAMES": sharing.LABEL_NAMES,
        "STATE_LABELS": rules.STATE_LABELS,
        "MEETING_EVENT_LABELS": rules.EVENT_LABELS,
        "ANSWER_LABELS": {"yes": _l("Accepted"), "no": _l("Declined"), "maybe": _l("Maybe")},
        "ATTENDANCE_LABELS": {
            "present": _l("present"),
            "excused": _l("excused"),
            "absent": _l("not represented"),
        },
    }


@bp.app_template_filter("meeting_time")
def meeting_time(value, format="HH:mm"):
    """A stored UTC time as Berlin clock time (e.g. '18:00')."""
    return formatted("time", times.to_local(value), format) if value else ""


@bp.app_template_filter("meeting_date")
def meeting_date(value, format="full"):
    return formatted("date", times.to_local(value).date(), format) if value else ""


@bp.app_template_filter("markdown")
def markdown_filter(text):
    return render_markdown(text)


@bp.app_template_filter("date_format")
def date_format(value, format="medium"):
    return formatted("date", value, format)


@bp.app_template_global()
def month_name(first):
    return formatted("date", first, "LLLL y")


@bp.app_template_global()
def time_offset(value):
    return times.offset_label(value)


@bp.app_template_global()
def upcoming_meetings_for(organization, limit=5):
    """For the organisation page: its upcoming meetings that the current user may see."""
    return meetings_overview.upcoming_for_organization(current_user, organization, limit)


@bp.app_template_global()
def calendar_feed_url():
    """The signed-in account's personal feed address, or None before one was made."""
    if not current_user.is_authenticated:
        return None
    token = feeds.current_token(current_user)
    return url_for("meetings.feed", token=token, _external=True) if token else None


@bp.app_template_global()
def mail_enabled():
    return core_mail.enabled()


# --- Month grid and lists ---------------------------------------------------------------------


@bp.get("/calendar")
def calendar():
    today = times.to_local(utcnow()).date()
    first = QueryArgs().month("month") or today.replace(day=1)
    return render(
        "meetings/calendar.html",
        "meetings/_month.html",
        first=first,
        weeks=meetings_overview.month_grid(current_user, first),
        previous=meetings_overview.shift_month(first, -1),
        next=meetings_overview.shift_month(first, 1),
        today=today,
    )


@bp.get("/meetings")
def meetings():
    when = "past" if request.args.get("when") == "past" else "upcoming"
    mine = request.args.get("mine") == "1"
    page = paginate(meetings_overview.meeting_list(current_user, when, mine), per_page=20)
    return render(
        "meetings/list.html", "meetings/_meeting_list.html", page=page, when=when, mine=mine
    )


# --- One meeting ------------------------------------------------------------------------------


def _show_context(context):
    meeting = context.meeting
    account = current_user
    planner = access.can_plan(account)
    rows = meetings_agenda.agenda_rows(meeting, account, context.person_ids)
    items = [item for _number, item in rows if item]
    return {
        "context": context,
        "meeting": meeting,
        "agenda_rows": rows,
        "items": items,
        "planner": planner,
        "series_template_shown": planner
        and meeting.series_id is not None
        and meetings_series.sees_whole_series(meeting, account),
        "edit_agenda": access.can_edit_agenda(account, meeting),
        "has_begun": rules.has_begun(meeting),
        "timeline": meetings_planning.timeline(meeting),
        "may_answer": access.can_answer(account, meeting, context.invited_ids, context.person_ids),
        "own_answer": meetings_answers.own_answer(meeting, account),
        "counts": meetings_answers.answer_counts(meeting),
        "overview": meetings_answers.answers_overview(context) if planner else None,
        "attendance": meetings_attendance.attendance(meeting),
        "series_text": recurrence.describe(meeting.series.rrule, meeting.series.first_start_local)
        if meeting.series_id
        else None,
        "agenda_form": _agenda_form() if access.can_edit_agenda(account, meeting) else None,
        "cancel_form": CancelForm(version=meeting.version) if planner else None,
        "action_form": EmptyForm(),
        "ambiguous": times.is_ambiguous(times.to_local(meeting.start).replace(tzinfo=None)),
        "occurrences": _occurrences(meeting) if planner and meeting.state == "planned" else [],
        "invitation": _invitation_text(meeting) if planner else None,
        "delivery": outbox.delivery_of(mail.about(meeting)) if planner else None,
        "files": files.page_files(context, items, account),
    }


def _occurrences(meeting) -> list:
    """For the series invitation: this and the later occurrences the planner may see; a
    meeting without series, or one alone, gets the plain button."""
    if not meeting.series_id:
        return []
    shown, _hidden = meetings_series.series_occurrences(meeting, current_user)
    return shown if len(shown) > 1 else []


def _invitation_text(meeting):
    """After "Send invitation" with mail off: the text to copy, for the meetings just invited
    (named in the address, checked again against what the planner may see)."""
    if core_mail.enabled():
        return None
    ids = QueryArgs().ids("invited")
    meetings = meetings_series.invited_occurrences(meeting, current_user, ids)
    return mail.invitation_text(meetings) if meetings else None


@bp.get("/meetings/<id:meeting_id>")
def show(meeting_id):
    context = access.get_meeting_or_404(meeting_id)
    return render("meetings/show.html", **_show_context(context))


@bp.get("/meetings/<id:meeting_id>.ics", endpoint="ics")
def ics_file(meeting_id):
    context = access.get_meeting_or_404(meeting_id)
    if not sharing.in_feeds(context.meeting.label):
        abort(404)  # RED never leaves the intranet (and nothing was read)
    meeting = context.meeting
    filename, unicode_name = ics.meeting_filenames(meeting)
    return conditional(
        feeds.meeting_version(meeting),
        meeting.updated_at,
        lambda: download(
            ics.calendar_bytes([meeting], method="PUBLISH"),
            filename,
            "text/calendar",
            unicode_name,
        ),
    )


@bp.get("/calendar.ics")
def feed():
    account = feeds.account_for(request.args.get("token"))
    if account is None:
        abort(404)
    # Calendar programs poll every few minutes: answer an unchanged feed without rendering it.
    alarm = feeds.alarm_minutes(account)
    etag, last_modified, where = feeds.feed_version(account, alarm)
    query = feeds.feed_meetings(account, where)
    name = current_app.config["FORUM_NAME"]

    def build():
        body = feeds.feed_body(etag, lambda: ics.calendar_bytes(query, name=name, alarm=alarm))
        return download(body, "kalender.ics", "text/calendar")

    return conditional(etag, last_modified, build)


@bp.post("/calendar/feed-token")
def renew_feed_token():
    in_place = wants_fragment("feed-token") and request.headers.get("HX-Request")
    if EmptyForm().validate_on_submit():
        renewing = feeds.current_token(current_user) is not None
        if renewing and request.form.get("confirm") != "yes":
            # Renewing stops the old address in every subscribed program: only when confirmed.
            return render(
                "meetings/feed_renew.html",
                "meetings/_feed_token.html",
                status=422,
                renew_error=_(
                    "Please confirm with the checkbox that the old address may stop working."
                ),
            )
        feeds.renew(current_user)
        if renewing:
            flash(_("Your calendar address is new; the old one no longer works."), "success")
        else:  # a first address replaces nothing
            flash(
                _("Your calendar address is ready: copy it into your calendar program."), "success"
            )
    if in_place:
        return render("meetings/_feed_token.html", "meetings/_feed_token.html")
    return redirect_to(url_for("auth.account"))


@bp.app_template_filter("webcal")
def webcal(url: str) -> str:
    """The feed's address for calendar programs: `webcal://` opens the subscribe dialogue."""
    return "webcal://" + url.split("://", 1)[-1]


# --- Planning ---------------------------------------------------------------------------------


def _organization_choices():
    return list(Organization.select().order_by(Organization.name))


def _meeting_form(meeting=None, context=None) -> MeetingForm:
    form = MeetingForm()
    form.problems = []  # errors of the whole form (conflicts), shown above it
    organizations = _organization_choices()
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


def _form_error(form, error: access.MeetingError):
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        form.problems.append(str(error))


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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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


@bp.post("/meetings/<id:meeting_id>/mail/retry")
def retry_mail(meeting_id):
    """Send the failed mails about this meeting once more (the outbox tries them again)."""
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
    if EmptyForm().validate_on_submit():
        count = outbox.retry(about=mail.about(context.meeting))
        if count:
            flash_at(
                "delivery",
                ngettext(
                    "%(num)s email will be sent again.", "%(num)s emails will be sent again.", count
                ),
            )
    return redirect_to(url_for("meetings.show", meeting_id=meeting_id, _anchor="delivery"))


LEGACY_STATES = {"invited": "invite"}


@bp.post("/meetings/<id:meeting_id>/state")
def change_state(meeting_id):
    """The workflow's buttons without a form of their own: send the invitation, withdraw a
    cancellation. Cancelling has its form (a reason), "held" comes with the attendance."""
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
    if EmptyForm().validate_on_submit():
        # `state=invited` is what the button sent before the workflow had named actions.
        action = request.form.get("action") or LEGACY_STATES.get(request.form.get("state"), "")
        try:
            version = int(request.form.get("version") or 0) or None
        except ValueError:
            version = None
        if action == "invite":
            return _invite(context)
        try:
            if action == "uncancel":
                meeting = meetings_planning.uncancel_meeting(context.meeting, version, current_user)
            else:
                raise access.MeetingError(_("This change of state is not possible."))
        except access.MeetingError as error:
            flash(str(error), "error")
        else:
            message = _("The cancellation is withdrawn: the meeting takes place.")
            flash(_message_with_mail(message, meeting.mailed), "success")
    return redirect_to(url_for("meetings.show", meeting_id=meeting_id))


def _invite(context):
    """Send the invitation for this meeting, the whole series or the chosen occurrences; the
    outcome is shown in the planning section, where the button is."""
    meeting_id = context.meeting.id
    scope = request.form.get("scope", "this")
    chosen = request.form.getlist("occurrence", type=int)
    try:
        result = meetings_series.invite_occurrences(context.meeting, current_user, scope, chosen)
    except access.MeetingError as error:
        flash_at("planning", str(error), "error")
        return redirect_to(url_for("meetings.show", meeting_id=meeting_id, _anchor="planning"))
    invited = result.meetings
    count = len(invited)
    if not invited:
        message = None
    elif core_mail.enabled():
        message = ngettext(
            "Invitation sent for %(num)s meeting.", "Invitation sent for %(num)s meetings.", count
        )
    else:
        message = ngettext(
            "The meeting is marked as invited, but no email was sent: email is switched off on this installation. Below is the invitation text to send yourself.",
            "%(num)s meetings are marked as invited, but no email was sent: email is switched off on this installation. Below is the invitation text to send yourself.",
            count,
        )
    if message:
        flash_at("planning", _message_with_mail(message, result.mailed))
    skipped = [
        (result.cancelled, ngettext(
            "%(num)s cancelled meeting was skipped.",
            "%(num)s cancelled meetings were skipped.",
            result.cancelled,
        )),
        (result.already, ngettext(
            "%(num)s meeting had already been invited and was skipped.",
            "%(num)s meetings had already been invited and were skipped.",
            result.already,
        )),
        (result.hidden, ngettext(
            "%(num)s meeting of the series is not shared with you and was left out.",
            "%(num)s meetings of the series are not shared with you and were left out.",
            result.hidden,
        )),
        (result.changed, ngettext(
            "%(num)s meeting was changed by someone else meanwhile and was not invited.",
            "%(num)s meetings were changed by someone else meanwhile and were not invited.",
            result.changed,
        )),
    ]  # fmt: skip
    for number, text in skipped:
        if number:
            flash_at("planning", text, "warning")
    # With mail off the page shows the text to copy for exactly the meetings invited now.
    ids = [m.id for m in invited] if invited and not core_mail.enabled() else None
    return redirect_to(
        url_for("meetings.show", meeting_id=meeting_id, invited=ids, _anchor="planning")
    )


# --- Agenda -----------------------------------------------------------------------------------


def _agenda_form(empty: bool = False) -> AgendaItemForm:
    """The form to add an agenda item; `empty` after one was added, so that the next one does
    not start with the text of the last (the request still holds it)."""
    form = AgendaItemForm(prefix="item", **({"formdata": None} if empty else {}))
    form.problems = []
    form.organization.choices = [SelectChoice(0, _("— none —"))] + [
        SelectChoice(o.id, o.name) for o in _organization_choices()
    ]
    return form


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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
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


# --- Answers and attendance -------------------------------------------------------------------


@bp.post("/meetings/<id:meeting_id>/answer")
def answer(meeting_id):
    context = access.get_meeting_or_404(meeting_id)
    meeting = context.meeting
    if not access.can_answer(current_user, meeting, context.invited_ids, context.person_ids):
        abort(404)
    value = request.form.get("answer", "")
    if EmptyForm().validate_on_submit() and value in ANSWERS:
        meetings_answers.give_answer(meeting, current_user, value)
        flash(_("Your answer is saved: %(answer)s.", answer=_saved_labels()[value]), "success")
    else:
        abort(400)
    card_id = f"answer-card-{meeting_id}"
    if request.headers.get("HX-Target") == card_id and wants_fragment(card_id):
        # The start page answers several meetings, each in its own block.
        card = start.MeetingCard(meeting, may_answer=True, answer=value)
        return render(
            "pages/home.html", "meetings/_answer_card.html", target=card_id, meeting=meeting,
            card=card,
        )  # fmt: skip
    if request.headers.get("HX-Request") and wants_fragment("answer"):
        return render(
            "meetings/_answer.html",
            "meetings/_answer.html",
            meeting=meeting,
            may_answer=True,
            own_answer=value,
            counts=meetings_answers.answer_counts(meeting),
            action_form=EmptyForm(),
        )
    back = safe_next(request.form.get("next"))
    return redirect_to(back or url_for("meetings.show", meeting_id=meeting_id) + "#answer")


def _saved_labels():
    return {"yes": _("accepted"), "no": _("declined"), "maybe": _("maybe")}


@bp.route("/meetings/<id:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True)
    meeting = context.meeting
    if not access.can_record_attendance(current_user, meeting):
        abort(404)
    if not rules.has_begun(meeting):
        flash(str(rules.NOT_BEGUN), "error")
        return redirect_to(url_for("meetings.show", meeting_id=meeting_id))
    organizations = sorted(
        {o.id: o for o in [*context.invited, meeting.organization] if o}.values(),
        key=lambda o: o.name,
    )
    existing = meetings_attendance.attendance(meeting)
    form = AttendanceForm()
    form.problems = []
    guessed = set()
    if request.method == "GET":
        # Before anything is recorded, the answers preset the form (a guess to check, not a
        # record): 14 organisations need a few changes instead of 28 clicks.
        preset = {} if existing else meetings_attendance.attendance_from_answers(meeting)
        guessed = set(preset)
        for organization in organizations:
            row = existing.get(organization.id)
            form.rows.append_entry(
                {
                    "organization_id": organization.id,
                    "status": row.status if row else preset.get(organization.id, ""),
                    "names": row.names if row else "",
                }
            )
    names = {o.id: o.name for o in organizations}
    conflict = False
    if form.validate_on_submit():
        rows = {r.organization_id.data: (r.status.data, r.names.data or "") for r in form.rows}
        try:
            meetings_attendance.record_attendance(context, rows, current_user)
        except access.MeetingError as error:
            form.problems.append(str(error))
            conflict = isinstance(error, access.Conflict)
        else:
            flash_at("attendance", _("Attendance saved."))
            return redirect_to(
                url_for("meetings.show", meeting_id=meeting_id, _anchor="attendance")
            )
    status = (409 if conflict else 422) if request.method == "POST" else 200
    return render(
        "meetings/attendance.html",
        form=form,
        meeting=meeting,
        names=names,
        guessed=guessed,
        status=status,
    )
