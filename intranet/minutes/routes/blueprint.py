"""The minutes area's one blueprint and what its pages share with the templates: the
sign-in check, the labels of states, events and steps, the template globals. The route
modules beside this one add their pages to `bp`."""

from flask import Blueprint
from flask_login import current_user

from intranet.auth.access import require_login
from intranet.minutes import access, editing, numbering, rules
from intranet.minutes import workflow as minutes_workflow
from intranet.platform.i18n import lazy_gettext as _l

bp = Blueprint("minutes", __name__)


@bp.before_request
def _login():
    return require_login()


EVENT_LABELS = {
    "start": _l("Minutes started"),
    "submit": _l("Submitted for review"),
    "approve": _l("Approved and circulated"),
    "return": _l("Returned with comments"),
    "resolve": _l("Objection resolved"),
    "withdraw": _l("Taken back into draft"),
    "release": _l("Released"),
    "start_correction": _l("Correction started"),
    "corrected": _l("Correction started"),
}


STEP_BUTTONS = {
    "submit": _l("Submit for review"),
    "approve": _l("Approve and circulate"),
    "return": _l("Return with comments"),
    "release": _l("Release"),
    "withdraw": _l("Take back into draft"),
}
# The check before a step that reaches every organisation (minutes_workflow.CHECKED_STEPS).
CHECK_TITLES = {
    "approve": _l("Check before circulating"),
    "release": _l("Check before releasing"),
}
CONFIRM_BUTTONS = {
    "approve": _l("Approve and circulate now"),
    "release": _l("Release now"),
}


bp.add_app_template_global(numbering.document_title, "document_title")


@bp.app_context_processor
def _labels():
    return {
        "MINUTES_STATE_LABELS": rules.STATE_LABELS,
        "describe_decision_result": editing.describe_result,
        "EVENT_LABELS": EVENT_LABELS,
        "STEP_BUTTONS": STEP_BUTTONS,
        "CHECKED_STEPS": minutes_workflow.CHECKED_STEPS,
        "CHECK_TITLES": CHECK_TITLES,
        "CONFIRM_BUTTONS": CONFIRM_BUTTONS,
    }


@bp.app_template_global()
def meeting_minutes(meeting_context):
    """For the meeting page: the minutes the viewer may see, and whether they may start them."""
    items = access.current_for_meeting(meeting_context.meeting.id, current_user)
    may_start = access.can_start(current_user, meeting_context) and not access.has_minutes(
        meeting_context.meeting.id
    )
    return {"items": items, "may_start": may_start}
