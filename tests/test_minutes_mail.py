"""Being told: each minutes step queues one mail per person concerned, in their language, in the
transaction of the step. A mail names the minutes only where they may leave the intranet and
the recipient may read them; it never carries the text of minutes, sections or comments."""

import datetime as dt

import pytest

from intranet.core.models import OutboxMessage
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, editing, workflow
from intranet.minutes import comments as minutes_comments
from intranet.platform.db import utcnow
from tests import factories

SECRET = "Ordnerzahlgeheim"


@pytest.fixture
def mail_on(app):
    """Mail on, and a request around the test: mails carry the page's full address."""
    app.config.update(MAIL_SERVER="127.0.0.1:1", MAIL_FROM="intranet@example.org")
    with app.test_request_context():
        yield


def held(org, invited=(), label="green"):
    meeting = factories.meeting(
        "Plenum", label, organization=org, invited=list(invited),
        start=utcnow().replace(microsecond=0) - dt.timedelta(days=2), state="held",
    )  # fmt: skip
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    return meeting


def ctx(minutes, account):
    return access.get_minutes_or_404(minutes.id, account=account)


def mails(step_subject=""):
    return {(m.recipient, m.subject) for m in OutboxMessage.select() if step_subject in m.subject}


def test_each_step_tells_those_concerned(mail_on, org, other_org, coordinator, reviewer, member):
    english = factories.account("member", other_org, email="en@example.org", language="en")
    minutes = editing.start_minutes(load_context(held(org, [other_org])), coordinator)
    editing.save_draft(
        ctx(minutes, coordinator), f"Text {SECRET}", "green", False,
        ctx(minutes, coordinator).minutes.version, coordinator,
    )  # fmt: skip
    workflow.submit(ctx(minutes, coordinator), coordinator)
    assert mails("Prüfung") == {(reviewer.email, "Protokoll zur Prüfung: Plenum")}
    workflow.return_to_draft(ctx(minutes, reviewer), reviewer, f"Bitte {SECRET} streichen")
    assert (coordinator.email, "Protokoll mit Anmerkungen zurückgegeben: Plenum") in mails()
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    circulating = {r for r, s in mails("Umlauf")}
    assert {member.email, coordinator.email} <= circulating and reviewer.email not in circulating
    assert (english.email, "Minutes in circulation: Plenum") in mails()
    minutes_comments.add_comment(ctx(minutes, member), "objection", f"{SECRET} ist falsch", member)
    assert (coordinator.email, "Einspruch zum Protokoll: Plenum") in mails()
    objection = workflow.open_objections(minutes)[0]
    minutes_comments.resolve_objection(
        ctx(minutes, coordinator), objection.id, "Geklärt", coordinator
    )
    workflow.release(ctx(minutes, coordinator), coordinator, "Eilig")
    assert (member.email, "Protokoll freigegeben: Plenum") in mails()
    for message in OutboxMessage.select():
        assert SECRET not in message.text and SECRET not in message.html
        assert f"/minutes/{minutes.id}" in message.text


def test_minutes_that_stay_inside_are_not_named(mail_on, org, coordinator, reviewer):
    named = factories.account("member", org, email="benannt@example.org")
    meeting = held(org)
    meeting.label = "red"
    meeting.title = "Fallkonferenz Geheim"
    meeting.save()
    from intranet.meetings.models import MeetingPerson

    for person in (coordinator, reviewer, named):
        MeetingPerson.create(meeting=meeting, account=person)
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    subjects = {s for _r, s in mails()}
    assert subjects == {"Ein Protokoll wartet auf Ihre Prüfung", "Ein Protokoll ist im Umlauf"}
    assert all("Geheim" not in m.text for m in OutboxMessage.select())
    # Only the persons named on a RED meeting are told.
    assert {r for r, _s in mails()} <= {coordinator.email, reviewer.email, named.email}


def test_no_mail_without_a_mail_server(org, coordinator):
    minutes = editing.start_minutes(load_context(held(org)), coordinator)
    workflow.submit(ctx(minutes, coordinator), coordinator)
    assert not OutboxMessage.select().exists()
