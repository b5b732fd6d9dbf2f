"""One-time addresses to a password: the first administrator's set-up address, and the
invitation and reset links. Only a hash of each token is stored."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from intranet.auth import mail
from intranet.auth.accounts import AccountError, create_account, password_context
from intranet.auth.models import LinkPurpose, PasswordLink, SetupToken
from intranet.auth.password_changes import _set_password
from intranet.auth.passwords import check_policy
from intranet.core import audit
from intranet.core.accounts import Account, Role
from intranet.core.ids import ref
from intranet.platform.db import serialized, utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l

# --- First run ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_setup_token() -> str | None:
    """A new one-time set-up token when no account exists yet, else None."""
    with write_transaction():
        if Account.select().exists():
            SetupToken.delete().execute()
            return None
        token = secrets.token_urlsafe(32)
        SetupToken.delete().execute()
        SetupToken.create(token_hash=_token_hash(token))
    return token


def setup_token_valid(token: str) -> bool:
    return (
        not Account.select().exists()
        and SetupToken.select().where(SetupToken.token_hash == _token_hash(token)).exists()
    )


def create_first_admin(token: str, email: str, display_name: str, password: str) -> Account:
    """Create the first admin; the token is spent in the same transaction."""
    with write_transaction():
        if not setup_token_valid(token):
            raise AccountError(_l("This set-up address is no longer valid."))
        SetupToken.delete().execute()
        account = create_account(email, display_name, Role.ADMIN, password)
    return account


# --- Password links: invitations and resets ------------------------------------------------------

# How long a link works, by purpose: an invitation may wait over a weekend, a reset is asked for.
PASSWORD_LINK_HOURS = {LinkPurpose.INVITATION: 72, LinkPurpose.RESET: 24}


# Tokens are 43 characters (secrets.token_urlsafe(32)); anything much longer is not one.
_TOKEN_MAX_LENGTH = 100


class LinkGone(Exception):
    """The link is unknown (`known` False), or expired, used, replaced or its account was
    deactivated. The person sees the same page either way; only the status code differs."""

    def __init__(self, known: bool):
        super().__init__("known" if known else "unknown")
        self.known = known


@dataclass
class IssuedLink:
    token: str
    purpose: str
    expires_at: dt.datetime  # naive UTC
    mailed: bool | None = None  # None: mail is off


def issue_password_link(account: Account, actor, link_url=None) -> IssuedLink:
    """A new link for the account: an invitation while it has no password yet, else a reset.
    It replaces any older link of the account; only the token's hash is stored. With
    `link_url` (token → address) and mail on, the link is mailed to the account's address."""
    purpose = LinkPurpose.RESET if account.has_password else LinkPurpose.INVITATION
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=PASSWORD_LINK_HOURS[purpose])
    # Two admins pressing the button at once: one after the other, the later link wins
    # (a plain transaction would let both delete nothing and then clash on the insert).
    with serialized(f"password-link:{account.id}"):
        PasswordLink.delete().where(
            (PasswordLink.account == account.id) | (PasswordLink.expires_at < utcnow())
        ).execute()
        PasswordLink.create(
            account=account.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            expires_at=expires_at,
        )
        mailed = None
        if link_url is not None:
            mailed = mail.queue_password_link(
                account, link_url(token), purpose, PASSWORD_LINK_HOURS[purpose], actor
            )
        if purpose == LinkPurpose.INVITATION:
            audit.record("account.invited", target=ref("account", account.id), actor=actor)
        else:
            audit.record(
                "account.reset_link_created", target=ref("account", account.id), actor=actor
            )
    return IssuedLink(token, purpose, expires_at, mailed)


def find_password_link(token: str) -> PasswordLink:
    """The link of this token while it works; LinkGone otherwise. A used link is deleted, so
    it is unknown from then on."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        raise LinkGone(known=False)
    link = PasswordLink.get_or_none(PasswordLink.token_hash == _token_hash(token))
    if link is None:
        raise LinkGone(known=False)
    if link.expires_at <= utcnow() or not Account.get_by_id(link.account_id).active:
        raise LinkGone(known=True)
    return link


def use_password_link(token: str, password: str) -> Account:
    """Set the password through the link, which is spent in the same transaction: of two
    uses at once only one deletes the row and goes on. Every other session ends."""
    link = find_password_link(token)
    account = Account.get_by_id(link.account_id)
    check_policy(password, password_context(account.email, account.organization))
    with write_transaction():
        spent = (
            PasswordLink.delete()
            .where((PasswordLink.id == link.id) & (PasswordLink.expires_at > utcnow()))
            .execute()
        )
        if spent != 1:
            raise LinkGone(known=True)
        _set_password(account, password, account)
        if link.purpose != LinkPurpose.INVITATION:
            mail.notify_password_changed(account, by_administration=False, actor=account)
        if link.purpose == LinkPurpose.INVITATION:
            audit.record(
                "account.invitation_accepted", target=ref("account", account.id), actor=account
            )
        else:
            audit.record(
                "account.password_reset_by_link", target=ref("account", account.id), actor=account
            )
    return Account.get_by_id(account.id)
