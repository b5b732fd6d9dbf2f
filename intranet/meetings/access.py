"""Who may see a meeting and do what with it: the plain permission functions (unit-tested as
a table), the sharing rule's SQL twin (`visible_clause`, `agenda_item_clause`) and the
loader that applies it (`get_meeting_or_404`). Every other meetings module builds on this
one and this one imports none of them."""

from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, fn

from intranet.core import audit, sharing, versioning
from intranet.core.accounts import Account, Organization
from intranet.meetings import rules
from intranet.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    MeetingState,
)
from intranet.platform.errors import NotFound
from intranet.platform.prepared import Prepared

can_plan = rules.can_plan  # the role rule lives with the workflow; callers keep this name


class MeetingError(ValueError):
    """A request that cannot be carried out; `field` names the form field it belongs to."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Conflict(MeetingError, versioning.Conflict):
    """Someone else saved the meeting after this form was loaded."""


def organizations_named(meeting, invited_ids) -> set[int]:
    """The organisations an AMBER meeting is shared with: the organiser and the invited."""
    ids = set(invited_ids)
    if meeting.organization_id:
        ids.add(meeting.organization_id)
    return ids


def can_answer(account, meeting, invited_ids, person_ids) -> bool:
    """Invited accounts answer: members of an organising or invited organisation, or a person
    named on the meeting; not once it is cancelled or held."""
    if meeting.cancelled or meeting.state == MeetingState.HELD or not account.is_authenticated:
        return False
    if account.id in set(person_ids):
        return True
    return (
        account.organization_id is not None
        and account.organization_id in organizations_named(meeting, invited_ids)
        and meeting.label != sharing.RED
    )


def can_record_attendance(account, meeting) -> bool:
    """Whether the attendance page exists for `account` (the start-time rule comes on top:
    `rules.has_begun`)."""
    return can_plan(account) and not meeting.cancelled


def can_edit_agenda(account, meeting) -> bool:
    return can_plan(account) and not meeting.cancelled


def can_see_agenda_item(account, item, meeting, person_ids) -> bool:
    """An agenda item's own label: AMBER names the presenting and the organising organisation,
    RED the persons named on the meeting (the meeting itself must be visible, too)."""
    organizations = {i for i in (item.organization_id, meeting.organization_id) if i}
    return sharing.can_see(account, item.label, organizations, person_ids)


def invited_meetings(organization_id):
    return MeetingOrganization.select(MeetingOrganization.meeting).where(
        MeetingOrganization.organization == organization_id
    )


def _organising_meetings(organization_id):
    return Meeting.select(Meeting.id).where(Meeting.organization == organization_id)


def named_meetings(account_id):
    return MeetingPerson.select(MeetingPerson.meeting).where(MeetingPerson.account == account_id)


def organization_meetings(organization_id):
    # Aliased so that it can sit inside a query on Meeting itself.
    own = Meeting.alias("own")
    return invited_meetings(organization_id) | own.select(own.id).where(
        own.organization == organization_id
    )


def invites(meeting_column, organization_id):
    """Whether the meeting in `meeting_column` (a column of the row the query looks at, which
    the rule lists among its anchors) invites the organisation: one look-up in the unique
    index (meeting, organisation) for each row asked. `IN (invited_meetings(…))` read every
    invitation of the organisation, of every year, into a list first, whatever the rows."""
    return fn.EXISTS(
        MeetingOrganization.select(MeetingOrganization.id).where(
            (MeetingOrganization.meeting == meeting_column)
            & (MeetingOrganization.organization == organization_id)
        )
    )


def names(meeting_column, account_id):
    """Whether the meeting in `meeting_column` names the account (TLP:RED): like `invites`,
    one look-up in the unique index (meeting, account) for each row asked."""
    return fn.EXISTS(
        MeetingPerson.select(MeetingPerson.id).where(
            (MeetingPerson.meeting == meeting_column) & (MeetingPerson.account == account_id)
        )
    )


def _meeting_names_organization(organization_id):
    """`organization_meetings` on the meeting's own row: organised by the organisation, or
    inviting it. (The sub-select of every meeting it organised was read in full, for every
    year, by each query that asked.)"""
    return (Meeting.organization == organization_id) | invites(Meeting.id, organization_id)


def _meetings_naming(account_id):
    return names(Meeting.id, account_id)


def visible_clause(account):
    """The query must have Meeting itself (not an alias) among its tables."""
    return sharing.visible_where(
        account,
        Meeting.label,
        Meeting.id,
        _meeting_names_organization,
        _meetings_naming,
        row_columns=(Meeting.organization,),
    )


def _agenda_item_names_organization(organization_id):
    # On the item's row and its meeting's, which the query joins: a sub-select of the
    # organisation's agenda items scanned all agenda items of all years.
    return (AgendaItem.organization == organization_id) | (Meeting.organization == organization_id)


def _agenda_items_naming(account_id):
    return names(AgendaItem.meeting, account_id)


def agenda_item_clause(account):
    """The agenda item's own label (the meeting's rule not included); the query must join
    AgendaItem and its Meeting."""
    return sharing.visible_where(
        account,
        AgendaItem.label,
        AgendaItem.id,
        _agenda_item_names_organization,
        _agenda_items_naming,
        row_columns=(AgendaItem.organization, AgendaItem.meeting, Meeting.organization),
    )


def agenda_item_visibility(account):
    """Whether `account` may see an agenda item (the meeting's rule and the item's own label),
    as a condition on the rows a query joins (AgendaItem and its Meeting): checked on the rows
    the query reads, where an `in_` of the ids below looked for them again for every row. (The
    two rules it joins are each checked in tests/test_compiled.py.)"""
    return visible_clause(account) & agenda_item_clause(account)


def visible_agenda_items(account):
    """Ids of the agenda items `account` may see: the meeting's rule and the item's own label
    (the SQL twin of `can_see_agenda_item`)."""
    return AgendaItem.select(AgendaItem.id).join(Meeting).where(agenda_item_visibility(account))


def visible_meetings(account, *fields):
    """Every meeting `account` may see, with the organiser joined (one query)."""
    return (
        Meeting.select(Meeting, Organization, *fields)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where(visible_clause(account))
    )


@dataclass
class MeetingContext:
    """A meeting with what its page, its access check and its feed need."""

    meeting: Meeting
    # The invited organisations with their id, name and short name only (what is shown and
    # checked of them; every meeting and minutes page loads them).
    invited: tuple[Organization, ...] = ()
    persons: tuple[Account, ...] = ()
    # The audience with what it was made of, and the agenda items' by label and organisation:
    # an OParl page asks for them for every agenda item and file of fifty meetings, a meeting
    # page a few dozen times.
    _audience: tuple | None = field(default=None, repr=False, compare=False)
    _item_audiences: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        # Tuples: what the audience was made of is then replaced, never changed in place.
        self.invited, self.persons = tuple(self.invited), tuple(self.persons)

    @property
    def invited_ids(self):
        return [o.id for o in self.invited]

    @property
    def person_ids(self):
        return [a.id for a in self.persons]

    @property
    def organization_ids(self):
        return organizations_named(self.meeting, self.invited_ids)

    @property
    def audience(self) -> sharing.Audience:
        meeting, kept = self.meeting, self._audience
        made_of = (meeting.label, meeting.organization_id, self.invited, self.persons)
        if kept is None or kept[0] != made_of:
            audience = sharing.audience(meeting.label, self.organization_ids, self.person_ids)
            kept = self._audience = (made_of, audience)
        return kept[1]

    def item_audience(self, item) -> sharing.Audience:
        """An agenda item's own label names its presenting and the organising organisation."""
        audience = self.audience
        key = (item.label, item.organization_id)  # all the narrowing depends on
        kept = self._item_audiences.get(key)
        if kept is None or kept[0] is not audience:
            organizations = {i for i in (item.organization_id, self.meeting.organization_id) if i}
            kept = self._item_audiences[key] = (
                audience,
                audience.narrowed(item.label, organizations),
            )
        return kept[1]

    def visible_to(self, account) -> bool:
        return self.audience.visible_to(account)


