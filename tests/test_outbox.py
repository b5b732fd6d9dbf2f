"""The mail outbox against a real SMTP server in the test process (aiosmtpd): requests only
queue, the deliverer sends, retries and gives up; refusals, bad addresses and header tricks
end as a clear "failed" for that one mail; what became of each mail shows where people look."""

import contextlib
import datetime as dt
import time

import pytest
from aiosmtpd.controller import Controller

from intranet.core import mail, outbox
from intranet.core.models import OutboxAttachment, OutboxMessage
from intranet.meetings.models import Meeting
from intranet.platform.db import db, utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import Inbox, calendar_part, deliver, form_data, free_port, make_meeting, race


class RefusingInbox(Inbox):
    """Refuses one recipient for good, as a server does for an unknown mailbox."""

    def __init__(self, refused):
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def start_smtp(handler, port=None):
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller


@contextlib.contextmanager
def listening(handler, port):
    """A mail server at `port` for the duration of the block."""
    controller = start_smtp(handler, port)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def mail_on(app, port):
    """The app with its mail server at `port`, where nothing listens yet."""
    app.config.update(MAIL_SERVER=f"127.0.0.1:{port}", MAIL_FROM="intranet@example.org")
    return app


def invite(client, meeting):
    return client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "action": "invite"},
    )


def make_due():
    """As if the retry delay had passed."""
    OutboxMessage.update(next_try_at=utcnow() - dt.timedelta(seconds=1)).where(
        OutboxMessage.state == outbox.QUEUED
    ).execute()


def planner_world(count=3):
    organiser = factories.organization("Veranstalter")
    guest = factories.organization("Gast")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    for number in range(count - 1):
        factories.account("member", guest, email=f"gast{number}@example.org")
    meeting = make_meeting("Plenum", organization=organiser, invited=[guest])
    return coordinator, meeting


def test_server_down_the_page_answers_at_once_and_the_server_back_gets_each_mail_once(
    mail_on, port
):
    coordinator, meeting = planner_world(3)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    began = time.monotonic()
    response = invite(client, meeting)
    assert response.status_code == 303
    assert time.monotonic() - began < 2  # no SMTP timeout in the request
    assert Meeting.get_by_id(meeting.id).state == "invited"
    # Queued as one job, which the delivery loop writes out: the page counts its three mails.
    assert outbox.delivery_of(f"meeting:{meeting.id}").queued == 3

    counts = deliver()  # nobody listens: every mail waits for its next try
    assert counts == {"queued": 3, "sent": 0, "failed": 0}
    assert deliver() == {"queued": 0, "sent": 0, "failed": 0}  # not due yet

    inbox = Inbox()
    with listening(inbox, port):
        make_due()
        assert deliver()["sent"] == 3
        make_due()
        assert deliver()["sent"] == 0  # sent ones are never sent again
    recipients = sorted(r for rcpts, _m in inbox.messages for r in rcpts)
    assert recipients == ["gast0@example.org", "gast1@example.org", "k@example.org"]
    row = OutboxMessage.get(OutboxMessage.recipient == "k@example.org")
    assert row.state == "sent" and row.sent_at and row.attempts == 2
    # The delivery record keeps no text and no attachment.
    assert row.text == "" and row.html == ""
    assert OutboxAttachment.select().count() == 0


def test_one_refused_recipient_fails_alone(mail_on, port):
    coordinator, meeting = planner_world(4)
    inbox = RefusingInbox("gast1@example.org")
    with listening(inbox, port):
        client = mail_on.test_client()
        sign_in(client, coordinator)
        invite(client, meeting)
        counts = deliver()
    assert counts == {"sent": 3, "failed": 1, "queued": 0}
    failed = OutboxMessage.get(OutboxMessage.state == "failed")
    assert failed.recipient == "gast1@example.org" and failed.last_error.startswith("550")
    assert "gast1@example.org" not in [r for rcpts, _m in inbox.messages for r in rcpts]


