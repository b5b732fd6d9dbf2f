"""Personal calendar feed tokens: stored only as a hash (plus a nonce), renewable."""

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from intranet.core import audit
from intranet.core.signals import password_changed
from intranet.db import utcnow
from intranet.meetings.models import FeedToken


def _token(account_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"calendar-feed:{account_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_token(account) -> str | None:
    """The account's feed token, or None before the first one was made."""
    row = FeedToken.get_or_none(FeedToken.account == account.id)
    return _token(account.id, row.nonce) if row else None


def renew(account) -> str:
    """Make a new token; the old one stops working at once."""
    nonce = secrets.token_urlsafe(24)
    token = _token(account.id, nonce)
    # One statement replaces the row: deleting and then inserting lets two parallel
    # renewals both insert, and one fails on the unique account column.
    values = {"nonce": nonce, "token_hash": _hash(token), "created_at": utcnow()}
    FeedToken.insert(account=account.id, **values).on_conflict(
        conflict_target=[FeedToken.account],
        update={getattr(FeedToken, name): value for name, value in values.items()},
    ).execute()
    audit.record("calendar_feed.renewed", target=f"account:{account.id}", actor=account)
    return token


@password_changed.connect
def revoke(account, actor=None, **_ignored) -> None:
    """A new password ends the feed address like a session: someone who learnt the old
    password may have copied the address too. The owner makes a new one on /account."""
    if FeedToken.delete().where(FeedToken.account == account.id).execute():
        audit.record("calendar_feed.revoked", target=f"account:{account.id}", actor=actor)


def account_for(token: str | None):
    """The active account that owns `token`, or None (unknown, revoked, or deactivated)."""
    if not token or len(token) > 200:
        return None
    row = FeedToken.get_or_none(FeedToken.token_hash == _hash(token))
    if row is None or not row.account.active:
        return None
    return row.account
