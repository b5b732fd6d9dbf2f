"""Telling people what waits for them in the minutes workflow: one mail per person, queued in
the outbox (core.mail) inside the transaction of the step, in the person's language.

A mail leaves the intranet, so it names the minutes (meeting title and date) only where the
whole chain of labels may leave (CLEAR, GREEN, AMBER; core.sharing) and the recipient may read
them; otherwise it says only that something waits, with the link. It never carries the text of
the minutes, a section, a comment or a review note.
"""

from flask import url_for

from intranet.auth.models import Account
from intranet.core import mail
from intranet.meetings import times
from intranet.minutes import rules

KIND = "minutes_step"
# Step → who is told.
REVIEW, RETURNED, CIRCULATING, OBJECTION, RELEASED = (
    "review",
    "returned",
    "circulating",
    "objection",
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


def notify(context, step: str, recipients, actor) -> int | None:
    """Queue the mail about `step` to each recipient (not the actor). None when mail is off."""
    if not mail.enabled():
        return None
    minutes, meeting = context.minutes, context.meeting
    deadline = minutes.objection_deadline
    sent = 0
    for account in recipients:
        if account.id == getattr(actor, "id", None):
            continue
        named = context.audience.leaves_intranet and context.may(account, "view")
        mail.queue(
            KIND,
            account.email,
            account=account,
            about=f"minutes:{minutes.id}",
            caused_by=actor,
            step=step,
            title=mail.one_line(meeting.title) if named else None,
            date=f"{times.to_local(meeting.start):%d.%m.%Y}" if named else None,
            deadline=f"{times.to_local(deadline):%d.%m.%Y}" if deadline else None,
            link=url_for("minutes.show", minutes_id=minutes.id, _external=True),
        )
        sent += 1
    return sent
