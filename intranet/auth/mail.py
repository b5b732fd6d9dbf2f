"""Mails about a person's own account: the password link, and notices when the password, the
email address or the role changed (so that a change nobody asked for is noticed).

Only when mail is on (INTRANET_MAIL_SERVER); otherwise nothing is sent and the caller shows
the link to the administration instead. The notices carry no secret and no link: a forged
mail that imitates them gains nothing.
"""

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from intranet.config import LANGUAGES
from intranet.core import mail as transport
from intranet.filters import ROLE_LABELS

log = logging.getLogger(__name__)


def _message(to: str, subject: str, lines: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = transport.sender()
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="sicherheitsdialog")
    message.set_content("\n".join(lines))
    return message


def _send(messages: list[EmailMessage]) -> bool | None:
    """True when sent, False when sending failed (logged), None when mail is off."""
    if not transport.enabled():
        return None
    try:
        transport.send(messages)
    except transport.MailError:
        log.exception("sending %d account mail(s) failed", len(messages))
        return False
    return True


def _not_you() -> str:
    return _(
        "If you did not expect this change, please tell the administration of the intranet at once."
    )


def send_password_link(account, url: str, purpose: str, valid_hours: int) -> bool | None:
    """The invitation or reset link to the account's own address."""
    if not transport.enabled():
        return None
    forum = current_app.config["FORUM_NAME"]
    with force_locale(_language(account)):
        if purpose == "invitation":
            subject = _("Your account in the intranet of %(forum)s", forum=forum)
            intro = _(
                "Hello %(name)s, an account in the intranet of %(forum)s has been made for you. "
                "Please choose your password at this address:",
                name=account.display_name,
                forum=forum,
            )
        else:
            subject = _("Choose a new password for the intranet of %(forum)s", forum=forum)
            intro = _(
                "Hello %(name)s, the administration has made an address where you can choose "
                "a new password:",
                name=account.display_name,
            )
        lines = [
            intro,
            "",
            url,
            "",
            _(
                "The address works once and for %(hours)s hours. Do not pass it on.",
                hours=valid_hours,
            ),
            _("Your sign-in name is your email address: %(email)s", email=account.email),
        ]
        message = _message(account.email, subject, lines)
    return _send([message])


def _language(account) -> str:
    # Notices go out in the language the person chose; German when they never chose one.
    return account.language if account.language in LANGUAGES else "de"


def _notice(account, addresses: list[str], subject, text) -> bool | None:
    """One notice about the account: greeting, what changed, whom to tell if it was not them.
    `subject` and `text` are callables, so that they are translated in the person's language."""
    with force_locale(_language(account)):
        lines = [
            _("Hello %(name)s,", name=account.display_name),
            "",
            *text(),
            "",
            _not_you(),
        ]
        messages = [_message(address, subject(), lines) for address in addresses]
    return _send(messages)


def notify_password_changed(account, by_administration: bool) -> bool | None:
    return _notice(
        account,
        [account.email],
        lambda: _("Your password was changed"),
        lambda: [
            _("The administration has set a new password for your account.")
            if by_administration
            else _("The password of your account has been changed."),
            _("Every other sign-in with this account has ended."),
        ],
    )


def notify_email_changed(account, old_email: str, new_email: str) -> bool | None:
    """To the old address (which may be someone else's now) and to the new one."""
    return _notice(
        account,
        [old_email, new_email],
        lambda: _("Your email address in the intranet was changed"),
        lambda: [
            _(
                "The email address of your account was changed from %(old)s to %(new)s. "
                "You now sign in with the new address.",
                old=old_email,
                new=new_email,
            )
        ],
    )


def notify_role_changed(account, old_role: str, new_role: str) -> bool | None:
    return _notice(
        account,
        [account.email],
        lambda: _("Your role in the intranet was changed"),
        lambda: [
            _(
                "Your role in the intranet was changed from “%(old)s” to “%(new)s”. "
                "Please sign in again.",
                old=ROLE_LABELS[old_role],
                new=ROLE_LABELS[new_role],
            )
        ],
    )
