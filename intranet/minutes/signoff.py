"""What the organisations say about circulated minutes (consent, objection, silence), the
release note, and read confirmations of released minutes."""

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN

from intranet.core import audit
from intranet.core.accounts import Account, Organization
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowError
from intranet.meetings.models import Meeting, MeetingOrganization
from intranet.minutes.access import WORKFLOW, MinutesContext
from intranet.minutes.comments import comments
from intranet.minutes.editing import locked
from intranet.minutes.models import (
    RELEASED,
    CommentKind,
    MinutesComment,
    ReadConfirmation,
    Signoff,
)
from intranet.platform.db import utcnow
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def may_consent(context: MinutesContext, account) -> bool:
    """Members of the meeting's organisations (organiser and invited) consent for them."""
    return (
        context.may(account, "consent")
        and account.organization_id is not None
        and account.organization_id in context.meeting_context.organization_ids
    )


def consent(context: MinutesContext, actor) -> None:
    """The actor's organisation consents; once per organisation, under the document's lock so
    that no consent arrives after the release."""
    with locked(context) as current:
        if not may_consent(current, actor):
            raise WorkflowError(_l("Consent is possible only while the minutes circulate."))
        Signoff.insert(
            minutes=context.minutes.id,
            organization=actor.organization_id,
            account=actor.id,
            account_label=actor.display_name,
            at=utcnow(),
        ).on_conflict_ignore().execute()
        audit.record("minutes.consent", target=ref("minutes", context.minutes.id), actor=actor)


CONSENTED, OBJECTED, SILENT, WAITING = "consented", "objected", "silent", "waiting"


@dataclass
class OrganizationSignoff:
    organization: Organization
    state: str  # CONSENTED, OBJECTED (an objection of one of its members), SILENT, WAITING
    at: dt.datetime | None = None
    resolved: bool = True  # for OBJECTED: every objection of the organisation answered


def _organizations_signing(minutes_id, meeting_id):
    """The meeting's organiser and invited organisations with their consent to the minutes."""
    organiser = Meeting.select(Meeting.organization).where(Meeting.id == meeting_id)
    invited = MeetingOrganization.select(MeetingOrganization.organization).where(
        MeetingOrganization.meeting == meeting_id
    )
    return (
        Organization.select(
            Organization.id,
            Organization.name,
            Signoff.at.alias("consented_at"),
            Signoff.id.alias("signoff_id"),
        )
        .join(
            Signoff,
            JOIN.LEFT_OUTER,
            on=(Signoff.organization == Organization.id) & (Signoff.minutes == minutes_id),
        )
        .where(Organization.id.in_(organiser) | Organization.id.in_(invited))
        .order_by(Organization.name)
        .objects()
    )


# Compiled once: the organisations as sub-selects of the meeting, not a list of their ids
# (`MeetingContext.organization_ids` reads the same two tables).
_ORGANIZATIONS_SIGNING = Prepared(_organizations_signing)


def signoffs(context: MinutesContext, every=None) -> list[OrganizationSignoff]:
    """Per organisation of the meeting: consented (when), objected (answered or not), no answer
    yet, or silent consent once the deadline has passed or the minutes were released (two
    queries, one with `every` comment of the minutes from comments.every_comment)."""
    organizations = list(
        _ORGANIZATIONS_SIGNING.run(
            minutes_id=context.minutes.id, meeting_id=context.meeting_context.meeting.id
        )
    )
    if every is None:
        every = MinutesComment.select(
            MinutesComment.kind, MinutesComment.organization, MinutesComment.resolved_at
        ).where(MinutesComment.minutes == context.minutes.id)
    objections = {}
    for c in every:
        if c.kind == CommentKind.OBJECTION:
            objections.setdefault(c.organization_id, []).append(c.resolved_at is not None)
    minutes = context.minutes
    over = minutes.state == RELEASED or (
        minutes.objection_deadline is not None and utcnow() > minutes.objection_deadline
    )
    rows = []
    for organization in organizations:
        if organization.id in objections:
            answered = all(objections[organization.id])
            rows.append(OrganizationSignoff(organization, OBJECTED, resolved=answered))
        elif organization.signoff_id is not None:
            rows.append(OrganizationSignoff(organization, CONSENTED, organization.consented_at))
        else:
            rows.append(OrganizationSignoff(organization, SILENT if over else WAITING))
    return rows


