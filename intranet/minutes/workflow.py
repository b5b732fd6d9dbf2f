"""The steps of the minutes: submit, review, return, circulate with an objection period,
withdraw, release and correct; who is told, and the history as each reader may read it."""

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass

from peewee import JOIN, IntegrityError

from intranet.core import audit, mail, sharing, site_settings, times
from intranet.core.accounts import Account, Organization
from intranet.core.ids import ref
from intranet.core.models import WorkflowEvent
from intranet.core.workflow import WorkflowError
from intranet.minutes import mail as notifications
from intranet.minutes import rules, search_index
from intranet.minutes.access import LABEL_RANK, WORKFLOW, MinutesContext, MinutesError
from intranet.minutes.editing import locked
from intranet.minutes.models import (
    CIRCULATING,
    DRAFT,
    RELEASED,
    ActionItem,
    CommentKind,
    Decision,
    Minutes,
    MinutesComment,
    MinutesSection,
)
from intranet.minutes.versions import new_version
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l


def _bump():
    # Every change of state also raises the version: an open edit form then cannot save.
    return {Minutes.version: Minutes.version + 1, Minutes.changed_at: utcnow()}


# After a step, who is told (minutes.mail): the step as the mail names it, and the recipients.
TOLD = {
    "submit": (notifications.REVIEW, notifications.reviewers),
    "return": (notifications.RETURNED, notifications.authors),
    "withdraw": (notifications.RETURNED, notifications.authors),
    "approve": (notifications.CIRCULATING, notifications.readers),
    "release": (notifications.RELEASED, notifications.readers),
}


def _step(context, actor, action, comment="", changes=None):
    """One workflow step on the freshly read minutes, under the document's lock (so the
    transition's guard sees what every concurrent write has left)."""
    with locked(context) as current:
        event = WORKFLOW.apply(actor, current, action, comment, {**_bump(), **(changes or {})})
        _tell(current, action, actor)
    return event


def _tell(current: MinutesContext, action: str, actor) -> None:
    """Queue the mails about a step, in its transaction, with the minutes as they now are."""
    step, recipients = TOLD[action]
    moved = Minutes.get_by_id(current.minutes.id)
    moved.meeting = current.meeting
    after = MinutesContext(moved, current.meeting_context)
    notifications.notify(after, step, recipients(after), actor)


def submit(context, actor, comment=""):
    return _step(context, actor, "submit", comment)


def _objection_deadline() -> dt.datetime:
    """The end of an objection period that starts today (naive UTC)."""
    days = site_settings.minutes_objection_days()
    today = times.to_local(utcnow()).date()
    # The period runs to the end of its last day, Berlin time.
    last_day = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(23, 59, 59))
    return times.to_utc(last_day, shift_gap=True)


def approve(context, actor, comment=""):
    """Approved by the reviewer: circulated with the objection period. The table's rule is
    joined by two more, both in the transition's guard: four eyes, and every section seen."""
    changes = {Minutes.objection_deadline: _objection_deadline()}
    return _step(context, actor, "approve", comment, changes)


# The steps that open the minutes to every organisation of the meeting: each is shown with
# whom it reaches before it is taken (WCAG 3.3.4, "check your answers").
CHECKED_STEPS = {"approve": CIRCULATING, "release": RELEASED}


@dataclass
class StepPreview:
    """What a checked step will do: who may read the minutes afterwards, per organisation,
    how many get a mail (None: mail is off), the label, the objection deadline, and the
    agenda items that stay with a narrower audience."""

    action: str
    label: str
    organizations: list[tuple[str, int]]
    readers: int
    mailed: int | None
    deadline: dt.datetime | None
    narrower: list[tuple[str, str]]


def step_preview(context: MinutesContext, actor, action: str, comment: str = "") -> StepPreview:
    """Who a checked step reaches; nothing is written. Raises WorkflowError where the step
    itself would be refused, so the check never promises what cannot happen."""
    WORKFLOW.check(actor, context, action, comment)
    if action == "release":
        _no_open_objection(context)
    deadline = _objection_deadline() if action == "approve" else context.minutes.objection_deadline
    future = Minutes(
        **{
            **context.minutes.__data__,
            "state": CHECKED_STEPS[action],
            "objection_deadline": deadline,
        }
    )
    future.meeting = context.meeting
    after = MinutesContext(future, context.meeting_context)
    accounts = (
        Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(Account.active == True)  # noqa: E712 (SQL)
        .order_by(Organization.name, Account.id)
    )
    readers = [a for a in accounts if after.may(a, "view")]
    per_organization: dict[str, int] = {}
    for account in readers:
        name = account.organization.name if account.organization_id else _("without organisation")
        per_organization[name] = per_organization.get(name, 0) + 1
    rank = LABEL_RANK.get(context.minutes.label, 0)
    sections = MinutesSection.select(MinutesSection.title, MinutesSection.label).where(
        MinutesSection.minutes == context.minutes.id
    )
    return StepPreview(
        action=action,
        label=context.minutes.label,
        organizations=sorted(per_organization.items()),
        readers=len(readers),
        mailed=len([a for a in notifications.readers(after) if a.id != actor.id])
        if mail.enabled()
        else None,
        deadline=deadline,
        narrower=[
            (s.title, s.label)
            for s in sections.order_by(MinutesSection.position)
            if LABEL_RANK.get(s.label, 99) > rank
        ],
    )


