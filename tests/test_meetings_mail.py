"""Invitation mails against a real local SMTP server (aiosmtpd), and life without mail."""

import icalendar
import pytest
from aiosmtpd.controller import Controller

from intranet.core.models import OutboxMessage
from intranet.meetings.models import Meeting
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, make_app, sign_in
from tests.factories import (
    Inbox,
    calendar_part,
    check_login,
    deliver,
    form_data,
    free_port,
    make_meeting,
)


def test_invitation_update_and_cancellation_are_mailed_with_ics(mail_app, smtp):
    _controller, inbox = smtp
    organiser = factories.organization("Veranstalter")
    guest = factories.organization("Gast")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    factories.account("member", guest, email="gast@example.org")
    factories.account("member", factories.organization("Fremd"), email="fremd@example.org")
    client = mail_app.test_client()
    sign_in(client, coordinator)
    title = "Sitzung\r\nBcc: opfer@example.org"
    client.post(
        "/meetings/new",
        data=form_data(
            client, title=title, organization=str(organiser.id), invited=[str(guest.id)],
            room="Saal 2",
        ),
    )  # fmt: skip
    meeting = Meeting.get()
    assert inbox.messages == []  # planned, not yet invited
    response = client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "state": "invited"},
        follow_redirects=True,
    )
    assert "E-Mails an 2 Personen sind unterwegs" in response.get_data(as_text=True)
    assert inbox.messages == []  # the request only queued them
    deliver()
    recipients = sorted(r for rcpts, _m in inbox.messages for r in rcpts)
    assert recipients == ["gast@example.org", "k@example.org"]
    message = next(m for r, m in inbox.messages if r == ["gast@example.org"])
    assert message["Subject"].startswith("Einladung: Sitzung Bcc:")  # no header injection
    assert message["Bcc"] is None
    part = calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["uid"] == meeting.uid and "gast@example.org" in str(event["attendee"])
    assert "Saal 2" in str(event["location"])

    inbox.messages.clear()
    path = f"/meetings/{meeting.id}/edit"
    client.post(
        path,
        data=form_data(
            client, path, title="Sitzung", organization=str(organiser.id),
            invited=[str(guest.id)], room="Saal 3", version="2",
        ),
    )  # fmt: skip
    deliver()
    assert len(inbox.messages) == 2
    assert inbox.messages[0][1]["Subject"] == "Geänderte Einladung: Sitzung"
    event = icalendar.Calendar.from_ical(
        calendar_part(inbox.messages[0][1]).get_payload(decode=True)
    ).walk("VEVENT")[0]
    assert event["sequence"] == 2 and "Saal 3" in str(event["location"])

    inbox.messages.clear()
    client.post(
        f"/meetings/{meeting.id}/cancel",
        data={"csrf_token": csrf_token(client), "reason": "Krank", "version": "3"},
    )
    deliver()
    assert len(inbox.messages) == 2
    part = calendar_part(inbox.messages[0][1])
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["method"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["status"] == "CANCELLED"
    assert inbox.messages[0][1]["Subject"].startswith("Abgesagt:")

    # Withdrawing the cancellation puts the meeting back into the invitees' calendars.
    inbox.messages.clear()
    client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "action": "uncancel", "version": "4"},
    )
    deliver()
    assert len(inbox.messages) == 2
    calendar = icalendar.Calendar.from_ical(
        calendar_part(inbox.messages[0][1]).get_payload(decode=True)
    )
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["status"] == "CONFIRMED" and event["sequence"] == 4


