"""A new password: the person's own change, replacing one the administration typed, and
the administration's reset. Every other way into the account ends with it."""

from intranet.auth import mail
from intranet.auth.accounts import AccountError, end_access, password_context
from intranet.auth.models import LoginFailure
from intranet.auth.passwords import check_policy, hash_password, verify_password
from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l


def _set_password(account: Account, password: str, actor, must_change: bool = False) -> None:
    """Store a new password (call inside a transaction); every other way in ends."""
    Account.update(
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
        must_change_password=must_change,
    ).where(Account.id == account.id).execute()
    LoginFailure.delete().where(LoginFailure.email == account.email).execute()
    end_access(account, actor)


def change_password(account: Account, current: str, new: str) -> None:
    if not verify_password(account.password_hash, current):
        raise AccountError(_l("The current password is not correct."))
    check_policy(new, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, new, account)
        mail.notify_password_changed(account, by_administration=False, actor=account)
        audit.record("account.password_changed", target=ref("account", account.id), actor=account)


def choose_own_password(account: Account, new: str) -> None:
    """Replace a password the administration typed (the person is signed in with it)."""
    if verify_password(account.password_hash, new):
        raise AccountError(
            _l("Please choose a password of your own, not the one you were given."),
            field="new_password",
        )
    check_policy(new, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, new, account)
        mail.notify_password_changed(account, by_administration=False, actor=account)
        audit.record(
            "account.password_changed",
            target=ref("account", account.id),
            detail="replaced the password set by the administration",
            actor=account,
        )


def reset_password(account: Account, password: str, actor) -> None:
    """Set a password the administration typed, for someone who forgot theirs: their sessions
    end, any open password link stops working, and they choose their own at the next sign-in."""
    check_policy(password, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, password, actor, must_change=True)
        mail.notify_password_changed(account, by_administration=True, actor=actor)
        audit.record("account.password_reset", target=ref("account", account.id), actor=actor)