def test_a_mail_looks_like_the_forums_and_carries_no_injected_header(mail_on, port):
    organiser = factories.organization("Veranstalter")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    client = mail_on.test_client()
    sign_in(client, coordinator)
    client.post(
        "/meetings/new",
        data=form_data(
            client, title="Sitzung\r\nBcc: opfer@example.org <b>fett</b>",
            organization=str(organiser.id),
        ),
    )  # fmt: skip
    meeting = Meeting.get()
    inbox = Inbox()
    with listening(inbox, port):
        invite(client, meeting)
        deliver()
    [(recipients, message)] = inbox.messages
    assert recipients == ["k@example.org"]  # no Bcc smuggled in
    assert message["Bcc"] is None
    assert message["Subject"].startswith("Einladung: Sitzung Bcc: opfer@example.org")
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Sicherheitsdialog Dresden",
        "intranet@example.org",
    )
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;fett&lt;/b&gt;" in html and "<b>fett" not in html
    text = message.get_body(("plain",)).get_content()
    assert f"/meetings/{meeting.id}" in text
    assert calendar_part(message).get_param("method") == "REQUEST"


def test_a_line_break_in_an_address_is_refused_when_queued(mail_on):
    with pytest.raises(mail.UnsafeHeader):
        mail.queue("test", "a@example.org\r\nBcc: b@example.org")
    assert OutboxMessage.select().count() == 0


def test_an_invalid_stored_address_fails_clearly_and_the_rest_is_sent(mail_on, port):
    with mail_on.test_request_context():
        mail.queue("test", "kein-postfach")
        mail.queue("test", "gut@example.org")
    inbox = Inbox()
    with listening(inbox, port):
        counts = deliver()
    assert counts == {"sent": 1, "failed": 1, "queued": 0}
    bad = OutboxMessage.get(OutboxMessage.recipient == "kein-postfach")
    assert bad.state == "failed" and "not a valid email address" in bad.last_error
    assert [r for r, _m in inbox.messages] == [["gut@example.org"]]


def test_retries_grow_for_about_a_day_then_the_mail_fails(mail_on):
    with mail_on.test_request_context():
        mail.queue("test", "a@example.org")
    delays = []
    while (row := OutboxMessage.get()).state == "queued":
        make_due()
        before = utcnow()
        deliver()
        row = OutboxMessage.get()
        if row.state == "queued":
            delays.append(round((row.next_try_at - before).total_seconds() / 60))
    assert row.state == "failed" and "not reachable" in row.last_error
    assert row.attempts == len(outbox.RETRY_MINUTES) + 1
    assert delays == sorted(delays) and delays[0] == 1
    assert 20 * 60 < sum(delays) < 28 * 60  # about a day in all


def test_the_delivery_loop_survives_a_broken_pass(mail_on, monkeypatch):
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "deliver_due", broken)
    assert outbox.deliver(once=True) == {}
    assert calls == [1]


def test_two_deliverers_at_once_send_each_mail_exactly_once(mail_on, port):
    """Two instances on one database (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write
    lock) each claim their own rows."""
    with mail_on.test_request_context():
        for number in range(120):
            mail.queue("test", f"person{number}@example.org")
    inbox = Inbox()
    db.close()  # the threads hold the only connections
    with listening(inbox, port):
        results = race(mail_on, outbox.deliver_due, outbox.deliver_due)
    assert not any(isinstance(r, Exception) for r in results), results
    recipients = [r for rcpts, _m in inbox.messages for r in rcpts]
    assert len(recipients) == 120 and len(set(recipients)) == 120
    assert sum(r["sent"] for r in results) == 120
    assert OutboxMessage.select().where(OutboxMessage.state == "sent").count() == 120


def test_mail_goes_out_in_the_recipients_language(mail_on, port):
    organiser = factories.organization("Veranstalter")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    factories.account("member", organiser, email="en@example.org", language="en")
    meeting = make_meeting("Plenum", organization=organiser)
    inbox = Inbox()
    with listening(inbox, port):
        client = mail_on.test_client()
        sign_in(client, coordinator)
        invite(client, meeting)
        deliver()
    subjects = {rcpts[0]: m["Subject"] for rcpts, m in inbox.messages}
    assert subjects == {
        "k@example.org": "Einladung: Plenum",
        "en@example.org": "Invitation: Plenum",
    }
    english = next(m for r, m in inbox.messages if r == ["en@example.org"])
    assert english["Content-Language"] == "en"


def test_account_notices_are_queued_with_the_change(mail_on, port, admin):
    from intranet.auth import services as account_services

    member = factories.account("member", email="m@example.org", language="en")
    account_services.change_password(member, factories.PASSWORD, "ein ganz anderes Passwort 42")
    row = OutboxMessage.get()
    assert row.recipient == "m@example.org" and row.account_id == member.id
    assert row.subject == "Your password was changed"
    assert "If you did not expect this change" in row.text


