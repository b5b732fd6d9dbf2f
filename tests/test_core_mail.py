"""The shared mail transport on its own: it connects and logs in, or raises MailError, and
shows nothing; `queue` only writes rows while mail is on."""

from email.message import EmailMessage

import pytest

from intranet.core import mail
from intranet.core.models import OutboxMessage
from tests.factories import free_port


def message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Hallo", mail.sender(), to
    msg.set_content("Text")
    return msg


def test_one_login_carries_every_message(app, smtp):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER=f"127.0.0.1:{controller.port}",
        MAIL_USERNAME="intranet",
        MAIL_PASSWORD="geheimes Wort",
    )
    assert mail.enabled() and mail.sender() == "intranet@127.0.0.1"
    with mail.connect() as connection:
        connection.send_message(message("a@example.org"))
        connection.send_message(message("b@example.org"))
    assert sorted(r for rcpts, _m in inbox.messages for r in rcpts) == [
        "a@example.org",
        "b@example.org",
    ]


def test_a_refused_login_is_a_mail_error(app, smtp):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER=f"127.0.0.1:{controller.port}", MAIL_USERNAME="intranet", MAIL_PASSWORD="x"
    )
    with pytest.raises(mail.MailError):
        mail.connect()
    assert inbox.messages == []


def test_an_unreachable_server_is_a_mail_error_without_a_flash(app):
    from flask import get_flashed_messages

    app.config["MAIL_SERVER"] = f"127.0.0.1:{free_port()}"
    with app.test_request_context():
        with pytest.raises(mail.MailError):
            mail.connect()
        assert get_flashed_messages() == []


def test_without_a_server_mail_is_off_and_nothing_is_queued(app):
    assert not mail.enabled()
    with app.test_request_context():
        assert mail.queue("test", "a@example.org") is None
    assert OutboxMessage.select().count() == 0
