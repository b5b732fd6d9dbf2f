"""The minutes' part of the start page: what waits for this person — minutes to review, drafts
to finish, minutes circulating with an objection period, released minutes to confirm. All of
it is a to-do, so it sits at the top of the page."""

from dataclasses import dataclass

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

SHOWN = 5


@dataclass
class Waiting:
    """One list of the panel: a heading key and the minutes in it (at most SHOWN)."""

    kind: str
    items: list


def _waiting(account, action: str, state: str, extra=None, order=None) -> list[Minutes]:
    query = access.visible_minutes(account, action).where(Minutes.state == state)
    if extra is not None:
        query = query.where(extra)
    return list(query.order_by(*(order or (Minutes.changed_at.desc(),))).limit(SHOWN))


def waiting_for(account) -> list[Waiting]:
    """Up to four short lists, each one query, whatever the size of the archive."""
    # Only what was released since the person joined asks for a confirmation: a new member is
    # not asked to confirm the whole archive (they can still confirm on the minutes' page).
    unconfirmed = (Minutes.released_at >= account.created_at) & Minutes.id.not_in(
        ReadConfirmation.select(ReadConfirmation.minutes).where(
            ReadConfirmation.account == account.id
        )
    )
    lists = [
        Waiting("review", _waiting(account, "approve", IN_REVIEW)),
        Waiting("draft", _waiting(account, "edit", DRAFT)),
        Waiting(
            "objection",
            _waiting(
                account,
                "object",
                CIRCULATING,
                Minutes.objection_deadline >= utcnow(),
                order=(Minutes.objection_deadline,),
            ),
        ),  # fmt: skip
        Waiting("confirm", _waiting(account, "confirm_read", RELEASED, unconfirmed)),
    ]
    return [entry for entry in lists if entry.items]


def minutes_panel(account):
    lists = waiting_for(account)
    return Panel("minutes/_start_waiting.html", {"lists": lists}, "todo") if lists else None