def test_the_meeting_page_shows_the_delivery_state_with_a_retry(mail_on, port):
    coordinator, meeting = planner_world(3)
    inbox = RefusingInbox("gast1@example.org")
    with listening(inbox, port):
        client = mail_on.test_client()
        sign_in(client, coordinator)
        invite(client, meeting)
        deliver()
        page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
        assert "2 von 3 Einladungen zugestellt, 1 fehlgeschlagen" in page
        assert "gast1@example.org" in page
        # A member of the meeting sees nothing of it.
        member = factories.account("member", meeting.organization, email="m@example.org")
        other = mail_on.test_client()
        sign_in(other, member)
        assert "Einladungen zugestellt" not in other.get(f"/meetings/{meeting.id}").get_data(
            as_text=True
        )
        inbox.refused = None  # the mailbox exists now
        response = client.post(
            f"/meetings/{meeting.id}/mail/retry",
            data={"csrf_token": csrf_token(client)},
        )
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "1 E-Mail wird erneut versandt" in page
        deliver()
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "3 von 3 Einladungen zugestellt, 0 fehlgeschlagen" in page
    assert "gast1@example.org" in [r for rcpts, _m in inbox.messages for r in rcpts]


def test_the_retry_needs_the_csrf_token_and_a_planner(mail_on):
    coordinator, meeting = planner_world(2)
    member = factories.account("member", meeting.organization, email="m@example.org")
    client = mail_on.test_client()
    sign_in(client, member)
    token = csrf_token(client)
    assert (
        client.post(f"/meetings/{meeting.id}/mail/retry", data={"csrf_token": token}).status_code
        == 404
    )
    sign_in(client, coordinator)
    assert client.post(f"/meetings/{meeting.id}/mail/retry").status_code == 400


