"""Minutes news told by the clock: the authors before an objection period ends, the people named
responsible for an action item. The delivery loop (core.notifications) runs these jobs; the
minutes area registers them. They sit above the services, whose access rule they apply."""

import datetime as dt

from intranet.core import mail, notifications, sharing, times
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.core.models import MailOnce
from intranet.meetings.models import Meeting
from intranet.minutes import access, actions, rules
from intranet.minutes.mail import DEADLINE, _active, authors, notify
from intranet.minutes.models import (
    ActionItem,
    ActionState,
    CommentKind,
    Minutes,
    MinutesComment,
    MinutesSection,
)
from intranet.platform.db import write_transaction

# The authors hear this many days before the objection period ends, if objections are open.
DEADLINE_WARNING = dt.timedelta(days=2)
ACTION_KIND = "action_item"
ASSIGNED, DUE = "assigned", "due"


def deadlines_near(now: dt.datetime) -> int:
    """Tell the authors of circulating minutes whose objection period ends within two days
    while objections are open; once per person and minutes."""
    open_objections = MinutesComment.select(MinutesComment.minutes).where(
        (MinutesComment.kind == CommentKind.OBJECTION) & MinutesComment.resolved_at.is_null()
    )
    due = Minutes.select().where(
        (Minutes.state == rules.CIRCULATING)
        & (Minutes.objection_deadline > now)
        & (Minutes.objection_deadline <= now + DEADLINE_WARNING)
        & Minutes.id.in_(open_objections)
    )
    told = 0
    for minutes in due:
        with write_transaction():
            context = access.context_for(minutes)
            key = f"deadline:minutes:{minutes.id}"
            told += notify(context, DEADLINE, authors(context), None, once=key) or 0
    return told


def _responsible_accounts(items, accounts) -> dict[int, list]:
    """Item id → the accounts whose name its free-text "responsible" contains (as the
    action item list's "mine" matches them)."""
    matched: dict[int, list] = {}
    for item in items:
        text = (item.responsible or "").casefold()
        for account in accounts:
            name = account.display_name.casefold().strip()
            if name and name in text:
                matched.setdefault(item.id, []).append(account)
    return matched


def action_items_to_tell(now: dt.datetime) -> int:
    """Tell each person with an account named as responsible of an open action item, once when
    its minutes circulate (assigned) and once when it is due tomorrow or today; only items
    they may read, named as the policy allows, never its text."""
    today = times.to_local(now).date()
    items = list(
        ActionItem.select(ActionItem, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where(
            Minutes.state.in_((rules.CIRCULATING, rules.RELEASED))
            & (ActionItem.state == ActionState.OPEN)
            & (ActionItem.responsible != "")
            # Past their day they are on the start page's overdue list; no late news by mail.
            & (ActionItem.due_on.is_null() | (ActionItem.due_on >= today))
        )
    )
    if not items:
        return 0
    accounts = _active(Account.select().order_by(Account.id))
    by_id = {item.id: item for item in items}
    # Who was told already: one query, so that a pass over old items writes nothing.
    told_before = set(
        MailOnce.select(MailOnce.account, MailOnce.key)
        .where(MailOnce.key.startswith("action:"))
        .tuples()
    )
    told = 0
    for item_id, candidates in _responsible_accounts(items, accounts).items():
        item = by_id[item_id]
        for account in candidates:
            steps = [ASSIGNED]
            if item.due_on is not None and item.due_on <= today + dt.timedelta(days=1):
                steps.append(DUE)
            steps = [s for s in steps if (account.id, _action_key(item, s)) not in told_before]
            # What the person may read, by the same query as their own list of action items.
            if not steps or not (
                actions.action_items(account).where(ActionItem.id == item.id).exists()
            ):
                continue
            for step in steps:
                with write_transaction():
                    told += bool(_tell_action_item(item, account, step))
    return told


def _action_key(item, step: str) -> str:
    return f"action:{item.id}:{step}"


def _tell_action_item(item, account, step: str):
    minutes = item.section.minutes
    context = access.context_for(minutes)
    audience = context.section_audience(item.section)
    named = sharing.MailPolicy(audience).names_for(account)
    meeting = context.meeting
    return notifications.tell(
        ACTION_KIND,
        account,
        notifications.ACTION_ITEMS,
        notifications.link("minutes.show", minutes_id=minutes.id),
        once=_action_key(item, step),
        about=ref("minutes", minutes.id),
        step=step,
        title=mail.one_line(meeting.title) if named else None,
        date=f"{times.to_local(meeting.start):%d.%m.%Y}" if named else None,
        due=f"{item.due_on:%d.%m.%Y}" if item.due_on else None,
    )