def approval_obstacles(context: MinutesContext, account) -> dict:
    """Why a reviewer who may approve by the table may not approve these minutes: they wrote
    part of them, or sections are hidden from them (with reviewers who could approve)."""
    if context.state != rules.IN_REVIEW or not context.may(account, "approve"):
        return {}
    hidden = context.hidden_section_numbers(account)
    obstacles = {
        "authored": context.authored_by(account),
        "hidden": hidden,
        "hidden_names": [_("Item %(n)s", n=n) for n in hidden],
    }
    if hidden or obstacles["authored"]:
        candidates = Account.select().where(
            (Account.role == rules.RE) & (Account.active == True)  # noqa: E712 (SQL)
            & (Account.id != account.id)
        )  # fmt: skip
        obstacles["reviewers"] = [
            a.display_name
            for a in candidates.order_by(Account.display_name)
            if rules.may_approve(a, context)
        ]
    return obstacles if (hidden or obstacles["authored"]) else {}


def return_to_draft(context, actor, comment):
    return _step(context, actor, "return", comment)


def withdraw(context, actor, comment):
    """Back to draft from circulation, when an objection is justified: the reason answers
    every open objection; review and a fresh objection period follow."""

    def answer_objections(current):
        if not comment.strip():
            return  # the workflow refuses the step with its own message
        MinutesComment.update(
            resolved_at=utcnow(),
            resolved_by=actor.id,
            resolved_by_label=actor.display_name,
            resolution=_("Taken back into draft: %(reason)s", reason=comment.strip()),
        ).where(
            (MinutesComment.minutes == context.minutes.id)
            & (MinutesComment.kind == CommentKind.OBJECTION)
            & MinutesComment.resolved_at.is_null()
        ).execute()

    with locked(context) as current:
        # The answers first: the step (which checks who may take it, and fails the whole
        # transaction if not) writes the audit entry last, as every write does.
        answer_objections(current)
        event = WORKFLOW.apply(
            actor, current, "withdraw", comment, {**_bump(), Minutes.objection_deadline: None}
        )
        _tell(current, "withdraw", actor)
    return event


def open_objections(minutes) -> list[MinutesComment]:
    return list(
        MinutesComment.select()
        .where(
            (MinutesComment.minutes == minutes.id)
            & (MinutesComment.kind == CommentKind.OBJECTION)
            & MinutesComment.resolved_at.is_null()
        )
        .order_by(MinutesComment.at)
    )


def canonical_text(minutes) -> str:
    """The text the checksum covers: body, and every section with its decisions and action
    items (whatever a single reader may see), in a fixed layout independent of the language."""
    parts = [(minutes.body or "").strip(), ""]
    rows = (
        MinutesSection.select()
        .where(MinutesSection.minutes == minutes.id)
        .order_by(MinutesSection.position, MinutesSection.id)
    )
    for section in rows:
        parts += [f"== {section.title} [{sharing.LABEL_NAMES.get(section.label, section.label)}]"]
        if section.text.strip():
            parts.append(section.text.strip())
        for d in section.decisions.order_by(Decision.position, Decision.id):
            parts.append(f"* {d.text.strip()}")
        for a in section.action_items.order_by(ActionItem.id):
            due = a.due_on.isoformat() if a.due_on else "-"
            parts.append(f"> {a.text.strip()} | {a.responsible} | {due}")
        parts.append("")
    return "\n".join(parts).strip() + "\n"


def _no_open_objection(current):
    if current.state == CIRCULATING and open_objections(current.minutes):
        raise WorkflowError(_l("An open objection blocks the release. Please resolve it first."))


