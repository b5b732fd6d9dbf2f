"""An invitation to many is one job row, written with the change; the delivery loop writes its
mails before it sends. The page answers without composing them, shows them as queued, and every
person invited at the time gets their mail exactly once, whichever deliverer writes it."""

import json

import pytest

from intranet.core import mail, notifications, outbox
from intranet.core.accounts import Account
from intranet.core.models import DigestEntry, MailJob, OutboxAttachment, OutboxMessage
from intranet.meetings import access as meetings_access
from intranet.meetings import mail as meeting_mail
from intranet.meetings import planning as meetings_planning
from intranet.meetings import series as meetings_series
from intranet.meetings.models import Meeting, MeetingPerson
from intranet.platform.db import db
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import deliver, free_port, race


@pytest.fixture
def mail_on(app):
    # Nothing listens there: the mails stay queued, which is all these tests look at.
    app.config.update(MAIL_SERVER=f"127.0.0.1:{free_port()}", MAIL_FROM="intranet@example.org")
    return app


def plenary(count):
    home = factories.organization("Veranstalter")
    guests = factories.organization("Plenum")
    coordinator = factories.account("coordinator", home, email="k@example.org")
    for number in range(count):
        factories.account("member", guests, email=f"p{number}@example.org")
    meeting = factories.make_meeting("Plenum", organization=home, invited=[guests])
    return coordinator, guests, meeting


def invite(client, meeting):
    return client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "action": "invite"},
    )


def test_the_page_composes_no_mail_and_shows_every_invitation_queued(mail_on, monkeypatch):
    coordinator, guests, meeting = plenary(40)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    composed = []
    compose = mail.compose
    monkeypatch.setattr(mail, "compose", lambda *a, **k: composed.append(a) or compose(*a, **k))
    assert invite(client, meeting).status_code == 303
    assert composed == []  # the request wrote no text, no calendar file
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "0 von 41 Einladungen zugestellt" in page
    assert outbox.delivery_of(f"meeting:{meeting.id}").queued == 41

    # Invited later: not mailed by this invitation, which goes to those of its moment.
    late = factories.account("member", guests, email="spaet@example.org")
    deliver()
    recipients = [m.recipient for m in OutboxMessage.select()]
    assert len(recipients) == 41 and len(set(recipients)) == 41
    assert late.email not in recipients and "p39@example.org" in recipients
    assert outbox.delivery_of(f"meeting:{meeting.id}").queued == 41


