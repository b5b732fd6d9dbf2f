"""The meeting workflow (meetings/rules.py): the transition table, un-cancelling, the
start-time rule for attendance, the closed agenda of a cancelled meeting and the timeline."""

import datetime as dt
import re
from types import SimpleNamespace

import icalendar
import pytest

from intranet.core.models import AuditEvent, WorkflowEvent
from intranet.core.workflow import WorkflowError
from intranet.meetings import access, planning, rules
from intranet.meetings import answers as meetings_answers
from intranet.meetings import attendance as meetings_attendance
from intranet.meetings.models import AgendaItem, Attendance, Meeting
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

ROLES = ("admin", "coordinator", "reviewer", "member")
# (shown state, OParl state column, cancelled flag)
STATES = {
    "planned": ("planned", False),
    "invited": ("invited", False),
    "held": ("held", False),
    "cancelled (was planned)": ("planned", True),
    "cancelled (was invited)": ("invited", True),
}
ACTIONS = ("invite", "hold", "cancel", "uncancel", "publish")
# Everything a planner may do, and where it leads; anything not listed is refused for everyone.
# "hold" needs the meeting to have begun.
ALLOWED = {
    ("planned", "invite"): "invited",
    ("planned", "hold"): "held",
    ("invited", "hold"): "held",
    ("planned", "cancel"): "cancelled",
    ("invited", "cancel"): "cancelled",
    ("cancelled (was planned)", "uncancel"): "planned",
    ("cancelled (was invited)", "uncancel"): "invited",
}
PLANNERS = ("admin", "coordinator")


def cases():
    for role in ROLES:
        for state in STATES:
            for action in ACTIONS:
                for begun in (False, True):
                    yield role, state, action, begun


def expected_target(role, state, action, begun):
    target = ALLOWED.get((state, action))
    if target is None or role not in PLANNERS or (action == "hold" and not begun):
        return None
    return target


def outcome(role, state, action, begun):
    """What the workflow does: the target state, or None when it refuses."""
    column, cancelled = STATES[state]
    now = utcnow()
    start = now - dt.timedelta(minutes=1) if begun else now + dt.timedelta(minutes=1)
    meeting = Meeting(id=1, state=column, cancelled=cancelled, start=start, end=start)
    account = SimpleNamespace(role=role, is_authenticated=True)
    offered = action in {t.action for t in rules.WORKFLOW.available(account, meeting)}
    try:
        transition = rules.WORKFLOW.check(account, meeting, action, comment="Grund")
    except WorkflowError:
        return None, offered
    return rules.WORKFLOW.target_of(meeting, transition), offered


def test_transition_table(app):
    """role × from-state × action (× begun or not) → the target state, or refused."""
    wrong = []
    for role, state, action, begun in cases():
        expected = expected_target(role, state, action, begun)
        got, offered = outcome(role, state, action, begun)
        if got != expected or offered != (expected is not None):
            wrong.append((role, state, action, begun, expected, got, offered))
    assert wrong == []
    assert len(list(cases())) == 200


def refusal(meeting, action, role="coordinator", comment="Grund"):
    account = SimpleNamespace(role=role, is_authenticated=True)
    with pytest.raises(WorkflowError) as raised:
        rules.WORKFLOW.check(account, meeting, action, comment=comment)
    return str(raised.value)


def test_refusals_say_why_in_german(app):
    ahead = utcnow() + dt.timedelta(days=1)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        held = Meeting(id=1, state="held", cancelled=False, start=ahead)
        assert "im aktuellen Status nicht möglich" in refusal(held, "cancel")
        planned = Meeting(id=1, state="planned", cancelled=False, start=ahead)
        assert "ab Beginn des Termins" in refusal(planned, "hold")
        assert "Grund für die Absage" in refusal(planned, "cancel", comment=" ")
        assert "dürfen Sie nicht" in refusal(planned, "invite", role="member")


