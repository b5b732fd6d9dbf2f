"""Personal calendar feed tokens: stored only as a hash (plus a nonce), renewable."""

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app, request

from intranet.core import audit, sharing
from intranet.db import utcnow, write_transaction
from intranet.meetings import services
from intranet.meetings.models import FeedToken, Meeting
from intranet.web import version_tag

FEED_DAYS = 365  # how far back the feed reaches


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
    with write_transaction():
        FeedToken.delete().where(FeedToken.account == account.id).execute()
        FeedToken.create(
            account=account.id, nonce=nonce, token_hash=_hash(token), created_at=utcnow()
        )
    audit.record("calendar_feed.renewed", target=f"account:{account.id}", actor=account)
    return token


def account_for(token: str | None):
    """The active account that owns `token`, or None (unknown, revoked, or deactivated)."""
    if not token or len(token) > 200:
        return None
    row = FeedToken.get_or_none(FeedToken.token_hash == _hash(token))
    if row is None or not row.account.active:
        return None
    return row.account


def feed_meetings(account):
    """What the personal feed lists: the account's visible meetings of the last year, RED left out."""
    since = utcnow() - dt.timedelta(days=FEED_DAYS)
    return (
        services.visible_meetings(account)
        .where((Meeting.start >= since) & (Meeting.label != sharing.RED))
        .order_by(Meeting.start, Meeting.id)
    )


def feed_version(query) -> tuple[str, dt.datetime | None]:
    """ETag and Last-Modified of a feed, from a narrow query over the same rows.

    Every change a feed shows bumps a meeting's `updated_at` (and `sequence`); a meeting that
    enters or leaves the account's view changes the list of ids. Both go into the tag, so
    changes the account may not see leave it alone.
    """
    rows = list(
        query.select(Meeting.id, Meeting.updated_at, Meeting.sequence, Meeting.label).tuples()
    )
    changed = max((row[1] for row in rows), default=None)
    return version_tag(request.url_root, current_app.config["FORUM_NAME"], rows), changed


def meeting_version(meeting) -> str:
    return version_tag(request.url_root, meeting.id, meeting.updated_at, meeting.sequence)
