"""Answers to an invitation (yes, no, maybe) and the overview per organisation."""

from dataclasses import dataclass, field

from peewee import JOIN, Case, fn

from intranet.core import sharing
from intranet.core.accounts import Account, Organization
from intranet.meetings.access import MeetingContext, MeetingError
from intranet.meetings.models import (
    ANSWERS,
    Answer,
)
from intranet.platform.db import utcnow
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def give_answer(meeting, account, value: str) -> None:
    """Save or change the account's answer; an upsert, so a double click cannot fail."""
    if value not in ANSWERS:
        raise MeetingError(_l("Please choose an answer."))
    now = utcnow()
    Answer.insert(
        meeting=meeting.id,
        account=account.id,
        person_label=account.display_name,
        organization=account.organization_id,
        answer=value,
        answered_at=now,
    ).on_conflict(
        conflict_target=[Answer.meeting, Answer.account],
        update={Answer.answer: value, Answer.answered_at: now},
    ).execute()


@dataclass
class OrganizationAnswers:
    organization: Organization
    answers: list = field(default_factory=list)  # (name, answer code)
    missing: list = field(default_factory=list)  # names of accounts without an answer


def answers_overview(context: MeetingContext) -> list[OrganizationAnswers]:
    """Per named organisation: who answered what and who has not (two queries)."""
    meeting = context.meeting
    org_ids = context.organization_ids
    organizations = {o.id: o for o in context.invited}
    if meeting.organization_id and meeting.organization:
        organizations[meeting.organization_id] = meeting.organization
    rows = {i: OrganizationAnswers(organizations[i]) for i in org_ids if i in organizations}
    answers = list(
        Answer.select(Answer, Account)
        .join(Account, JOIN.LEFT_OUTER)
        .where(Answer.meeting == meeting.id)
        .order_by(Answer.person_label)
    )
    answered = {a.account_id for a in answers if a.account_id}
    other = OrganizationAnswers(None)
    for answer in answers:
        target = rows.get(answer.organization_id, other)
        # The current name while the account exists; the stored label (pseudonym) after erasure.
        name = answer.account.display_name if answer.account_id else answer.person_label
        target.answers.append((name, answer.answer))
    if meeting.label == sharing.RED:
        candidates = context.persons
    else:
        candidates = list(
            Account.select()
            .where(Account.organization.in_(list(org_ids)) & (Account.active == True))  # noqa: E712
            .order_by(Account.display_name)
        )
    for account in candidates:
        if account.id not in answered:
            rows.get(account.organization_id, other).missing.append(account.display_name)
    result = sorted(rows.values(), key=lambda r: r.organization.name)
    if other.answers or other.missing:
        result.append(other)
    return result


def _counts(meeting_id, account_id):
    return (
        Answer.select(
            Answer.answer,
            fn.COUNT(Answer.id),
            fn.MAX(Case(None, [(Answer.account == account_id, 1)], 0)),
        )
        .where(Answer.meeting == meeting_id)
        .group_by(Answer.answer)
        .tuples()
    )


# On every meeting page: compiled once.
_COUNTS = Prepared(_counts)


def answer_counts(meeting, account) -> tuple[dict[str, int], str | None]:
    """How many gave each answer, and `account`'s own answer (None without one): one query, a
    row per answer given, marked where it is the account's (an account answers once)."""
    counts = dict.fromkeys(ANSWERS, 0)
    own = None
    for answer, number, is_own in _COUNTS.run(meeting_id=meeting.id, account_id=account.id):
        counts[answer] = number
        if is_own:
            own = answer
    return counts, own
