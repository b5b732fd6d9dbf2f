"""Mails about a person's own account: the password link, and notices when the password, the
email address or the role changed (so that a change nobody asked for is noticed).

Queued into the outbox (core.mail) in the person's language, inside the transaction of the
change; only when mail is on (INTRANET_MAIL_SERVER), otherwise nothing is queued and the caller
shows the link to the administration instead. The notices carry no secret and no link: a forged
mail that imitates them gains nothing.
"""

from intranet.core import mail
from intranet.core.accounts import Role
from intranet.core.ids import ref


def _about(account) -> str:
    return ref("account", account.id)


def queue_password_link(account, url: str, purpose: str, valid_hours: int, actor) -> bool | None:
    """The invitation or reset link to the account's own address. True when queued, None when
    mail is off."""
    queued = mail.queue(
        "password_link",
        account.email,
        account=account,
        about=_about(account),
        caused_by=actor,
        purpose=purpose,
        url=url,
        hours=valid_hours,
    )
    return None if queued is None else True


def password_link_text(account, url: str, purpose: str, valid_hours: int) -> tuple[str, str]:
    """Subject and text of the link's mail, for the administration to send themselves (mail
    off, or a personal message as well): the same words the mail would have."""
    composed = mail.compose(
        "password_link",
        mail.language_of(account),
        copy=True,
        account=account,
        purpose=purpose,
        url=url,
        hours=valid_hours,
    )
    return composed.subject, composed.text.strip()


def _notice(account, addresses: list[str], notice: str, actor=None, **context) -> None:
    for address in addresses:
        mail.queue(
            "account_notice",
            address,
            account=account,
            about=_about(account),
            caused_by=actor,
            notice=notice,
            **context,
        )


def notify_password_changed(account, by_administration: bool, actor=None) -> None:
    _notice(account, [account.email], "password", actor, by_administration=by_administration)


def notify_email_changed(account, old_email: str, new_email: str, actor=None) -> None:
    """To the old address (which may be someone else's now) and to the new one."""
    _notice(account, [old_email, new_email], "email", actor, old=old_email, new=new_email)


def notify_role_changed(account, old_role: str, new_role: str, actor=None) -> None:
    # Lazy labels: translated when the mail is rendered, in the person's language.
    _notice(
        account,
        [account.email],
        "role",
        actor,
        old=Role(old_role).label,
        new=Role(new_role).label,
    )
