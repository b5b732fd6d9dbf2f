"""Meeting pages: the answer of an invited person, and who attended as the planners record it."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.auth.access import safe_next
from intranet.auth.forms import EmptyForm
from intranet.meetings import access, rules, start
from intranet.meetings import answers as meetings_answers
from intranet.meetings import attendance as meetings_attendance
from intranet.meetings.forms import AttendanceForm
from intranet.meetings.models import ANSWERS
from intranet.meetings.routes.blueprint import bp
from intranet.platform.htmx import flash_at, redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _

# --- Answers and attendance -------------------------------------------------------------------


@bp.post("/meetings/<id:meeting_id>/answer")
def answer(meeting_id):
    context = access.get_meeting_or_404(meeting_id, account=current_user)
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
        card = start.MeetingCard(lambda: meeting, may_answer=True, answer=value)
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
            counts=meetings_answers.answer_counts(meeting, current_user)[0],
            action_form=EmptyForm(),
        )
    back = safe_next(request.form.get("next"))
    return redirect_to(back or url_for("meetings.show", meeting_id=meeting_id) + "#answer")


def _saved_labels():
    return {"yes": _("accepted"), "no": _("declined"), "maybe": _("maybe")}


@bp.route("/meetings/<id:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id):
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
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