def test_admin_mail_counts_the_mails_still_to_be_written(mail_on, admin):
    coordinator, _guests, meeting = plenary(5)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    invite(client, meeting)
    sign_in(client, admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "6 weitere E-Mails in der Warteschlange" in page
    outbox.expand_jobs()
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "weitere E-Mails" not in page and page.count("p4@example.org") == 1


def test_a_job_that_cannot_be_written_waits_and_stops_no_other(mail_on, monkeypatch):
    coordinator, _guests, meeting = plenary(3)
    other = factories.make_meeting("Andere", organization=coordinator.organization,
                                   invited=[coordinator.organization])  # fmt: skip
    client = mail_on.test_client()
    sign_in(client, coordinator)
    invite(client, meeting)
    invite(client, other)
    first = MailJob.select().order_by(MailJob.id).first()
    expand = mail.expand

    def broken(job):
        expand(job)  # half of it written, then the failure: nothing of it may stay
        if job.id == first.id:
            raise RuntimeError("disk full")

    monkeypatch.setattr(mail, "expand", broken)
    deliver()
    assert [m.about for m in OutboxMessage.select()] == [f"meeting:{other.id}"]
    assert MailJob.get_by_id(first.id).expanded_at is None
    monkeypatch.undo()
    deliver()
    assert OutboxMessage.select().where(OutboxMessage.about == f"meeting:{meeting.id}").count() == 4


def test_two_deliverers_at_once_write_each_jobs_mails_exactly_once(mail_on):
    """Two instances on one database (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write
    lock) never expand the same job twice."""
    coordinator, guests, meeting = plenary(30)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    meetings = [meeting] + [
        factories.make_meeting(
            f"Plenum {n}", organization=coordinator.organization, invited=[guests]
        )  # fmt: skip
        for n in range(7)
    ]
    for each in meetings:
        assert invite(client, each).status_code == 303
    expected = MailJob.select().count()
    total = sum(job.recipients for job in MailJob.select())
    assert expected == 8 and total == 8 * 31
    db.close()  # the threads hold the only connections
    results = race(mail_on, outbox.expand_jobs, outbox.expand_jobs)
    assert not any(isinstance(r, Exception) for r in results), results
    db.connect(reuse_if_open=True)
    assert sum(results) == expected
    assert OutboxMessage.select().count() == total
    assert not MailJob.select().where(MailJob.expanded_at.is_null()).exists()


# --- Each person's choice is taken when the mails are written, not in the request --------------


def choose(account, invitations):
    notifications.save(account, {"invitations": invitations}, 0, None)


def mixed_plenary(count):
    """A plenary of `count` members, the first one choosing the daily summary and the second
    no mail, the rest at once (the default)."""
    coordinator, guests, meeting = plenary(count)
    daily, off = list(Account.select().where(Account.organization == guests).order_by(Account.id))[
        :2
    ]
    choose(daily, notifications.DAILY)
    choose(off, notifications.OFF)
    return coordinator, meeting, daily, off


def test_the_daily_summary_entry_is_written_with_the_mails_not_in_the_request(mail_on):
    coordinator, meeting, daily, off = mixed_plenary(5)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    assert invite(client, meeting).status_code == 303
    assert not DigestEntry.select().exists()
    assert MailJob.select().count() == 1 and not OutboxMessage.select().exists()

    deliver()
    (kept,) = DigestEntry.select()
    assert kept.account_id == daily.id and kept.subject == "Einladung: Plenum"
    assert f"/meetings/{meeting.id}" in kept.link
    # Dated with the invitation, so that it goes into the summary of the day it was sent.
    assert kept.created_at == MailJob.get().created_at
    mailed = {m.recipient for m in OutboxMessage.select()}
    assert len(mailed) == 4 and coordinator.email in mailed
    assert daily.email not in mailed and off.email not in mailed
    # Nothing for the person who chose no mail; a second pass writes nothing again.
    deliver()
    assert DigestEntry.select().count() == 1 and OutboxMessage.select().count() == 4
    assert not OutboxMessage.select().where(OutboxMessage.account == off.id).exists()


def test_a_series_invitation_follows_each_choice_when_it_is_written(mail_on):
    home = factories.organization("Veranstalter")
    guests = factories.organization("Plenum")
    coordinator = factories.account("coordinator", home, email="k@example.org")
    daily = factories.account("member", guests, email="taeglich@example.org")
    off = factories.account("member", guests, email="aus@example.org")
    dates = factories.weekly_series("Forum", 2, home, invited=[guests])
    with mail_on.test_request_context():
        assert meetings_series.invite_occurrences(dates[0], coordinator, "series").mailed == 3
    assert not DigestEntry.select().exists()
    # Chosen after the invitation, before its mails are written: the choice of that moment.
    choose(daily, notifications.DAILY)
    choose(off, notifications.OFF)
    deliver()
    assert [e.account_id for e in DigestEntry.select()] == [daily.id]
    assert [m.recipient for m in OutboxMessage.select()] == [coordinator.email]


def test_the_request_costs_the_same_queries_for_forty_as_for_one(mail_on, count_queries):
    coordinator, forty, daily, off = mixed_plenary(40)
    small = factories.organization("Klein")
    factories.account("member", small, email="eine@example.org")
    one = factories.make_meeting("Klein", organization=coordinator.organization, invited=[small])
    first = factories.make_meeting("Vorab", organization=coordinator.organization, invited=[small])
    client = mail_on.test_client()
    sign_in(client, coordinator)

    def queries_to_invite(meeting):
        token = csrf_token(client)
        with count_queries() as counted:
            assert invite_with(client, meeting, token).status_code == 303
        return counted.n

    queries_to_invite(first)  # what the first mail of an installation writes once
    assert queries_to_invite(forty) == queries_to_invite(one)
    assert MailJob.select().count() == 3 and not DigestEntry.select().exists()


def invite_with(client, meeting, token):
    return client.post(
        f"/meetings/{meeting.id}/state", data={"csrf_token": token, "action": "invite"}
    )


# --- The mails a pending job will write, in the access export and at erasure --------------------


def pending_export(client, account):
    body = client.get(f"/admin/accounts/{account.id}/privacy.json").get_data(as_text=True)
    return json.loads(body)["pending_mails"], body


def test_the_access_export_lists_pending_invitations_as_the_mail_may_name_them(
    mail_on, org, coordinator, member, admin
):
    guests = member.organization
    open_one = factories.make_meeting(
        "Plenum am Markt", "green", organization=org, invited=[guests]
    )
    red = factories.make_meeting("Quellenschutz Nord", "red", organization=org,
                                 persons=[coordinator, member, admin])  # fmt: skip
    closed = factories.make_meeting("Lage Ost", "amber", organization=org, invited=[guests])
    client = mail_on.test_client()
    sign_in(client, coordinator)
    for meeting in (open_one, red, closed):
        assert invite(client, meeting).status_code == 303
    assert MailJob.select().count() == 3 and not OutboxMessage.select().exists()
    sign_in(client, admin)  # outside both organisations, named on the RED meeting

    pending, body = pending_export(client, member)
    assert [p["about"] for p in pending] == [f"meeting:{m.id}" for m in (open_one, red, closed)]
    assert {p["kind"] for p in pending} == {"meeting"} and pending[0]["method"] == "REQUEST"
    [[named], [unnamed], [withheld]] = [p["meetings"] for p in pending]
    assert named["meeting"] == "Plenum am Markt" and named["label"] == "TLP:GREEN"
    # RED: the mail will not name it, so neither does its entry, though the admin may see it.
    assert unnamed["meeting_id"] == red.id and "meeting" not in unnamed
    # AMBER of organisations the admin is not in: number, date and label only.
    assert withheld["meeting_id"] == closed.id and "meeting" not in withheld
    assert "note" in withheld and "Lage Ost" not in body and "Quellenschutz" not in body
    # The coordinator is in the same jobs; the member's export lists none of theirs.
    assert len(pending_export(client, coordinator)[0]) == 3

    deliver()  # written: now they are the member's mails, no longer pending
    pending, _body = pending_export(client, member)
    assert pending == []
    # The jobs no longer keep whom they mailed: the mails say it.
    assert all(json.loads(job.accounts) == [] for job in MailJob.select())


def test_an_erased_account_leaves_the_pending_jobs_and_nobody_gets_its_mail(
    mail_on, org, coordinator, admin
):
    guests = factories.organization("Gäste")
    staying = factories.account("member", guests, email="bleibt@example.org")
    leaving = factories.account("member", guests, email="geht@example.org")
    dates = factories.weekly_series("Forum", 2, org, invited=[guests])
    single = factories.make_meeting("Plenum", organization=org, invited=[guests])
    with mail_on.test_request_context():
        meetings_series.invite_occurrences(dates[0], coordinator, "series")
        meetings_planning.invite(single, coordinator)  # a single invitation's job (not a series')
        meeting_mail.queue_invitations(meetings_access.load_context(single), coordinator)
    client = mail_on.test_client()
    sign_in(client, admin)
    response = client.post(
        f"/admin/accounts/{leaving.id}/erase",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
    )
    assert response.status_code in (302, 303)
    for job in MailJob.select():
        assert leaving.id not in json.loads(job.accounts)
        assert str(leaving.id) not in json.loads(job.params).get("own", {})
        assert job.recipients == 2  # the coordinator and the one who stays
    assert outbox.delivery_of(f"meeting:{single.id}").queued == 2
    # On SQLite a new account may be given the erased one's number: it was not invited.
    newcomer = factories.account("member", guests, email="neu@example.org")
    deliver()
    mailed = sorted(m.recipient for m in OutboxMessage.select())
    assert mailed == sorted([coordinator.email, staying.email] * 2)
    assert newcomer.email not in mailed


def restrict(meeting, label, persons=()):
    """What an edit does to whom the meeting is shown, done after the invitation and before the
    delivery loop writes its mails."""
    Meeting.update(label=label).where(Meeting.id == meeting.id).execute()
    for person in persons:
        MeetingPerson.create(meeting=meeting, account=person)


def test_a_meeting_made_red_before_its_invitation_is_written_is_mailed_to_its_persons_only(
    mail_on,
):
    coordinator, guests, meeting = plenary(2)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    assert invite(client, meeting).status_code == 303
    restrict(meeting, "red", [coordinator])
    deliver()
    # The invited members get 404 on the meeting now: no mail with its new time and place.
    assert [m.recipient for m in OutboxMessage.select()] == [coordinator.email]
    assert (
        not OutboxAttachment.select()
        .join(OutboxMessage)
        .where(OutboxMessage.recipient == "p0@example.org")
        .exists()
    )


def test_a_series_invitation_leaves_out_each_date_a_recipient_may_no_longer_see(mail_on):
    home = factories.organization("Veranstalter")
    guests = factories.organization("Plenum")
    coordinator = factories.account("coordinator", home, email="k@example.org")
    guest = factories.account("member", guests, email="gast@example.org")
    dates = factories.weekly_series("Forum", 2, home, invited=[guests])
    with mail_on.test_request_context():
        assert meetings_series.invite_occurrences(dates[0], coordinator, "series").mailed == 2
    restrict(dates[1], "red", [coordinator])
    deliver()
    files = {
        m.recipient: OutboxAttachment.select().where(OutboxAttachment.message == m.id).count()
        for m in OutboxMessage.select()
    }
    assert files == {coordinator.email: 2, guest.email: 1}
