"""Comments and objections while the minutes circulate, and the answers to objections."""

from peewee import JOIN

from intranet.core import audit, sharing
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowError
from intranet.minutes import mail as notifications
from intranet.minutes.access import WORKFLOW, MinutesContext, MinutesError
from intranet.minutes.editing import locked
from intranet.minutes.models import (
    COMMENT_KINDS,
    CommentKind,
    Minutes,
    MinutesComment,
    MinutesSection,
)
from intranet.platform.db import utcnow
from intranet.platform.errors import NotFound
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


def comment_audience(context: MinutesContext, section) -> sharing.Audience:
    """A comment about one section is read by that section's audience, else by the minutes'."""
    return context.section_audience(section) if section is not None else context.audience


def add_comment(context, kind: str, text: str, actor, section_id: int | None = None):
    """A comment or objection on the whole minutes or on one section the author can read.
    Checked and written under the document's lock: none arrives once the minutes moved on."""
    if kind not in COMMENT_KINDS:
        raise MinutesError(_l("Please choose comment or objection."))
    if not text.strip():
        raise MinutesError(_l("Please write your comment."), "text")
    section = None
    if section_id:
        section = MinutesSection.get_or_none(
            (MinutesSection.id == section_id) & (MinutesSection.minutes == context.minutes.id)
        )
        if section is None or not context.section_visible(actor, section):
            raise MinutesError(_l("Please choose what your comment is about."), "section")
    with locked(context) as current:
        if not current.may(actor, "object" if kind == CommentKind.OBJECTION else "comment"):
            raise WorkflowError(
                _l("Comments and objections are possible only while in circulation.")
            )
        comment = MinutesComment.create(
            minutes=context.minutes.id,
            section=section.id if section else None,
            kind=kind,
            text=text.strip(),
            author=actor.id,
            author_label=actor.display_name,
            organization=actor.organization_id,
        )
        Minutes.update(changed_at=utcnow()).where(Minutes.id == context.minutes.id).execute()
        if kind == CommentKind.OBJECTION:
            notifications.notify(
                current, notifications.OBJECTION, notifications.coordination(current), actor
            )
        audit.record(f"minutes.{kind}", target=ref("minutes", context.minutes.id), actor=actor)
    return comment


def _every_comment(minutes_id):
    return (
        MinutesComment.select(MinutesComment, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(MinutesComment.minutes == minutes_id)
        .order_by(MinutesComment.at, MinutesComment.id)
    )


# Read by every page of circulating or released minutes: compiled once.
_EVERY_COMMENT = Prepared(_every_comment)


def every_comment(context: MinutesContext) -> list[MinutesComment]:
    """Every comment and objection on the minutes, with the author's organisation (one
    query): what `comments` narrows to a reader, and what the sign-off counts."""
    return list(_EVERY_COMMENT.run(minutes_id=context.minutes.id))


def comments(context: MinutesContext, account, every=None) -> list[MinutesComment]:
    """The comments and objections `account` may read: on the whole minutes, or on a section
    cleared for them (two queries, none with `every` from `every_comment` and the sections
    already on the context)."""
    rows = every_comment(context) if every is None else every
    section_ids = {c.section_id for c in rows if c.section_id}
    sections = {}
    if section_ids and context.every_section is not None:
        sections = {s.id: s for s in context.every_section if s.id in section_ids}
    elif section_ids:
        sections = {
            s.id: s for s in MinutesSection.select().where(MinutesSection.id.in_(section_ids))
        }
    shown = []
    for comment in rows:
        section = sections.get(comment.section_id)
        if comment.section_id and section is None:
            continue
        if comment_audience(context, section).visible_to(account):
            comment.about = section
            shown.append(comment)
    return shown


def resolve_objection(context, comment_id: int, resolution: str, actor) -> None:
    if not resolution.strip():
        raise MinutesError(_l("Please say how the objection was resolved."), "resolution")
    objection = next(
        (
            c
            for c in comments(context, actor)
            if c.id == comment_id and c.kind == CommentKind.OBJECTION
        ),
        None,
    )
    if objection is None:
        raise NotFound  # hidden from the resolver like any item outside their audience
    with locked(context) as current:
        if not current.may(actor, "resolve"):
            raise WorkflowError(_l("You may not take this step."))
        changed = (
            MinutesComment.update(
                resolved_at=utcnow(),
                resolved_by=actor.id,
                resolved_by_label=actor.display_name,
                resolution=resolution.strip(),
            )
            .where(
                (MinutesComment.id == comment_id)
                & (MinutesComment.minutes == context.minutes.id)
                & MinutesComment.resolved_at.is_null()
            )
            .execute()
        )
        if not changed:
            raise NotFound
        WORKFLOW.record(actor, context.minutes.id, "resolve", current.state, resolution)
        audit.record("minutes.resolved", target=ref("minutes", context.minutes.id), actor=actor)