def invited_meeting(org, other_org, start=None, state="invited"):
    start = start or utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    return factories.meeting("Plenum", organization=org, invited=[other_org], start=start,
                             state=state)  # fmt: skip


def uncancel(client, meeting, version=None):
    return client.post(
        f"/meetings/{meeting.id}/state",
        data={
            "csrf_token": csrf_token(client),
            "action": "uncancel",
            "version": str(version if version is not None else meeting.version),
        },
    )


def ics_event(client, meeting):
    body = client.get(f"/meetings/{meeting.id}.ics").data
    return icalendar.Calendar.from_ical(body).walk("VEVENT")[0]


def state_row(page: str) -> str:
    return re.search(r"Status</dt>\s*<dd[^>]*>([^<]*)</dd>", page).group(1).strip()


def test_uncancel_returns_to_the_state_before_with_a_higher_sequence(
    client, coordinator, org, other_org
):
    meeting = invited_meeting(org, other_org)
    sign_in(client, coordinator)
    before = ics_event(client, meeting)
    response = client.post(
        f"/meetings/{meeting.id}/cancel",
        data={"csrf_token": csrf_token(client), "reason": "Raum belegt", "version": "1"},
    )
    assert response.status_code == 303
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert state_row(page) == "abgesagt" and "Absage zurücknehmen" in page
    cancelled = ics_event(client, meeting)
    assert cancelled["status"] == "CANCELLED"

    response = uncancel(client, Meeting.get_by_id(meeting.id))
    assert response.status_code == 303
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Die Absage ist zurückgenommen" in page
    assert state_row(page) == "Einladung versandt"
    assert "Dieser Termin ist abgesagt." not in page
    saved = Meeting.get_by_id(meeting.id)
    assert (saved.state, saved.cancelled, saved.cancel_reason) == ("invited", False, "")
    after = ics_event(client, meeting)
    assert after["status"] == "CONFIRMED"
    assert before["sequence"] < cancelled["sequence"] < after["sequence"]
    # The reason is not lost: the timeline keeps it.
    assert "Raum belegt" in page and "Absage zurückgenommen" in page


def test_uncancel_of_a_stale_page_and_by_a_member_is_refused(
    client, coordinator, member, org, other_org
):
    meeting = invited_meeting(org, other_org)
    planning.cancel_meeting(meeting, "Krank", 1, coordinator)
    sign_in(client, member)
    assert uncancel(client, meeting, version=2).status_code == 404
    sign_in(client, coordinator)
    uncancel(client, meeting, version=1)  # the page from before the cancellation
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "in der Zwischenzeit" in page
    assert Meeting.get_by_id(meeting.id).cancelled


def test_steps_raise_version_and_are_recorded_with_who_and_when(app, coordinator, org, other_org):
    meeting = invited_meeting(org, other_org, state="planned")
    planning.invite(meeting, coordinator)
    planning.cancel_meeting(meeting, "Krank", 2, coordinator)
    with pytest.raises(access.Conflict):
        planning.uncancel_meeting(meeting, 2, coordinator)  # a form from before the cancel
    saved = planning.uncancel_meeting(meeting, 3, coordinator)
    assert (saved.version, saved.sequence, saved.state, saved.cancelled) == (4, 3, "invited", False)
    events = rules.WORKFLOW.history(meeting.id)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("invite", "planned", "invited"),
        ("cancel", "invited", "cancelled"),
        ("uncancel", "cancelled", "invited"),
    ]
    assert {e.actor_id for e in events} == {coordinator.id}
    assert events[1].comment == "Krank"
    actions = [
        a.action for a in AuditEvent.select().where(AuditEvent.action.startswith("meeting."))
    ]
    assert actions == ["meeting.invite", "meeting.cancel", "meeting.uncancel"]


