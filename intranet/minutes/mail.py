"""Telling people what waits for them in the minutes workflow: one mail per person, queued in
the outbox (core.mail) inside the transaction of the step, in the person's language.

A mail leaves the intranet, so it names the minutes (meeting title and date) only where the
whole chain of labels may leave (CLEAR, GREEN, AMBER; core.sharing) and the recipient may read
them; otherwise it says only that something waits, with the link. It never carries the text of
the minutes, a section, a comment or a review note.
"""

from intranet.core import mail, notifications, sharing, times
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.minutes import rules
from intranet.minutes.models import Minutes

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
            about=ref("minutes", minutes.id),
            caused_by=actor,
            step=step,
            title=mail.one_line(meeting.title) if named else None,
            date=f"{times.to_local(meeting.start):%d.%m.%Y}" if named else None,
            deadline=f"{times.to_local(deadline):%d.%m.%Y}" if deadline else None,
        )
        sent += 1
    return sent


def may_name_minutes(minutes_id: int, account) -> bool | None:
    """Whether `account` may still read the minutes (None: no), and a mail may name them."""
    from intranet.minutes import access

    minutes = Minutes.get_or_none(Minutes.id == minutes_id)
    if minutes is None:
        return None
    context = access.context_for(minutes)
    if not context.may(account, "view"):
        return None
    return sharing.MailPolicy(context.audience).names_for(account)
