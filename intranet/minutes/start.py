"""The minutes' part of the start page: what waits for this person — minutes to review, drafts
to finish, minutes circulating with an objection period, released minutes to confirm. All of
it is a to-do, so it sits at the top of the page."""

from dataclasses import dataclass

from intranet.core.sharing import Reader
from intranet.core.start_page import Panel
from intranet.minutes import access
from intranet.minutes.models import (
    CIRCULATING,
    DRAFT,
    IN_REVIEW,
    RELEASED,
    Minutes,
    ReadConfirmation,
)
from intranet.platform.db import utcnow
from intranet.platform.prepared import Prepared

SHOWN = 5


@dataclass
class Waiting:
    """One list of the panel: a heading key and the minutes in it (at most SHOWN)."""

    kind: str
    items: list


def _in_state(reader, action: str, state: str):
    return access.visible_minutes(reader, action).where(Minutes.state == state)


def _to_review(reader):
    return _in_state(reader, "approve", IN_REVIEW).order_by(Minutes.changed_at.desc()).limit(SHOWN)


def _drafts(reader):
    return _in_state(reader, "edit", DRAFT).order_by(Minutes.changed_at.desc()).limit(SHOWN)


def _open_for_objection(reader, now):
    return (
        _in_state(reader, "object", CIRCULATING)
        .where(Minutes.objection_deadline >= now)
        .order_by(Minutes.objection_deadline)
        .limit(SHOWN)
    )


def _to_confirm(reader, joined):
    # Only what was released since the person joined asks for a confirmation: a new member is
    # not asked to confirm the whole archive (they can still confirm on the minutes' page).
    confirmed = ReadConfirmation.select(ReadConfirmation.minutes).where(
        ReadConfirmation.account == reader.id
    )
    return (
        _in_state(reader, "confirm_read", RELEASED)
        .where((Minutes.released_at >= joined) & Minutes.id.not_in(confirmed))
        .order_by(Minutes.changed_at.desc())
        .limit(SHOWN)
    )


# Each list of the panel is one query, compiled once per reader (the rule reads the account's
# id, organisation and role; the time and the date the account joined are slots).
TO_REVIEW = Prepared(_to_review)
DRAFTS = Prepared(_drafts)
OPEN_FOR_OBJECTION = Prepared(_open_for_objection)
TO_CONFIRM = Prepared(_to_confirm)


def waiting_for(account) -> list[Waiting]:
    """Up to four short lists, each one query, whatever the size of the archive."""
    reader = Reader.of(account)
    lists = [
        Waiting("review", list(TO_REVIEW.run(reader))),
        Waiting("draft", list(DRAFTS.run(reader))),
        Waiting("objection", list(OPEN_FOR_OBJECTION.run(reader, now=utcnow()))),
        Waiting("confirm", list(TO_CONFIRM.run(reader, joined=account.created_at))),
    ]
    return [entry for entry in lists if entry.items]


def minutes_panel(account):
    lists = waiting_for(account)
    return Panel("minutes/_start_waiting.html", {"lists": lists}, "todo") if lists else None