def test_held_comes_only_with_attendance_not_through_the_state_button(
    client, coordinator, org, other_org
):
    meeting = invited_meeting(org, other_org, start=utcnow() - dt.timedelta(hours=1))
    sign_in(client, coordinator)
    client.post(
        f"/meetings/{meeting.id}/state", data={"csrf_token": csrf_token(client), "state": "held"}
    )
    assert Meeting.get_by_id(meeting.id).state == "invited"
    assert WorkflowEvent.select().count() == 0


def attendance_data(client, orgs, statuses):
    data = {"csrf_token": csrf_token(client)}
    for n, (o, status) in enumerate(zip(orgs, statuses, strict=True)):
        data[f"rows-{n}-organization_id"] = str(o.id)
        data[f"rows-{n}-status"] = status
    return data


def test_attendance_only_from_the_start_of_the_meeting(client, coordinator, org, other_org):
    meeting = invited_meeting(org, other_org, start=utcnow() + dt.timedelta(minutes=30))
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Anwesenheit erfassen" not in page
    response = client.get(f"/meetings/{meeting.id}/attendance")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "erst ab Beginn des Termins" in page
    client.post(
        f"/meetings/{meeting.id}/attendance",
        data=attendance_data(client, [org, other_org], ["present", "present"]),
    )
    assert Attendance.select().count() == 0
    assert Meeting.get_by_id(meeting.id).state == "invited"
    with pytest.raises(access.MeetingError):
        meetings_attendance.record_attendance(
            access.load_context(meeting), {org.id: ("present", "")}, coordinator
        )
    assert Attendance.select().count() == 0

    Meeting.update(start=utcnow() - dt.timedelta(minutes=1)).where(
        Meeting.id == meeting.id
    ).execute()
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Anwesenheit erfassen" in page
    orgs = sorted([org, other_org], key=lambda o: o.name)
    response = client.post(
        f"/meetings/{meeting.id}/attendance",
        data=attendance_data(client, orgs, ["present", "absent"]),
    )
    assert response.status_code == 303
    assert Meeting.get_by_id(meeting.id).state == "held"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert state_row(page) == "durchgeführt" and "Anwesenheit erfasst: durchgeführt" in page


def test_attendance_form_without_answers_has_no_preset_status(client, coordinator, org, other_org):
    meeting = invited_meeting(org, other_org, start=utcnow() - dt.timedelta(hours=1))
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert page.count('<option selected value="">') == 2
    assert 'selected value="present"' not in page
    orgs = sorted([org, other_org], key=lambda o: o.name)
    response = client.post(
        f"/meetings/{meeting.id}/attendance", data=attendance_data(client, orgs, ["present", ""])
    )
    assert response.status_code == 422
    assert "Bitte wählen Sie für jede Organisation" in response.get_data(as_text=True)
    assert Attendance.select().count() == 0
    assert Meeting.get_by_id(meeting.id).state == "invited"


def test_attendance_form_is_preset_from_the_answers_and_stays_editable(
    client, coordinator, org, other_org
):
    third, fourth = factories.organization("Zentrum"), factories.organization("Yachtclub")
    meeting = factories.meeting(
        "Plenum", organization=org, invited=[other_org, third, fourth],
        start=utcnow() - dt.timedelta(hours=1), state="invited",
    )  # fmt: skip
    for organization, answers in (
        (org, ["no", "yes"]),  # one of them came: present
        (other_org, ["no", "no"]),  # all who answered declined: excused
        (third, ["maybe"]),  # no guess
    ):  # fourth: nobody answered, no guess
        for answer in answers:
            meetings_answers.give_answer(meeting, factories.account("member", organization), answer)
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    rows = dict(
        re.findall(
            r'scope="row" id="org-\d+">([^<]+)<.*?<option selected value="(\w*)"', page, re.S
        )
    )
    assert rows == {org.name: "present", other_org.name: "excused", "Yachtclub": "", "Zentrum": ""}
    assert page.count(">aus den Antworten</p>") == 2
    assert "Vorbelegt aus den Antworten auf die Einladung" in page
    # Still a choice: the guess is changed before saving, and what is saved is shown from then on.
    orgs = sorted([org, other_org, third, fourth], key=lambda o: o.name)
    chosen = {org.id: "absent", other_org.id: "excused", third.id: "present", fourth.id: "absent"}
    response = client.post(
        f"/meetings/{meeting.id}/attendance",
        data=attendance_data(client, orgs, [chosen[o.id] for o in orgs]),
    )
    assert response.status_code == 303
    assert {a.organization_id: a.status for a in Attendance.select()} == chosen
    page = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "aus den Antworten" not in page