def test_mail_follows_the_sharing_label(mail_app, smtp):
    """AMBER+STRICT and RED meetings may not be named in a mail (core.sharing.MailPolicy): the
    mail says only that a meeting waits, with the link; its calendar file carries time and
    place under the forum's name, without the title or anything more."""
    _controller, inbox = smtp
    guest = factories.organization("Gast")
    coordinator = factories.account("coordinator", guest, email="k@example.org")
    named = factories.account("member", guest, email="benannt@example.org")
    factories.account("member", guest, email="nicht-benannt@example.org")
    strict = make_meeting("Streng", "amber_strict", invited=[guest], room="Geheimer Raum")
    red = make_meeting("Geheimes Treffen", "red", persons=[coordinator, named], room="Raum 7")
    client = mail_app.test_client()
    sign_in(client, coordinator)
    received = {}
    for meeting in (strict, red):
        client.post(
            f"/meetings/{meeting.id}/state",
            data={"csrf_token": csrf_token(client), "state": "invited"},
        )
        deliver()
        received[meeting.label] = list(inbox.messages)
        inbox.messages.clear()
    assert len(received["amber_strict"]) == 3
    assert sorted(r[0] for r, _m in received["red"]) == ["benannt@example.org", "k@example.org"]
    for meeting, room in ((strict, "Geheimer Raum"), (red, "Raum 7")):
        for _r, message in received[meeting.label]:
            assert message["Subject"] == "Einladung zu einem Termin im Intranet"
            text = message.get_body(("plain",)).get_content()
            assert meeting.title not in text and room not in text
            assert f"/meetings/{meeting.id}" in text
            event = icalendar.Calendar.from_ical(
                calendar_part(message).get_payload(decode=True)
            ).walk("VEVENT")[0]
            assert meeting.title not in event.to_ical().decode()
            assert str(event["location"]) == room and "description" not in event


def test_unreachable_mail_server_does_not_break_the_page(tmp_path):
    """The request never talks to the mail server: the page answers and the mail waits."""
    from intranet.platform.db import db

    app = make_app(tmp_path, MAIL_SERVER=f"127.0.0.1:{free_port()}")
    with app.app_context():
        db.connect(reuse_if_open=True)
        org = factories.organization("Veranstalter")
        coordinator = factories.account("coordinator", org, email="k@example.org")
        meeting = make_meeting(organization=org)
        client = app.test_client()
        sign_in(client, coordinator)
        response = client.post(
            f"/meetings/{meeting.id}/state",
            data={"csrf_token": csrf_token(client), "state": "invited"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "Eine E-Mail an 1 Person ist unterwegs" in response.get_data(as_text=True)
        assert Meeting.get_by_id(meeting.id).state == "invited"
        deliver()
        row = OutboxMessage.get()
        assert row.state == "queued" and row.attempts == 1
        assert "not reachable" in row.last_error
        db.close()


def test_without_mail_the_page_says_so(client, coordinator, org):
    meeting = make_meeting(organization=org, start=utcnow().replace(microsecond=0))
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "E-Mail ist in dieser Installation ausgeschaltet" in page
    response = client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "state": "invited"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "als eingeladen markiert, aber es wurde keine E-Mail versandt" in page
    assert "Betreff: Einladung: Sitzung" in page  # the text to send by other means


@pytest.mark.parametrize("trusted", [True, False])
def test_starttls_with_a_verified_certificate(tmp_path, monkeypatch, trusted):
    """STARTTLS and login against a server whose certificate the client must verify:
    an untrusted certificate means no mail, not a silent downgrade."""
    import ssl
    import subprocess

    from intranet.platform.db import db

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="localhost", port=free_port(), tls_context=context,
        require_starttls=True, authenticator=check_login,
    )  # fmt: skip
    controller.start()
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust exactly this certificate
    try:
        app = make_app(
            tmp_path, MAIL_SERVER=f"localhost:{controller.port}", MAIL_STARTTLS=True,
            MAIL_USERNAME="intranet", MAIL_PASSWORD="geheimes Wort",
        )  # fmt: skip
        with app.app_context():
            db.connect(reuse_if_open=True)
            org = factories.organization("Veranstalter")
            coordinator = factories.account("coordinator", org, email="k@example.org")
            meeting = make_meeting(organization=org)
            client = app.test_client()
            sign_in(client, coordinator)
            client.post(
                f"/meetings/{meeting.id}/state",
                data={"csrf_token": csrf_token(client), "state": "invited"},
            )
            deliver()
            row = OutboxMessage.get()
            db.close()
    finally:
        controller.stop()
    if trusted:
        assert [r for r, _m in inbox.messages] == [["k@example.org"]]
        assert row.state == "sent"
    else:
        assert inbox.messages == []
        assert row.state == "queued" and "CERTIFICATE_VERIFY_FAILED" in row.last_error
