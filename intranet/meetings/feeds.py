"""The personal calendar feed: its token (auth.tokens), the meetings in it, its versions."""

import datetime as dt
import threading
from collections import OrderedDict

from flask import current_app, request

from intranet.auth.tokens import PersonalToken
from intranet.core import sharing
from intranet.core.models import NotificationSettings
from intranet.meetings import access
from intranet.meetings.models import FeedToken, Meeting
from intranet.platform.db import utcnow
from intranet.platform.prepared import Prepared
from intranet.platform.web import version_tag

FEED_DAYS = 365  # how far back the feed reaches
BODY_CACHE_SIZE = 64  # rendered feeds kept in memory, by version (~100 KB each at most)

_bodies: OrderedDict[str, bytes] = OrderedDict()
_bodies_lock = threading.Lock()


TOKEN = PersonalToken(FeedToken, "calendar-feed", "calendar_feed.renewed", "calendar_feed.revoked")
current_token = TOKEN.current
renew = TOKEN.renew
account_for = TOKEN.account_for


def revoke(account, actor=None, **_ignored) -> None:
    """The feed address ends with the sessions (new password, deactivation, new role): someone
    who learnt the old password may have copied the address too, and a reactivated account
    starts without old addresses. The owner makes a new one on /account."""
    TOKEN.revoke(account, actor)


def _in_feed(reader, since):
    """The account's visible meetings since `since` (a year back), RED left out."""
    return access.visible_clause(reader) & (Meeting.start >= since) & (Meeting.label != sharing.RED)


def feed_meetings(account, since: dt.datetime):
    """What the personal feed lists, in order, with the organisers."""
    return (
        access.visible_meetings(account)
        .where(_in_feed(account, since))
        .order_by(Meeting.start, Meeting.id)
    )


def _alarm(account_id):
    return NotificationSettings.select(NotificationSettings.alarm_minutes).where(
        NotificationSettings.account == account_id
    )


def _versions(reader, since):
    stamp = Meeting.updated_at.cast("text")
    return (
        Meeting.select(Meeting.id, stamp, Meeting.sequence, Meeting.label)
        .where(_in_feed(reader, since))
        .tuples()
    )


# Calendar programs ask every few minutes, mostly to hear "unchanged": the two queries of that
# answer are compiled once (per reader), then only run.
ALARM = Prepared(_alarm)
VERSIONS = Prepared(_versions)


def alarm_minutes(account) -> int | None:
    """The alarm the person asked for before each meeting of their feed (on /account)."""
    row = ALARM.first(account_id=account.id)
    return row.alarm_minutes if row else None


def feed_version(account, alarm: int | None = None) -> tuple[str, dt.datetime | None, dt.datetime]:
    """ETag and Last-Modified of the account's feed, from a narrow query over the same rows,
    and the moment the feed reaches back to (for `feed_meetings`, so both see the same rows).

    Every change a feed shows bumps a meeting's `updated_at` (and `sequence`); a meeting that
    enters or leaves the account's view changes the list of ids. Both go into the tag, so
    changes the account may not see leave it alone; so does the person's alarm (`alarm`). `updated_at` stays text here: turning a
    hundred of them into datetimes would cost more than the rest of a 304.
    """
    since = utcnow() - dt.timedelta(days=FEED_DAYS)
    rows = list(VERSIONS.run(sharing.Reader.of(account), since=since))
    latest = max((row[1] for row in rows), default=None)
    changed = Meeting.updated_at.python_value(latest) if latest else None
    tag = version_tag(account.id, request.url_root, current_app.config["FORUM_NAME"], alarm, rows)
    return tag, changed, since


def feed_body(version: str, render) -> bytes:
    """The rendered feed of this version, rendered once.

    The version covers everything the body shows, so a body rendered earlier for it is the
    same calendar; a client without the ETag (a new subscriber, a program that ignores it)
    then costs no rendering either. Its DTSTAMPs stay those of the first rendering.
    """
    with _bodies_lock:
        body = _bodies.get(version)
        if body is not None:
            _bodies.move_to_end(version)
            return body
    body = render()
    with _bodies_lock:
        _bodies[version] = body
        while len(_bodies) > BODY_CACHE_SIZE:
            _bodies.popitem(last=False)
    return body


def meeting_version(meeting) -> str:
    return version_tag(request.url_root, meeting.id, meeting.updated_at, meeting.sequence)