def test_admin_mail_lists_states_without_bodies_and_retries(mail_on, port, admin, member):
    with mail_on.test_request_context():
        mail.queue("password_link", "geheim@example.org", account=member, purpose="reset",
                   url="https://intranet.example/link/GEHEIMNIS", hours=24)  # fmt: skip
        mail.queue("test", "kein-postfach")
    deliver()  # nobody listens: one waits, the invalid one failed
    client = mail_on.test_client()
    sign_in(client, admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "geheim@example.org" in page and "kein-postfach" in page
    assert "not a valid email address" in page and "not reachable" in page
    assert "GEHEIMNIS" not in page  # never the text
    assert 'href="/admin/mail"' in client.get("/admin/").get_data(as_text=True)
    failed_only = client.get("/admin/mail?state=failed").get_data(as_text=True)
    assert "kein-postfach" in failed_only and "geheim@example.org" not in failed_only
    failed = OutboxMessage.get(OutboxMessage.state == "failed")
    response = client.post(
        "/admin/mail/retry",
        data={"csrf_token": csrf_token(client), "message": str(failed.id)},
    )
    assert response.status_code == 303
    assert OutboxMessage.get_by_id(failed.id).state == "queued"

    other = mail_on.test_client()
    sign_in(other, member)
    assert other.get("/admin/mail").status_code == 404
    response = other.post("/admin/mail/retry", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 404


def test_the_checklist_shows_the_last_delivery(mail_on, port, admin):
    client = mail_on.test_client()
    sign_in(client, admin)
    inbox = Inbox()
    with listening(inbox, port):
        response = client.post(
            "/admin/settings/test-mail", data={"csrf_token": csrf_token(client, "/admin/settings")}
        )
        assert "Die Testnachricht an admin@example.org ist" in response.get_data(as_text=True)
        deliver()
    assert [r for r, _m in inbox.messages] == [["admin@example.org"]]
    page = client.get("/admin/").get_data(as_text=True)
    assert "Eingeschaltet; letzte E-Mail zugestellt am" in page


def test_erasing_an_account_removes_its_mails(mail_on, admin, member):
    from intranet.privacy import services as privacy

    with mail_on.test_request_context():
        mine = mail.queue("test", member.email, account=member)
        caused = mail.queue("test", "other@example.org", caused_by=member)
        privacy.erase(None, account=member)
    assert OutboxMessage.get_or_none(OutboxMessage.id == mine.id) is None
    assert OutboxMessage.get_by_id(caused.id).caused_by_id is None


def test_mail_deliver_command_sends_once(mail_on, port):
    with mail_on.test_request_context():
        mail.queue("test", "a@example.org")
    inbox = Inbox()
    with listening(inbox, port):
        result = mail_on.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "Zugestellt: 1" in result.output
    assert [r for r, _m in inbox.messages] == [["a@example.org"]]


def test_mail_deliver_refuses_without_a_mail_server(runner):
    result = runner.invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code != 0 and "INTRANET_MAIL_SERVER" in result.output


def test_the_background_thread_delivers_by_itself(mail_on, port):
    mail_on.config["MAIL_INTERVAL_SECONDS"] = 0.05
    with mail_on.test_request_context():
        mail.queue("test", "a@example.org")
    db.close()
    inbox = Inbox()
    controller = start_smtp(inbox, port)
    thread, stop = outbox.start_background(mail_on)
    try:
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
        controller.stop()
    assert [r for r, _m in inbox.messages] == [["a@example.org"]]
    assert not thread.is_alive()


def test_the_mail_is_written_with_the_change_or_not_at_all(mail_on, monkeypatch):
    """Queueing is part of the invitation's transaction: if writing the mails fails, the meeting
    is not invited either (and no half of the mails is left behind)."""
    from intranet.meetings import series

    coordinator, meeting = planner_world(3)
    queue_job = mail.queue_job

    def fail_after_writing(*args, **kwargs):
        queue_job(*args, **kwargs)
        raise RuntimeError("disk full")

    # The invitation's mails are one job row, written in the invitation's transaction.
    monkeypatch.setattr(mail, "queue_job", fail_after_writing)
    with mail_on.test_request_context(), pytest.raises(RuntimeError):
        series.invite_occurrences(meeting, coordinator, "this")
    assert Meeting.get_by_id(meeting.id).state == "planned"
    monkeypatch.undo()
    deliver()
    assert OutboxMessage.select().count() == 0


def test_the_access_export_lists_a_persons_mails_without_their_subject(mail_on, admin, member):
    from intranet.privacy import services as privacy

    with mail_on.test_request_context():
        mail.queue("test", member.email, account=member, about="test")
        export = privacy.access_export(None, account=member, viewer=admin)
    [entry] = export["mails"]
    assert entry["to"] == member.email and entry["state"] == "queued" and entry["about"] == "test"
    assert "subject" not in entry


def test_a_plenary_of_500_is_delivered_in_one_run(mail_on, port):
    with mail_on.test_request_context():
        for number in range(500):
            mail.queue("test", f"person{number}@example.org")
    inbox = Inbox()
    with listening(inbox, port):
        counts = deliver()
    assert counts == {"sent": 500, "failed": 0, "queued": 0}
    assert len({r for rcpts, _m in inbox.messages for r in rcpts}) == 500


def test_a_row_that_cannot_become_a_mail_fails_alone(mail_on, port, monkeypatch):
    with mail_on.test_request_context():
        broken = mail.queue("test", "kaputt@example.org")
        mail.queue("test", "gut@example.org")
    build = outbox.build

    def build_or_break(row):
        if row.id == broken.id:
            raise TypeError("unexpected content")
        return build(row)

    monkeypatch.setattr(outbox, "build", build_or_break)
    inbox = Inbox()
    with listening(inbox, port):
        counts = deliver()
    assert counts == {"sent": 1, "failed": 1, "queued": 0}
    assert OutboxMessage.get_by_id(broken.id).last_error == "unexpected content"


def test_admin_mail_withholds_the_subject_of_mails_about_items_the_admin_may_not_see(
    mail_on, admin, org, coordinator, reviewer
):
    from intranet.meetings.access import load_context
    from intranet.minutes import access, editing, workflow

    hidden = factories.meeting("Geheime Amber Runde", label="amber", organization=org,
                               invited=[org], start=utcnow() - dt.timedelta(days=1))  # fmt: skip
    shown = make_meeting("Offenes Plenum", organization=org, invited=[org])
    with mail_on.test_request_context():
        minutes = editing.start_minutes(load_context(hidden), coordinator)
        workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    client = mail_on.test_client()
    sign_in(client, coordinator)
    invite(client, shown)
    outbox.expand_jobs()
    assert OutboxMessage.get(OutboxMessage.recipient == reviewer.email).subject == (
        "Protokoll zur Prüfung: Geheime Amber Runde"
    )
    sign_in(client, admin)  # of no organisation: the AMBER minutes answer 404
    assert client.get(f"/minutes/{minutes.id}").status_code == 404
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Geheime Amber Runde" not in page
    assert "Zu einem Protokoll, das Sie nicht sehen dürfen: Betreff zurückgehalten" in page
    assert reviewer.email in page  # the row and its delivery state stay
    assert "Einladung: Offenes Plenum" in page  # a mail about what the admin sees keeps its subject
