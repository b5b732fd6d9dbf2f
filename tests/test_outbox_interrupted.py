"""The mail server goes away in the middle of a series invitation: nothing is lost, and once it
is back every person gets their one mail, once (aiosmtpd in the test process)."""

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from intranet.core import outbox
from intranet.core.models import OutboxMessage
from intranet.meetings import series as meetings_series
from intranet.platform.db import utcnow
from tests import factories

PEOPLE = 12
STOP_AFTER = 5


class StoppingInbox:
    """Takes `stop_after` messages, then answers as a server that is shutting down (421)."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.stop_after is not None and len(self.messages) >= self.stop_after:
            return "421 4.3.2 Service shutting down"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((tuple(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port(app):
    port = free_port()
    app.config.update(MAIL_SERVER=f"127.0.0.1:{port}", MAIL_FROM="intranet@example.org")
    return port


def make_due():
    OutboxMessage.update(next_try_at=utcnow() - dt.timedelta(seconds=1)).where(
        OutboxMessage.state == outbox.QUEUED
    ).execute()


def test_a_server_stopping_during_a_series_invitation_loses_nothing(app, port):
    organiser = factories.organization("Veranstalter")
    guest = factories.organization("Gast")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    for number in range(PEOPLE - 1):
        factories.account("member", guest, email=f"gast{number}@example.org")
    meetings = factories.weekly_series("Forum", 3, organiser, invited=[guest])
    with app.test_request_context():
        invited = meetings_series.invite_occurrences(meetings[0], coordinator, "series")
    assert len(invited.meetings) == 3 and invited.mailed == PEOPLE

    # The server takes five mails, then shuts down in the middle of the run.
    stopping = StoppingInbox(stop_after=STOP_AFTER)
    controller = Controller(stopping, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        counts = outbox.deliver_due()
    finally:
        controller.stop()
    assert counts["sent"] == STOP_AFTER and counts["failed"] == 0
    assert counts["queued"] == PEOPLE - STOP_AFTER

    # While it is down, nothing is lost: the rest waits.
    make_due()
    assert outbox.deliver_due() == {"queued": PEOPLE - STOP_AFTER, "sent": 0, "failed": 0}
    assert OutboxMessage.select().where(OutboxMessage.state == outbox.QUEUED).count() == (
        PEOPLE - STOP_AFTER
    )

    # Back up: each remaining mail goes out, and nobody gets a second one.
    restarted = StoppingInbox()
    controller = Controller(restarted, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        make_due()
        outbox.deliver_due()
        make_due()
        assert outbox.deliver_due()["sent"] == 0
    finally:
        controller.stop()
    received = [r for rcpts, _m in stopping.messages + restarted.messages for r in rcpts]
    expected = ["k@example.org"] + [f"gast{n}@example.org" for n in range(PEOPLE - 1)]
    assert sorted(received) == sorted(expected)  # every person once, nobody twice
    for _r, message in stopping.messages + restarted.messages:
        assert message["Subject"] == "Einladung: Forum (3 Termine)"
        ics = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert len(ics) == 3
    assert not OutboxMessage.select().where(OutboxMessage.state != outbox.SENT).exists()
