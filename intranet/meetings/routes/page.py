"""Meeting pages: the page of one meeting, with the agenda form it shows to planners."""

from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.core import mail as core_mail
from intranet.core import outbox, times
from intranet.core.accounts import organizations_by_name
from intranet.core.query_args import QueryArgs
from intranet.meetings import access, files, mail, rules
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings import answers as meetings_answers
from intranet.meetings import attendance as meetings_attendance
from intranet.meetings import planning as meetings_planning
from intranet.meetings import series as meetings_series
from intranet.meetings.forms import AgendaItemForm, CancelForm
from intranet.meetings.models import MeetingState
from intranet.meetings.routes.blueprint import bp
from intranet.platform.htmx import render
from intranet.platform.i18n import gettext as _

# --- One meeting ------------------------------------------------------------------------------


def _show_context(context):
    meeting = context.meeting
    account = current_user._get_current_object()  # read often below: not through the proxy
    planner = access.can_plan(account)
    rows = meetings_agenda.agenda_rows(meeting, account, context.person_ids)
    items = [item for _number, item in rows if item]
    counts, own_answer = meetings_answers.answer_counts(meeting, account)
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
        "own_answer": own_answer,
        "counts": counts,
        "overview": meetings_answers.answers_overview(context) if planner else None,
        "attendance": meetings_attendance.attendance(meeting),
        "series_text": meetings_series.series_text(meeting),
        "agenda_form": _agenda_form() if access.can_edit_agenda(account, meeting) else None,
        "cancel_form": CancelForm(version=meeting.version) if planner else None,
        "action_form": EmptyForm(),
        "ambiguous": times.is_ambiguous(times.to_local(meeting.start).replace(tzinfo=None)),
        "occurrences": _occurrences(meeting)
        if planner and meeting.state == MeetingState.PLANNED
        else [],
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
    return mail.invitation_text(meetings, current_user) if meetings else None


@bp.get("/meetings/<id:meeting_id>")
def show(meeting_id):
    context = access.get_meeting_or_404(meeting_id, account=current_user)
    return render("meetings/show.html", **_show_context(context))


def _agenda_form(empty: bool = False) -> AgendaItemForm:
    """The form to add an agenda item; `empty` after one was added, so that the next one does
    not start with the text of the last (the request still holds it)."""
    form = AgendaItemForm(prefix="item", **({"formdata": None} if empty else {}))
    form.problems = []
    form.organization.choices = [SelectChoice(0, _("— none —"))] + [
        SelectChoice(o.id, o.name) for o in organizations_by_name()
    ]
    return form
