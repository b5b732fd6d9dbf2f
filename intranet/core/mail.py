"""Sending mail over SMTP, for every area: settings INTRANET_MAIL_*, STARTTLS with a verified
certificate, one connection per batch. Callers build the messages and decide what to tell the
user; a failure is a `MailError`, never a page or a flash from here."""

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app


class MailError(Exception):
    """The mail server could not be reached, refused the login or a message; nothing more was
    sent after the failure."""


def enabled() -> bool:
    """Whether this installation sends mail at all (INTRANET_MAIL_SERVER is set)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def sender() -> str:
    """INTRANET_MAIL_FROM, else intranet@ the mail server's host name."""
    config = current_app.config
    if config.get("MAIL_FROM"):
        return config["MAIL_FROM"]
    host = str(config["MAIL_SERVER"]).rsplit(":", 1)[0]
    return f"intranet@{host}"


def send(messages: list[EmailMessage]) -> int:
    """Send the messages over one connection; returns how many were sent. Raises MailError."""
    config = current_app.config
    host, _sep, port = str(config["MAIL_SERVER"]).rpartition(":")
    if not host:
        host, port = port, "25"
    try:
        with smtplib.SMTP(host, int(port), timeout=15) as smtp:
            if config.get("MAIL_STARTTLS"):
                # A verifying context: smtplib's default would accept any certificate.
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for message in messages:
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        raise MailError(str(error) or type(error).__name__) from error
    return len(messages)
