"""Telling people what waits for them in the minutes workflow: one mail per person, queued in
the outbox (core.mail) inside the transaction of the step, in the person's language.

A mail leaves the intranet, so it names the minutes (meeting title and date) only where the
whole chain of labels may leave (CLEAR, GREEN, AMBER; core.sharing) and the recipient may read
them; otherwise it says only that something waits, with the link. It never carries the text of
the minutes, a section, a comment or a review note.
"""

import datetime as dt

from intranet.auth.models import Account
from intranet.core import mail, notifications, sharing
from intranet.core.models import MailOnce
from intranet.meetings import times
from intranet.meetings.models import Meeting
from intranet.minutes import rules
from intranet.minutes.models import ActionItem, Minutes, MinutesSection
from intranet.platform.db import write_transaction

KIND = "minutes_step"
# Step → who is told.
REVIEW, RETURNED, CIRCULATING, OBJECTION, DEADLINE, RELEASED = (
    "review",
    "returned",
    "circulating",
    "objection",
    "deadline",
    "released",
)


def _active(query):
    return [a for a in query if a.active and a.email]


def reviewers(context) -> list[Account]:
    """Reviewers who may approve: they read every section and wrote none of it."""
    query = Account.select().where(Account.role == rules.RE).order_by(Account.id)
    return [a for a in _active(query) if rules.may_approve(a, context)]


def authors(context) -> list[Account]:
    """Who started the minutes or saved a version of them."""
    from intranet.minutes.models import MinutesVersion

    ids = {context.minutes.created_by_id} | {
        v.author_id
        for v in MinutesVersion.select(MinutesVersion.author).where(
            MinutesVersion.minutes == context.minutes.id
        )
    }
    ids.discard(None)
    query = Account.select().where(Account.id.in_(list(ids) or [0])).order_by(Account.id)
    return [a for a in _active(query) if context.may(a, "view")]


def readers(context) -> list[Account]:
    """Everyone who may read the minutes in their present state."""
    query = Account.select().order_by(Account.id)
    return [a for a in _active(query) if context.may(a, "view")]


def coordination(context) -> list[Account]:
    """Coordinators who may read the minutes and answer objections: the authors, and those of
    the organising organisation."""
    organiser = context.meeting.organization_id
    query = Account.select().where(Account.role == rules.CO).order_by(Account.id)
    chosen = {a.id for a in authors(context)}
    return [
        a
        for a in _active(query)
        if (a.id in chosen or (organiser and a.organization_id == organiser))
        and context.may(a, "resolve")
    ]


def notify(context, step: str, recipients, actor, once: str | None = None) -> int | None:
    """Queue the mail about `step` to each recipient (not the actor), as each chose to be told
    (core.notifications); `once`: a key, so that each person is told only the first time.
    The review queue of the only reviewer goes out whatever they chose. None when mail is off."""
    if not mail.enabled():
        return None
    minutes, meeting = context.minutes, context.meeting
    deadline = minutes.objection_deadline
    policy = sharing.MailPolicy(context.audience)
    recipients = [a for a in recipients if a.id != getattr(actor, "id", None)]
    topic = notifications.REVIEW if step == REVIEW else notifications.MINUTES
    must = step == REVIEW and len(recipients) == 1
    sent = 0
    for account in recipients:
        named = policy.names_for(account) and context.may(account, "view")
        notifications.tell(
            KIND,
            account,
            topic,
            notifications.link("minutes.show", minutes_id=minutes.id),
            must=must,
            once=once,
            about=f"minutes:{minutes.id}",
            caused_by=actor,
            step=step,
            title=mail.one_line(meeting.title) if named else None,
            date=f"{times.to_local(meeting.start):%d.%m.%Y}" if named else None,
            deadline=f"{times.to_local(deadline):%d.%m.%Y}" if deadline else None,
        )
        sent += 1
    return sent


@notifications.about_rule("minutes")
def _about_minutes(minutes_id: int, account) -> bool | None:
    """Whether `account` may still read the minutes (None: no), and a mail may name them."""
    from intranet.minutes import services

    minutes = Minutes.get_or_none(Minutes.id == minutes_id)
    if minutes is None:
        return None
    context = services.context_for(minutes)
    if not context.may(account, "view"):
        return None
    return sharing.MailPolicy(context.audience).names_for(account)


# --- Told by the clock (core.notifications runs these in the delivery loop) --------------------

# The authors hear this many days before the objection period ends, if objections are open.
DEADLINE_WARNING = dt.timedelta(days=2)
ACTION_KIND = "action_item"
ASSIGNED, DUE = "assigned", "due"


@notifications.periodic
def deadlines_near(now: dt.datetime) -> int:
    """Tell the authors of circulating minutes whose objection period ends within two days
    while objections are open; once per person and minutes."""
    from intranet.minutes import services
    from intranet.minutes.models import MinutesComment

    open_objections = MinutesComment.select(MinutesComment.minutes).where(
        (MinutesComment.kind == "objection") & MinutesComment.resolved_at.is_null()
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
            context = services.context_for(minutes)
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


@notifications.periodic
def action_items_to_tell(now: dt.datetime) -> int:
    """Tell each person with an account named as responsible of an open action item, once when
    its minutes circulate (assigned) and once when it is due tomorrow or today; only items
    they may read, named as the policy allows, never its text."""
    from intranet.minutes import services

    today = times.to_local(now).date()
    items = list(
        ActionItem.select(ActionItem, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where(
            Minutes.state.in_((rules.CIRCULATING, rules.RELEASED))
            & (ActionItem.state == "open")
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
                services.action_items(account).where(ActionItem.id == item.id).exists()
            ):
                continue
            for step in steps:
                with write_transaction():
                    told += bool(_tell_action_item(item, account, step))
    return told


def _action_key(item, step: str) -> str:
    return f"action:{item.id}:{step}"


def _tell_action_item(item, account, step: str):
    from intranet.minutes import services

    minutes = item.section.minutes
    context = services.context_for(minutes)
    audience = context.section_audience(item.section)
    named = sharing.MailPolicy(audience).names_for(account)
    meeting = context.meeting
    return notifications.tell(
        ACTION_KIND,
        account,
        notifications.ACTION_ITEMS,
        notifications.link("minutes.show", minutes_id=minutes.id),
        once=_action_key(item, step),
        about=f"minutes:{minutes.id}",
        step=step,
        title=mail.one_line(meeting.title) if named else None,
        date=f"{times.to_local(meeting.start):%d.%m.%Y}" if named else None,
        due=f"{item.due_on:%d.%m.%Y}" if item.due_on else None,
    )