def _invited(meeting_id):
    return _invited_where(MeetingOrganization.meeting == meeting_id)


def _invited_where(meetings):
    # Each organisation carries its invitation (`.invitation.meeting_id`), for load_contexts.
    return (
        Organization.select(
            Organization.id, Organization.name, Organization.short_name, MeetingOrganization.meeting
        )
        .join(MeetingOrganization, attr="invitation")
        .where(meetings)
        .order_by(Organization.name)
    )


def _named_persons(meeting_id):
    return _named_where(MeetingPerson.meeting == meeting_id)


def _named_where(meetings):
    # Each account carries its naming (`.naming.meeting_id`), for load_contexts.
    return (
        Account.select(Account, Organization, MeetingPerson.meeting)
        .join(MeetingPerson, on=(MeetingPerson.account == Account.id), attr="naming")
        .switch(Account)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(meetings)
        .order_by(Account.display_name)
    )


def _visible_meeting(reader, meeting_id):
    return (
        Meeting.select(Meeting, Organization)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where((Meeting.id == meeting_id) & visible_clause(reader))
    )


# Every meeting and minutes page loads these: compiled once (the meeting per reader), then run.
INVITED = Prepared(_invited)
NAMED_PERSONS = Prepared(_named_persons)
VISIBLE_MEETING = Prepared(_visible_meeting)


