"""Who may see a set of minutes, and how they are loaded: the rule (`MinutesContext.may`,
with minutes.rules), its SQL twin (`visible_clause`, `section_clause`) and the loaders that
apply it (`get_minutes_or_404`, `get_section_or_404`). Every other minutes module builds on
this one and this one imports none of them."""

from dataclasses import dataclass, field

from peewee import JOIN, fn

from intranet.core import audit, sharing, versioning
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.meetings import access as meetings_access
from intranet.meetings.models import Meeting
from intranet.minutes import rules
from intranet.minutes.models import (
    DRAFT,
    RELEASED,
    ActionItem,
    Decision,
    Minutes,
    MinutesSection,
    MinutesVersion,
    MinutesVisit,
)
from intranet.platform.errors import NotFound
from intranet.platform.prepared import Prepared

WORKFLOW = rules.WORKFLOW


class MinutesError(ValueError):
    """A request that cannot be carried out; `field` names the form field it belongs to."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Conflict(MinutesError, versioning.Conflict):
    """Someone else saved the draft after this form was loaded; `current` is their state."""

    def __init__(self, message, current=None):
        super().__init__(message)
        self.current = current


@dataclass
class MinutesContext:
    """A set of minutes with the meeting context its access rule needs."""

    minutes: Minutes
    meeting_context: meetings_access.MeetingContext
    # The sections, read once per context: a page asks which are hidden several times (the
    # placeholders, the approve guard, the reason it is refused). Writes go through `locked`,
    # which makes a fresh context.
    _section_rows: list | None = field(default=None, repr=False, compare=False)
    # Every section as whole rows, once `sections()` has read them: the hidden ones are counted
    # from them, comments find what they are about in them.
    every_section: list | None = field(default=None, repr=False, compare=False)
    # Every decision id in the order they are numbered, once `sections()` has read them.
    decision_ids: list | None = field(default=None, repr=False, compare=False)
    # The audience with the labels it was made for: a page asks for it thirty times and more.
    _audience: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def id(self):
        return self.minutes.id

    @property
    def state(self):
        return self.minutes.state

    @property
    def meeting(self):
        return self.meeting_context.meeting

    @property
    def audience(self) -> sharing.Audience:
        """The meeting's audience, narrowed by the minutes' own label (which names the
        meeting's organisations, organiser and invited, or its persons)."""
        labels = (self.meeting.label, self.minutes.label)
        if self._audience is None or self._audience[0] != labels:
            self._audience = (labels, self.meeting_context.audience.narrowed(self.minutes.label))
        return self._audience[1]

    def section_audience(self, section: MinutesSection) -> sharing.Audience:
        """A section narrows further: its AMBER names its own organisation and the organiser
        (like an agenda item), its RED the persons named on the meeting."""
        organizations = {i for i in (section.organization_id, self.meeting.organization_id) if i}
        return self.audience.narrowed(section.label, organizations)

    def label_allows(self, account) -> bool:
        return self.audience.visible_to(account)

    def may(self, account, action: str) -> bool:
        return rules.may(account, self, action)

    def section_visible(self, account, section: MinutesSection) -> bool:
        return self.may(account, "view") and self.section_audience(section).visible_to(account)

    def in_editorial_circle(self, account) -> bool:
        """Coordinators and reviewers who may read the minutes: they see review notes (a
        return comment, an early-release reason, the reason for taking minutes back)."""
        return account.role in rules.EDITORIAL_ROLES and self.may(account, "view")

    def authored_by(self, account) -> bool:
        """Whether `account` started the minutes or saved any version of them (four eyes:
        such a person never approves them, whatever their role is today)."""
        if self.minutes.created_by_id == account.id:
            return True
        return (
            MinutesVersion.select()
            .where(
                (MinutesVersion.minutes == self.minutes.id) & (MinutesVersion.author == account.id)
            )
            .exists()
        )

    def hidden_section_numbers(self, account) -> list[int]:
        """The numbers of the sections `account` may not read (shown as "TOP n – not cleared")."""
        if self._section_rows is None and self.every_section is not None:
            self._section_rows = self.every_section
        if self._section_rows is None:
            self._section_rows = list(
                MinutesSection.select(
                    MinutesSection.id, MinutesSection.position, MinutesSection.label,
                    MinutesSection.organization,
                ).where(MinutesSection.minutes == self.minutes.id)
            )  # fmt: skip
        rows = self._section_rows
        return sorted(s.position for s in rows if not self.section_audience(s).visible_to(account))


def context_for(minutes: Minutes) -> MinutesContext:
    return MinutesContext(minutes, meetings_access.load_context(minutes.meeting))


def contexts_for(minutes_list) -> dict[int, MinutesContext]:
    """`context_for` for many sets of minutes in two queries: minutes id → context."""
    meetings = meetings_access.load_contexts(minutes.meeting for minutes in minutes_list)
    return {
        minutes.id: MinutesContext(minutes, meetings[minutes.meeting_id])
        for minutes in minutes_list
    }


def seen_since_change(account_id):
    """Whether the account has opened the minutes of the row since their last change (on the
    query's own Minutes): the archive marks the others "new", and the page notes a visit only
    then (minutes.archive.mark_seen), so that reading them again writes nothing."""
    return fn.EXISTS(
        MinutesVisit.select(MinutesVisit.id).where(
            (MinutesVisit.minutes == Minutes.id)
            & (MinutesVisit.account == account_id)
            & (MinutesVisit.seen_at >= Minutes.changed_at)
        )
    )


def _visible_minutes(reader, minutes_id):
    return (
        Minutes.select(
            Minutes, Meeting, Organization, seen_since_change(reader.id).alias("seen_since_change")
        )
        .join(Meeting)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where((Minutes.id == minutes_id) & visible_clause(reader, "view"))
    )


# Every minutes page and fragment loads its minutes through this: compiled once per reader.
VISIBLE_MINUTES = Prepared(_visible_minutes)


def get_minutes_or_404(
    minutes_id: int, for_edit: bool = False, *, account, record_view: bool = True
) -> MinutesContext:
    """Load minutes and check access where they are loaded: not visible → 404, like absent.
    With `for_edit`, only a draft the account may edit is found. A read of restricted minutes
    is noted for the audit log, which writes it once the answer is served
    (core.audit.record_read), unless the route records its own entry (`record_view=False`,
    the PDF export)."""
    minutes = VISIBLE_MINUTES.first(sharing.Reader.of(account), minutes_id=minutes_id)
    if minutes is None:
        audit.not_found("minutes", Minutes, minutes_id, account)
    context = context_for(minutes)
    if not context.may(account, "view"):  # the rule itself, should its SQL twin ever differ
        audit.not_found("minutes", Minutes, minutes_id, account)
    if for_edit and not context.may(account, "edit"):
        raise NotFound
    if record_view:
        audit.record_read("minutes", minutes.id, context.audience.labels, account)
    return context


def record_section_reads(context: MinutesContext, shown_sections, account) -> None:
    """Restricted sections shown inside wider minutes are reads of restricted content too:
    one `minutes_section.viewed` entry each, like a read of restricted minutes."""
    for section in shown_sections:
        labels = context.section_audience(section).labels
        if sharing.RESTRICTED_LABELS.isdisjoint(context.audience.labels):
            audit.record_read("minutes_section", section.id, labels, account)


def _minutes_name_organization(organization_id):
    # The same on the row of the minutes' meeting, which the query joins (see visible_clause).
    return (Meeting.organization == organization_id) | meetings_access.invites(
        Minutes.meeting, organization_id
    )


def _minutes_naming(account_id):
    return meetings_access.names(Minutes.meeting, account_id)


def visible_clause(account, action: str = "view"):
    """The same rule as MinutesContext.may(account, action) for view/list/search, as SQL.
    The query must join Meeting."""
    states = rules.states_for(account.role, action)
    label = sharing.visible_where(
        account,
        Minutes.label,
        Minutes.meeting,
        _minutes_name_organization,
        _minutes_naming,
        row_columns=(Meeting.organization,),
    )
    return Minutes.state.in_(states) & meetings_access.visible_clause(account) & label


def visible_minutes(account, action: str = "list"):
    """Every set of minutes `account` may see, with the meeting joined (one query)."""
    return Minutes.select(Minutes, Meeting).join(Meeting).where(visible_clause(account, action))


def _sections_naming_organization(organization_id):
    # On the section's row and its meeting's, which the query joins: a sub-select of every
    # section naming the organisation read all sections of all years.
    return (MinutesSection.organization == organization_id) | (
        Meeting.organization == organization_id
    )


def _sections_naming_person(account_id):
    return meetings_access.names(Minutes.meeting, account_id)


def section_clause(account):
    """The section's own label (the minutes' rule not included); the query must join the
    section's Minutes and Meeting."""
    return sharing.visible_where(
        account,
        MinutesSection.label,
        MinutesSection.id,
        _sections_naming_organization,
        _sections_naming_person,
        row_columns=(MinutesSection.organization, Minutes.meeting, Meeting.organization),
    )


def section_visibility(account):
    """Whether `account` may see a section (its minutes visible, and its own label), as a
    condition on the rows a query joins: the section, its Minutes and its Meeting. (The two
    rules it joins are each checked in tests/test_compiled.py.)

    Lists of what sections hold (decisions, action items) check it on the rows they read. As
    `Decision.section.in_(<ids of visible sections>)` SQLite looked for every visible section
    again for each set of minutes it read: work that grew with the square of the archive (the
    decision register at ten times the demo's data: 130 ms of SQL)."""
    return visible_clause(account) & section_clause(account)


def visible_sections(account):
    """Every section `account` may see (minutes visible, and the section's own label)."""
    return (
        MinutesSection.select(MinutesSection, Minutes, Meeting)
        .join(Minutes)
        .join(Meeting)
        .where(section_visibility(account))
    )


def _of_meeting(reader, meeting_id):
    return (
        visible_minutes(reader, "view")
        .where(Minutes.meeting == meeting_id)
        .order_by(Minutes.created_at, Minutes.id)
    )


# Every meeting page asks for its minutes: compiled once per reader.
_OF_MEETING = Prepared(_of_meeting)


def current_for_meeting(meeting_id: int, account) -> list[Minutes]:
    """The meeting's minutes and corrections that `account` may see, oldest first."""
    return list(_OF_MEETING.run(sharing.Reader.of(account), meeting_id=meeting_id))


def original_and_corrections(context: MinutesContext, account) -> tuple:
    """The original these minutes correct and the corrections of them, as far as `account`
    may see them (one query): each row with `id`, `state` and `corrects_id`."""
    minutes = context.minutes
    # Only released minutes are corrected, and they never leave that state: for other minutes
    # only the original they correct is looked up, and without one there is no query.
    related = None
    if minutes.state == RELEASED:
        related = (Minutes.meeting == minutes.meeting_id) & (Minutes.corrects == minutes.id)
    if minutes.corrects_id:
        original = Minutes.id == minutes.corrects_id
        related = original if related is None else related | original
    if related is None:
        return None, []
    rows = list(
        Minutes.select(Minutes.id, Minutes.state, Minutes.corrects)
        .join(Meeting)
        .where(visible_clause(account, "view") & related)
        .order_by(Minutes.created_at, Minutes.id)
    )
    original = next((m for m in rows if m.id == minutes.corrects_id), None)
    return original, [m for m in rows if m.corrects_id == minutes.id]


def has_minutes(meeting_id: int) -> bool:
    return Minutes.select().where(Minutes.document_key == ref("meeting", meeting_id)).exists()


def can_start(account, meeting_context) -> bool:
    """Coordinators write the minutes of a meeting they can see (and that took place or is due)."""
    # Whoever may edit a draft may start one.
    return (
        account.is_authenticated
        and rules.allows(account.role, DRAFT, "edit")
        and meeting_context.visible_to(account)
        and not meeting_context.meeting.cancelled
    )


LABEL_RANK = {label: n for n, label in enumerate(sharing.LABELS)}


def sections_with_entries(minutes_id: int, keep=None) -> list[MinutesSection]:
    """The sections of the minutes that `keep(section)` lets through (all without it), each
    with its decisions and action items (three queries)."""
    return _with_entries(_every_section(minutes_id), keep)[0]


def _sections_of(minutes_id):
    return (
        MinutesSection.select()
        .where(MinutesSection.minutes == minutes_id)
        .order_by(MinutesSection.position, MinutesSection.id)
    )


_SECTIONS_OF = Prepared(_sections_of)


def _every_section(minutes_id: int) -> list[MinutesSection]:
    return list(_SECTIONS_OF.run(minutes_id=minutes_id))


def section_ids_of(minutes_id):
    """The ids of every section of the minutes, as a sub-select (a slot may stand for the id)."""
    return MinutesSection.select(MinutesSection.id).where(MinutesSection.minutes == minutes_id)


def _decisions_of(minutes_id):
    return (
        Decision.select()
        .where(Decision.section.in_(section_ids_of(minutes_id)))
        .order_by(Decision.position, Decision.id)
    )


def _action_items_of(minutes_id):
    return (
        ActionItem.select()
        .where(ActionItem.section.in_(section_ids_of(minutes_id)))
        .order_by(ActionItem.id)
    )


# Every decision and action item of one set of minutes, compiled once: the sections' ids as a
# sub-select rather than a list, whose length would change the SQL from minutes to minutes.
_DECISIONS_OF = Prepared(_decisions_of)
_ACTION_ITEMS_OF = Prepared(_action_items_of)


def _with_entries(every: list, keep=None) -> tuple[list, list]:
    """The sections `keep` lets through with their decisions and action items, and the ids of
    every decision in the order they are numbered (by section, then by position): decisions
    of the other sections are read for that order only and are not kept, nor are the other
    sections' action items."""
    rows = every if keep is None else [s for s in every if keep(s)]
    kept = {s.id for s in rows}
    decisions, actions, order = {}, {}, {}
    if every:
        for d in _DECISIONS_OF.run(minutes_id=every[0].minutes_id):
            order.setdefault(d.section_id, []).append(d.id)
            if d.section_id in kept:
                decisions.setdefault(d.section_id, []).append(d)
    if rows:
        for a in _ACTION_ITEMS_OF.run(minutes_id=every[0].minutes_id):
            if a.section_id in kept:
                actions.setdefault(a.section_id, []).append(a)
    for section in rows:
        section.decision_list = decisions.get(section.id, [])
        section.action_list = actions.get(section.id, [])
    return rows, [i for s in every for i in order.get(s.id, [])]


def sections(context: MinutesContext, account) -> list[MinutesSection]:
    """The sections `account` may see, each with its decisions and action items (three
    queries). The context keeps every section and the numbering order of every decision."""
    every = _every_section(context.minutes.id)
    rows, context.decision_ids = _with_entries(
        every, keep=lambda s: context.section_visible(account, s)
    )
    context.every_section = every
    return rows


@dataclass
class HiddenSection:
    """Where a section not cleared for the reader stands, so that numbering never jumps."""

    position: int
    hidden: bool = True


def section_rows(context: MinutesContext, shown: list, account) -> list:
    """The sections `account` reads, with a placeholder for each one hidden from them."""
    rows = shown + [HiddenSection(n) for n in context.hidden_section_numbers(account)]
    return sorted(rows, key=lambda row: row.position)


def get_section_or_404(context, section_id: int, account) -> MinutesSection:
    section = MinutesSection.get_or_none(
        (MinutesSection.id == section_id) & (MinutesSection.minutes == context.minutes.id)
    )
    if section is None or not context.section_visible(account, section):
        raise NotFound
    return section
