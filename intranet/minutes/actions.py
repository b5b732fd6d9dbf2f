"""Action items after the meeting: the lists by person and organisation, open/done, and
carrying an open item onto a later agenda."""

from peewee import fn

from intranet.core import audit, sharing, times
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowError
from intranet.directory.search import contains
from intranet.meetings import access
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings.models import AgendaItem, Meeting
from intranet.minutes.access import MinutesError, context_for, section_visibility
from intranet.minutes.models import (
    ACTION_STATES,
    CIRCULATING,
    RELEASED,
    ActionItem,
    ActionState,
    Minutes,
    MinutesSection,
)
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.errors import NotFound
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l


def set_action_state(context, item: ActionItem, state: str, actor) -> None:
    """Open / done: operational tracking, allowed in every state (not part of the frozen text)."""
    if state not in ACTION_STATES or not context.may(actor, "track"):
        raise WorkflowError(_l("You may not take this step."))
    with write_transaction():
        ActionItem.update(state=state).where(ActionItem.id == item.id).execute()
        audit.record(
            "minutes.action_state",
            target=ref("minutes", context.minutes.id),
            detail=state,
            actor=actor,
        )


ACTION_SCOPES = ("all", "mine", "organization")


# The list's filter: an action item's state, or "overdue" (open and past due).
OVERDUE = "overdue"
ACTION_FILTERS = (ActionState.OPEN, OVERDUE, ActionState.DONE)


def open_action_items(account):
    """Open action items of circulating and released minutes the account may see, earliest due
    first (one query)."""
    return action_items(account)


def action_items(account, scope: str = "all", state: str = ActionState.OPEN):
    """Action items of circulating and released minutes the account may see (one query):
    `scope` all, "mine" (the account is named as responsible) or "organization" (its
    organisation is); `state` open, overdue (open and past due) or done."""
    query = (
        ActionItem.select(ActionItem, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where(Minutes.state.in_((CIRCULATING, RELEASED)) & section_visibility(account))
        .order_by(ActionItem.due_on.asc(nulls="LAST"), Meeting.start, ActionItem.id)
    )
    if state == ActionState.DONE:
        query = query.where(ActionItem.state == ActionState.DONE)
    else:
        query = query.where(ActionItem.state == ActionState.OPEN)
        if state == OVERDUE:
            query = query.where(ActionItem.due_on < times.to_local(utcnow()).date())
    # Who is responsible is free text ("KORA", "Frau Beispiel"): matched by name, in any case.
    responsible = fn.LOWER(ActionItem.responsible)
    if scope == "mine":
        query = query.where(contains(responsible, account.display_name.casefold()))
    elif scope == "organization":
        organization = account.organization
        if organization is None:
            return query.where(ActionItem.id.is_null())
        names = [n for n in (organization.name, organization.short_name) if n]
        match = contains(responsible, names[0].casefold())
        for name in names[1:]:
            match |= contains(responsible, name.casefold())
        query = query.where(match)
    return query


def is_overdue(item: ActionItem) -> bool:
    return (
        item.state == ActionState.OPEN
        and item.due_on is not None
        and item.due_on < times.to_local(utcnow()).date()
    )


def strictest_label(item: ActionItem) -> str:
    """The narrowest label over meeting, minutes and section (no query: they are joined)."""
    section = item.section
    labels = (section.minutes.meeting.label, section.minutes.label, section.label)
    return max(labels, key=sharing.LABELS.index)


def next_meeting(meeting) -> Meeting | None:
    """The next meeting of the same series, else of the same organiser, still to come."""
    query = Meeting.select().where(
        (Meeting.start > max(meeting.start, utcnow())) & (Meeting.cancelled == False)  # noqa: E712
    )
    if meeting.series_id:
        query = query.where(Meeting.series == meeting.series_id)
    elif meeting.organization_id:
        query = query.where(Meeting.organization == meeting.organization_id)
    else:
        return None
    return query.order_by(Meeting.start, Meeting.id).first()


def carry_targets(item: ActionItem, actor, limit: int = 30) -> list[Meeting]:
    """Meetings still to come that `actor` may see, to carry an action item into (one query)."""
    return list(
        access.visible_meetings(actor)
        .where((Meeting.start > utcnow()) & (Meeting.cancelled == False))  # noqa: E712 (SQL)
        .order_by(Meeting.start, Meeting.id)
        .limit(limit)
    )


def carry_forward(item_id: int, actor, target_id: int | None = None) -> AgendaItem:
    """Put an open action item on the agenda of a later meeting: the one the coordinator chose,
    else the next of its series or organiser."""
    item = open_action_items(actor).where(ActionItem.id == item_id).first()
    if item is None:
        raise NotFound
    context = context_for(item.section.minutes)
    if not context.may(actor, "track"):
        raise NotFound
    if item.carried_to_id:
        raise MinutesError(_l("This action item is already on a later agenda."))
    if target_id:
        target = next((m for m in carry_targets(item, actor) if m.id == target_id), None)
        if target is None:
            raise MinutesError(_l("Please choose a meeting still to come."), "meeting")
    else:
        target = next_meeting(context.meeting)
    target_context = access.load_context(target) if target else None
    if target_context is None or not target_context.visible_to(actor):
        raise MinutesError(_l("There is no later meeting of this series or organiser."))
    section = item.section
    # The new agenda item takes the strictest label of where the action item stands (meeting,
    # minutes, section), and may only go where it reaches nobody the minutes did not.
    source = context.section_audience(section)
    label = max(source.labels, key=sharing.LABELS.index)
    carried = AgendaItem(organization=section.organization_id, label=label)
    if not target_context.item_audience(carried).within(source):
        raise MinutesError(
            _l(
                "This meeting is shared with people these minutes are not shared with. "
                "Please put the action item on its agenda by hand, with a fitting label."
            ),
            "meeting",
        )
    due = item.due_on.isoformat() if item.due_on else "–"
    description = "\n".join(
        [
            _("Action item from the minutes of %(meeting)s.", meeting=context.meeting.title),
            _("Responsible: %(who)s", who=item.responsible or "–")
            + " · "
            + _("Due: %(due)s", due=due),
        ]
    )
    with write_transaction():
        agenda_item = meetings_agenda.add_agenda_item(
            target,
            _("Action item: %(text)s", text=item.text)[:300],
            description,
            section.organization_id,
            label,
            actor,
        )
        # Claimed in the statement that writes: of two clicks at once, one carries it.
        claimed = (
            ActionItem.update(carried_to=agenda_item.id)
            .where((ActionItem.id == item.id) & ActionItem.carried_to.is_null())
            .execute()
        )
        if not claimed:
            raise MinutesError(_l("This action item is already on a later agenda."))
    return agenda_item