def release(context, actor, comment=""):
    """Freeze the minutes. Open objections block it, checked under the document's lock so
    that no objection can arrive between the check and the release; before the objection
    period ends a reason is needed (the workflow asks for it)."""

    with locked(context) as current:
        _no_open_objection(current)
        text = canonical_text(current.minutes)
        changes = {
            **_bump(),
            Minutes.released_at: utcnow(),
            Minutes.released_text: text,
            Minutes.released_sha256: hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        event = WORKFLOW.apply(actor, current, "release", comment, changes)
        _tell(current, "release", actor)
    return event


def start_correction(context, actor) -> Minutes:
    """A Berichtigung: a new draft linked to the released minutes, with their text and
    sections; the released minutes themselves never change."""
    if not context.may(actor, "correct"):
        raise WorkflowError(_l("Only released minutes can be corrected."))
    original = context.minutes
    now = utcnow()
    try:
        with write_transaction():
            if Minutes.select().where(Minutes.document_key == f"corrects:{original.id}").exists():
                raise MinutesError(_l("A correction of these minutes already exists."))
            correction = Minutes.create(
                meeting=original.meeting_id,
                document_key=f"corrects:{original.id}",
                corrects=original.id,
                label=original.label,
                chatham_house=original.chatham_house,
                body=original.body,
                created_by=actor.id,
                created_by_label=actor.display_name,
                created_at=now,
                changed_at=now,
            )
            # Action items stay with the original: they are tracked there, not corrected.
            for section in MinutesSection.select().where(MinutesSection.minutes == original.id):
                copy = MinutesSection.create(
                    minutes=correction, agenda_item=section.agenda_item_id, position=section.position,
                    title=section.title, label=section.label, organization=section.organization_id,
                    text=section.text,
                )  # fmt: skip
                for d in section.decisions:
                    Decision.create(section=copy, position=d.position, text=d.text)
            new_version(correction, actor, now)
            WORKFLOW.record(actor, correction.id, "start_correction", DRAFT)
            WORKFLOW.record(actor, original.id, "corrected", RELEASED, comment=f"#{correction.id}")
            search_index.index_minutes(correction.id)
            audit.record(
                "minutes.correction",
                target=ref("minutes", original.id),
                detail=f"{correction.id}",
                actor=actor,
            )
    except IntegrityError:  # a second correction started at the same moment
        raise MinutesError(_l("A correction of these minutes already exists.")) from None
    return correction


# Steps whose comment is a review note, for the editorial circle only (DOMAIN: review notes).
REVIEW_NOTE_ACTIONS = frozenset({"approve", "return", "release", "withdraw"})


# Steps whose comment is shown with what it is about, to that audience (an objection's answer).
QUIET_ACTIONS = frozenset({"resolve", "corrected"})


# Steps about an objection, which may concern a section hidden from the reader: even that an
# objection was answered is told only to the editorial circle (others see it at the objection).
CIRCLE_ONLY_ACTIONS = frozenset({"resolve"})


def timeline(context: MinutesContext, account, events=None) -> list:
    """The history as `account` may read it: every change of state with who and when, but a
    review note only for the editorial circle and an objection's answer only beside the
    objection. `events`: the history, if the page has it already (left unchanged)."""
    circle = context.in_editorial_circle(account)
    shown = []
    for event in WORKFLOW.history(context.minutes.id) if events is None else events:
        if event.action in CIRCLE_ONLY_ACTIONS and not circle:
            continue
        if event.action in QUIET_ACTIONS or (event.action in REVIEW_NOTE_ACTIONS and not circle):
            event = copy.copy(event)
            event.comment = ""
        shown.append(event)
    return shown


REVIEW_NOTE_SEARCH = ("return", "withdraw", "submit")


def latest_review_note(context: MinutesContext, account, events=None):
    """The last return or withdrawal with its reason, for the editorial circle, while the
    minutes are a draft again (shown at the top of the minutes and the editor). `events`:
    the history, oldest first, if the page has it already."""
    if context.state != DRAFT or not context.in_editorial_circle(account):
        return None
    if events is not None:
        last = next((e for e in reversed(events) if e.action in REVIEW_NOTE_SEARCH), None)
    else:
        last = (
            WorkflowEvent.select()
            .where(
                (WorkflowEvent.item_kind == WORKFLOW.kind)
                & (WorkflowEvent.item_id == context.minutes.id)
                & (WorkflowEvent.action.in_(REVIEW_NOTE_SEARCH))
            )
            .order_by(WorkflowEvent.at.desc(), WorkflowEvent.id.desc())
            .first()
        )
    return last if last is not None and last.action != "submit" else None