@dataclass
class ReleaseNote:
    """The Freigabevermerk: who reviewed and released, when, why early, the objections the
    reader may see and how they were answered, and the sign-off per organisation."""

    reviewed_by: str
    reviewed_at: dt.datetime | None
    released_by: str
    released_at: dt.datetime | None
    early: bool
    early_reason: str | None  # None: the reader is not in the editorial circle
    objections: list
    organizations: list


def release_note(
    context: MinutesContext, account, events=None, shown_comments=None, organizations=None
) -> ReleaseNote | None:
    """For released minutes, as `account` may read it (review notes for the editorial circle,
    objections by their audience). A page that has them passes the workflow `events`, the
    comments shown to the reader and the sign-off per organisation."""
    if context.state != RELEASED:
        return None
    events = WORKFLOW.history(context.minutes.id) if events is None else events
    approved = next((e for e in reversed(events) if e.action == "approve"), None)
    released = next((e for e in reversed(events) if e.action == "release"), None)
    deadline = context.minutes.objection_deadline
    early = bool(released and deadline and released.at < deadline)
    circle = context.in_editorial_circle(account)
    return ReleaseNote(
        reviewed_by=approved.actor_label if approved else "",
        reviewed_at=approved.at if approved else None,
        released_by=released.actor_label if released else "",
        released_at=context.minutes.released_at,
        early=early,
        early_reason=(released.comment if released else "") if circle else None,
        objections=[
            c
            for c in (comments(context, account) if shown_comments is None else shown_comments)
            if c.kind == CommentKind.OBJECTION
        ],
        organizations=signoffs(context) if organizations is None else organizations,
    )


def confirm_read(context, actor) -> None:
    """Once per released document and account; a second click changes nothing."""
    if not context.may(actor, "confirm_read"):
        raise WorkflowError(_l("Reading can be confirmed once the minutes are released."))
    ReadConfirmation.insert(
        minutes=context.minutes.id,
        account=actor.id,
        account_label=actor.display_name,
        organization=actor.organization_id,
        at=utcnow(),
    ).on_conflict_ignore().execute()


def has_confirmed(minutes, account) -> bool:
    return (
        ReadConfirmation.select()
        .where((ReadConfirmation.minutes == minutes.id) & (ReadConfirmation.account == account.id))
        .exists()
    )


@dataclass
class OrganizationConfirmations:
    organization: Organization | None
    confirmed: list = field(default_factory=list)  # names
    missing: list = field(default_factory=list)  # names


def confirmation_summary(context: MinutesContext) -> list[OrganizationConfirmations]:
    """Per organisation of the meeting (organiser and invited): who has confirmed reading and
    when, and who of those cleared to read has not; other organisations appear only where
    someone of them confirmed (two queries, whatever the number of accounts)."""
    involved = set(context.meeting_context.organization_ids)
    accounts = list(
        Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where((Account.active == True) & Account.organization.in_(list(involved) or [0]))  # noqa: E712 (SQL)
        .order_by(Account.display_name)
    )
    confirmations = list(
        ReadConfirmation.select(ReadConfirmation, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(ReadConfirmation.minutes == context.minutes.id)
        .order_by(ReadConfirmation.at, ReadConfirmation.account_label)
    )
    rows: dict = {}

    def row(organization):
        key = organization.id if organization else None
        if key not in rows:
            rows[key] = OrganizationConfirmations(organization)
        return rows[key]

    for account in accounts:  # every organisation of the meeting has its row
        row(account.organization)
    confirmed_ids = set()
    names = {a.id: a.display_name for a in accounts}
    for c in confirmations:
        confirmed_ids.add(c.account_id)
        name = names.get(c.account_id, c.account_label)
        row(c.organization if c.organization_id else None).confirmed.append((name, c.at))
    for account in accounts:
        if account.id not in confirmed_ids and context.may(account, "view"):
            row(account.organization).missing.append(account.display_name)
    return sorted(
        rows.values(),
        key=lambda r: (
            r.organization is None,
            r.organization is not None and r.organization.id not in involved,
            r.organization.name if r.organization else "",
        ),
    )
