"""An invitation to many is one job row, written with the change; the delivery loop writes its
mails before it sends. The page answers without composing them, shows them as queued, and every
person invited at the time gets their mail exactly once, whichever deliverer writes it."""

import pytest

from intranet.core import mail, outbox
from intranet.core.models import MailJob, OutboxMessage
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