@pytest.fixture
def cancelled_with_agenda(app, coordinator, org, other_org):
    meeting = invited_meeting(org, other_org)
    first = AgendaItem.create(meeting=meeting, position=1, title="Begrüßung")
    second = AgendaItem.create(meeting=meeting, position=2, title="Lagebild")
    planning.cancel_meeting(meeting, "Krank", 1, coordinator)
    return meeting, first, second


def agenda_state(meeting):
    return [
        (i.title, i.position)
        for i in AgendaItem.select().where(AgendaItem.meeting == meeting.id).order_by(AgendaItem.id)
    ]


def test_agenda_of_a_cancelled_meeting_cannot_be_changed(
    client, coordinator, cancelled_with_agenda
):
    meeting, first, second = cancelled_with_agenda
    before = agenda_state(meeting)
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Tagesordnungspunkt hinzufügen" not in page and "Nach unten" not in page
    token = csrf_token(client)
    base = f"/meetings/{meeting.id}/agenda"
    attempts = [
        (base, {"item-title": "Neu", "item-label": "green", "item-organization": "0"}),
        (f"{base}/{first.id}/move", {"direction": "down"}),
        (f"{base}/{first.id}/edit", {"item-title": "Anders", "item-label": "green",
                                     "item-organization": "0"}),
        (f"{base}/{second.id}/delete", {}),
    ]  # fmt: skip
    for path, data in attempts:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code in (303, 409), path
        page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
        assert "Die Tagesordnung kann nicht geändert werden" in page, path
    assert client.get(f"{base}/{first.id}/edit").status_code == 303
    # With htmx the agenda comes back as a fragment with 409 and the message.
    response = client.post(
        f"{base}/{first.id}/move",
        data={"csrf_token": token, "direction": "down"},
        headers={"HX-Request": "true", "HX-Target": "agenda"},
    )
    assert response.status_code == 409
    assert "Die Tagesordnung kann nicht geändert werden" in response.get_data(as_text=True)
    assert agenda_state(meeting) == before

    uncancel(client, Meeting.get_by_id(meeting.id))
    response = client.post(f"{base}/{second.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert agenda_state(meeting) == before[:1]


def test_future_meeting_shows_no_empty_attendance_and_minutes(client, member, org, other_org):
    ahead = invited_meeting(org, other_org)
    past = invited_meeting(org, other_org, start=utcnow() - dt.timedelta(days=2))
    sign_in(client, member)
    page = client.get(f"/meetings/{ahead.id}").get_data(as_text=True)
    assert 'id="attendance-heading"' not in page and 'id="minutes-heading"' not in page
    page = client.get(f"/meetings/{past.id}").get_data(as_text=True)
    assert "Noch nicht erfasst." in page and "Noch kein Protokoll." in page


def test_cancelled_meeting_says_cancelled_in_lists_and_on_its_page(
    client, coordinator, member, org, other_org
):
    meeting = invited_meeting(org, other_org, state="planned")
    planning.cancel_meeting(meeting, "Krank", 1, coordinator)
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert state_row(page) == "abgesagt"
    listing = client.get("/meetings").get_data(as_text=True)
    assert "abgesagt" in listing
    month = meeting.start.strftime("%Y-%m")
    assert "(abgesagt)" in client.get(f"/calendar?month={month}").get_data(as_text=True)
