"""The meeting workflow in one place: who may move a meeting from which state to which.

States (OParl `meetingState` plus OParl `cancelled`):

    planned ──invite──▶ invited ──hold──▶ held
       │  └──────────────hold────────────▶ held
       └─cancel─▶ cancelled ◀─cancel── invited
                  cancelled ──uncancel──▶ the state it had before

How cancellation is stored: the `state` column keeps the meeting's OParl `meetingState`
(planned, invited or held) and the `cancelled` flag says whether it is cancelled, as OParl
models it. The workflow state is derived from both (`Meeting.workflow_state`), so un-cancelling
returns to the state kept in `state` without a migration and without a second column.
`cancel_reason` is set with the cancellation and emptied when it is withdrawn: it is non-empty
only while the meeting is cancelled; the history (WorkflowEvent comments) keeps every reason.

Every step raises the meeting's version and RFC 5545 SEQUENCE (see planning.take_step), so a
form loaded before the step conflicts and calendar programs take the change.
"""

from intranet.core.accounts import Role
from intranet.core.workflow import PREVIOUS, Transition, Workflow
from intranet.meetings.models import CANCELLED, HELD, INVITED, PLANNED, Meeting, MeetingState
from intranet.platform.db import utcnow
from intranet.platform.i18n import lazy_gettext as _l

PLANNING_ROLES = (Role.COORDINATOR, Role.ADMIN)

STATE_LABELS = MeetingState.labels()
EVENT_LABELS = {
    "invite": _l("Invitation sent"),
    "hold": _l("Attendance recorded: held"),
    "cancel": _l("Cancelled"),
    "uncancel": _l("Cancellation withdrawn"),
}


def can_plan(account) -> bool:
    """Create, edit, invite to, cancel meetings and record attendance."""
    return bool(account and account.is_authenticated and account.role in PLANNING_ROLES)


def has_begun(meeting, now=None) -> bool:
    """Attendance (and with it "held") only from the meeting's start on."""
    return (now or utcnow()) >= meeting.start


def _planner(account, meeting) -> bool:
    return can_plan(account)


NOT_BEGUN = _l("Attendance can be recorded from the start of the meeting on.")


class MeetingWorkflow(Workflow):
    """State = `cancelled` flag over the OParl `state` column (see the module docstring)."""

    def state_of(self, item) -> str:
        return CANCELLED if item.cancelled else item.state

    def in_state(self, state: str):
        if state == CANCELLED:
            return Meeting.cancelled == True  # noqa: E712 (SQL, not Python)
        return (Meeting.cancelled == False) & (Meeting.state == state)  # noqa: E712

    def state_changes(self, source: str, target: str) -> dict:
        if target == CANCELLED:
            return {Meeting.cancelled: True}
        if source == CANCELLED:
            return {Meeting.cancelled: False, Meeting.state: target}
        return {Meeting.state: target}

    def previous_state(self, item) -> str | None:
        # The column kept the meetingState through the cancellation.
        return item.state if item.state in (PLANNED, INVITED) else None


WORKFLOW = MeetingWorkflow(
    "meeting",
    Meeting,
    [
        Transition(PLANNED, INVITED, "invite", _planner),
        Transition(PLANNED, HELD, "hold", _planner, ready=has_begun, not_ready=NOT_BEGUN),
        Transition(INVITED, HELD, "hold", _planner, ready=has_begun, not_ready=NOT_BEGUN),
        Transition(PLANNED, CANCELLED, "cancel", _planner, needs_comment=lambda item: True),
        Transition(INVITED, CANCELLED, "cancel", _planner, needs_comment=lambda item: True),
        Transition(CANCELLED, PREVIOUS, "uncancel", _planner),
    ],
    messages={"cancel": _l("Please give a reason for the cancellation.")},
)