def load_context(meeting) -> MeetingContext:
    invited = list(INVITED.run(meeting_id=meeting.id))
    persons = list(NAMED_PERSONS.run(meeting_id=meeting.id))
    return MeetingContext(meeting, invited, persons)


def load_contexts(meetings) -> dict[int, MeetingContext]:
    """`load_context` for many meetings in two queries, however many there are (lists and
    exports that check each meeting's audience): meeting id → context."""
    meetings = {meeting.id: meeting for meeting in meetings}
    invited, persons = defaultdict(list), defaultdict(list)
    if meetings:
        # Rows, not objects: fifty meetings invite the same dozen organisations five hundred
        # times, and each is made once and shared (they are read, never changed, here).
        organizations = {}
        rows = _invited_where(MeetingOrganization.meeting.in_(list(meetings))).tuples()
        for organization_id, name, short_name, meeting_id in rows:
            organization = organizations.get(organization_id)
            if organization is None:
                organization = Organization(
                    __no_default__=True, id=organization_id, name=name, short_name=short_name
                )
                organization._dirty.clear()  # as loaded: nothing to save
                organizations[organization_id] = organization
            invited[meeting_id].append(organization)
        for account in _named_where(MeetingPerson.meeting.in_(list(meetings))):
            persons[account.naming.meeting_id].append(account)
    return {
        meeting_id: MeetingContext(meeting, invited[meeting_id], persons[meeting_id])
        for meeting_id, meeting in meetings.items()
    }


def get_meeting_or_404(meeting_id: int, for_edit: bool = False, *, account) -> MeetingContext:
    """Load a meeting and check access where it is loaded: not visible → 404, like absent.
    A read of a restricted meeting is noted for the audit log, which writes it once the answer
    is served (core.audit.record_read): a calendar file refused later records nothing."""
    meeting = VISIBLE_MEETING.first(sharing.Reader.of(account), meeting_id=meeting_id)
    if meeting is None:
        audit.not_found("meeting", Meeting, meeting_id, account)
    context = load_context(meeting)
    if not context.visible_to(account):  # the rule itself, should its SQL twin ever differ
        audit.not_found("meeting", Meeting, meeting_id, account)
    if for_edit and not can_plan(account):
        raise NotFound
    audit.record_read("meeting", meeting.id, context.audience.labels, account)
    return context
