"""The attendance record per organisation; its first record moves the meeting to held."""

from collections import defaultdict

from intranet.core import audit
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowError
from intranet.meetings import rules
from intranet.meetings.access import MeetingContext, MeetingError
from intranet.meetings.models import (
    ATTENDANCE,
    HELD,
    Answer,
    Attendance,
    AttendanceStatus,
    InvitationAnswer,
    Meeting,
)
from intranet.meetings.planning import take_step
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def _attendance(meeting_id):
    return (
        Attendance.select(Attendance, Organization)
        .join(Organization)
        .where(Attendance.meeting == meeting_id)
        .order_by(Organization.name)
    )


# On every meeting page: compiled once.
_ATTENDANCE = Prepared(_attendance)


def attendance(meeting) -> dict[int, Attendance]:
    return {a.organization_id: a for a in _ATTENDANCE.run(meeting_id=meeting.id)}


def attendance_from_answers(meeting) -> dict[int, str]:
    """A first guess at the attendance, per organisation, from the answers to the invitation:
    someone accepted → present; everyone who answered declined → excused. Organisations with
    no answer or only "maybe" get no guess (one query)."""
    answers = defaultdict(set)
    for row in Answer.select(Answer.organization, Answer.answer).where(
        (Answer.meeting == meeting.id) & Answer.organization.is_null(False)
    ):
        answers[row.organization_id].add(row.answer)
    guesses = {}
    for organization_id, given in answers.items():
        if InvitationAnswer.YES in given:
            guesses[organization_id] = AttendanceStatus.PRESENT
        elif given == {InvitationAnswer.NO}:
            guesses[organization_id] = AttendanceStatus.EXCUSED
    return guesses


def record_attendance(context: MeetingContext, rows: dict[int, tuple[str, str]], actor) -> None:
    """rows: organisation id → (status, names). The first record moves the meeting to held
    (a workflow step), which is possible only from the meeting's start on."""
    meeting = context.meeting
    allowed = context.organization_ids
    with write_transaction():
        current = Meeting.get_by_id(meeting.id)
        if current.cancelled or current.state != HELD:
            try:
                rules.WORKFLOW.check(actor, current, "hold")
            except WorkflowError as error:
                raise MeetingError(str(error)) from None
        for organization_id, (status, names) in rows.items():
            if organization_id not in allowed or status not in ATTENDANCE:
                raise MeetingError(_l("Please choose a status for every organisation."))
            Attendance.insert(
                meeting=meeting.id,
                organization=organization_id,
                status=status,
                names=names.strip(),
                recorded_by=actor.id,
                recorded_by_label=actor.display_name,
                recorded_at=utcnow(),
            ).on_conflict(
                conflict_target=[Attendance.meeting, Attendance.organization],
                update={
                    Attendance.status: status,
                    Attendance.names: names.strip(),
                    Attendance.recorded_by: actor.id,
                    Attendance.recorded_by_label: actor.display_name,
                    Attendance.recorded_at: utcnow(),
                },
            ).execute()
        if current.cancelled or current.state != HELD:
            take_step(current, "hold", actor)
        audit.record("meeting.attendance", target=ref("meeting", meeting.id), actor=actor)
