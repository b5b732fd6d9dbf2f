"""Minutes operations and their access rule: routes stay thin, tests call these."""

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from peewee import JOIN, IntegrityError, fn

from intranet.attachments.services import delete_for_owner
from intranet.core import audit, mail, sharing, site_settings, times, versioning
from intranet.core.accounts import Account, Organization
from intranet.core.models import WorkflowEvent
from intranet.core.workflow import WorkflowError
from intranet.directory.csv_io import neutralise
from intranet.directory.search import contains
from intranet.meetings import services as meetings
from intranet.meetings.models import AgendaItem, Meeting, MeetingPerson
from intranet.minutes import mail as notifications
from intranet.minutes import rules, search_index
from intranet.minutes.models import (
    ACTION_STATES,
    CIRCULATING,
    COMMENT_KINDS,
    DECISION_RESULTS,
    DRAFT,
    RELEASED,
    ActionItem,
    Decision,
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
    MinutesVisit,
    ReadConfirmation,
    Signoff,
)
from intranet.platform.db import serialized, utcnow, write_transaction
from intranet.privacy.services import labelled_entry

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


# --- Access ----------------------------------------------------------------------------------------


@dataclass
class MinutesContext:
    """A set of minutes with the meeting context its access rule needs."""

    minutes: Minutes
    meeting_context: meetings.MeetingContext
    # The sections, read once per context: a page asks which are hidden several times (the
    # placeholders, the approve guard, the reason it is refused). Writes go through `locked`,
    # which makes a fresh context.
    _section_rows: list | None = field(default=None, repr=False, compare=False)

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
        return self.meeting_context.audience.narrowed(self.minutes.label)

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
        if self._section_rows is None:
            self._section_rows = list(
                MinutesSection.select(
                    MinutesSection.id, MinutesSection.position, MinutesSection.label,
                    MinutesSection.organization,
                ).where(MinutesSection.minutes == self.minutes.id)
            )  # fmt: skip
        rows = self._section_rows
        return sorted(s.position for s in rows if not self.section_audience(s).visible_to(account))


def document_title(minutes: Minutes) -> str:
    """ "Protokoll: Plenum" or "Berichtigung des Protokolls: Plenum"."""
    title = minutes.meeting.title
    if minutes.corrects_id:
        return _("Correction of the minutes: %(title)s", title=title)
    return _("Minutes: %(title)s", title=title)


def citation(minutes: Minutes) -> str:
    """The number to cite ("2026/07"); a correction cites the original's. Empty if none."""
    number, year = minutes.number, minutes.number_year
    if number is None and minutes.corrects_id:
        original = (
            Minutes.select(Minutes.number, Minutes.number_year)
            .where(Minutes.id == minutes.corrects_id)
            .first()
        )
        number, year = (original.number, original.number_year) if original else (None, None)
    return f"{year}/{number:02d}" if number is not None else ""


def decision_numbers(minutes: Minutes) -> dict:
    """Decision id → its number in the minutes ("2026/07-3"), counted over every decision of
    every section, so a decision keeps its number whoever reads (one query, plus the
    original's number for a correction)."""
    prefix = citation(minutes)
    rows = (
        Decision.select(Decision.id)
        .join(MinutesSection)
        .where(MinutesSection.minutes == minutes.id)
        .order_by(MinutesSection.position, MinutesSection.id, Decision.position, Decision.id)
    )
    return {row.id: f"{prefix}-{n}" if prefix else str(n) for n, row in enumerate(rows, 1)}


def context_for(minutes: Minutes) -> MinutesContext:
    return MinutesContext(minutes, meetings.load_context(minutes.meeting))


def get_minutes_or_404(
    minutes_id: int, for_edit: bool = False, account=None, record_view: bool = True
) -> MinutesContext:
    """Load minutes and check access where they are loaded: not visible → 404, like absent.
    With `for_edit`, only a draft the account may edit is found. A read of restricted minutes
    is noted for the audit log, which writes it once the answer is served
    (core.audit.record_read), unless the route records its own entry (`record_view=False`,
    the PDF export)."""
    account = account or current_user
    minutes = (
        Minutes.select(Minutes, Meeting, Organization)
        .join(Meeting)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where((Minutes.id == minutes_id) & visible_clause(account, "view"))
        .first()
    )
    if minutes is None:
        audit.not_found("minutes", Minutes, minutes_id, account)
    context = context_for(minutes)
    if not context.may(account, "view"):  # the rule itself, should its SQL twin ever differ
        audit.not_found("minutes", Minutes, minutes_id, account)
    if for_edit and not context.may(account, "edit"):
        abort(404)
    if record_view:
        audit.record_read("minutes", minutes.id, context.audience.labels, account)
    return context


def record_section_reads(context: MinutesContext, shown_sections) -> None:
    """Restricted sections shown inside wider minutes are reads of restricted content too:
    one `minutes_section.viewed` entry each, like a read of restricted minutes."""
    for section in shown_sections:
        labels = context.section_audience(section).labels
        if sharing.RESTRICTED_LABELS.isdisjoint(context.audience.labels):
            audit.record_read("minutes_section", section.id, labels, current_user)


def _meeting_ids_of_organization(organization_id):
    return meetings._organization_meetings(organization_id)


def _minutes_name_organization(organization_id):
    # The same on the row of the minutes' meeting, which the query joins (see visible_clause).
    return (Meeting.organization == organization_id) | Minutes.meeting.in_(
        meetings._invited_meetings(organization_id)
    )


def _meeting_ids_naming(account_id):
    return MeetingPerson.select(MeetingPerson.meeting).where(MeetingPerson.account == account_id)


def visible_clause(account, action: str = "view"):
    """The same rule as MinutesContext.may(account, action) for view/list/search, as SQL.
    The query must join Meeting."""
    states = rules.states_for(account.role, action)
    label = sharing.visible_where(
        account,
        Minutes.label,
        Minutes.meeting,
        _minutes_name_organization,
        _meeting_ids_naming,
        row_columns=(Meeting.organization,),
    )
    return Minutes.state.in_(states) & meetings.visible_clause(account) & label


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
    return Minutes.meeting.in_(_meeting_ids_naming(account_id))


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


def visible_sections(account):
    """Every section `account` may see (minutes visible, and the section's own label)."""
    return (
        MinutesSection.select(MinutesSection, Minutes, Meeting)
        .join(Minutes)
        .join(Meeting)
        .where(visible_clause(account) & section_clause(account))
    )


# --- Starting and reading ----------------------------------------------------------------------------


def current_for_meeting(meeting_id: int, account) -> list[Minutes]:
    """The meeting's minutes and corrections that `account` may see, oldest first."""
    return list(
        visible_minutes(account, "view")
        .where(Minutes.meeting == meeting_id)
        .order_by(Minutes.created_at, Minutes.id)
    )


def has_minutes(meeting_id: int) -> bool:
    return Minutes.select().where(Minutes.document_key == f"meeting:{meeting_id}").exists()


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


def prefill(meeting) -> str:
    """The first text of new minutes: the template of the meeting's series, if any. The agenda
    is not listed in it: each visible agenda item becomes a section of its own, so the list
    would be a second place for the same items.

    The attendance is not written into the text either: the print view and PDF list it once,
    from the attendance record, and leave it out under the Chatham House Rule; names copied
    into the text could not be left out.
    """
    template = meetings.series_template(meeting)
    return template + "\n" if template else ""


def start_minutes(meeting_context, actor) -> Minutes:
    """The meeting's minutes as a draft: text from agenda and attendance, one section per
    visible agenda item (with the item's label), version 1."""
    if not can_start(actor, meeting_context):
        raise MinutesError(_l("You may not start minutes for this meeting."))
    meeting = meeting_context.meeting
    items = meetings.agenda(meeting, actor, meeting_context.person_ids)
    now = utcnow()
    try:
        minutes = _create_minutes(meeting_context, actor, items, now)
    except IntegrityError:  # someone else started them at the same moment (unique key)
        raise MinutesError(_l("This meeting already has minutes.")) from None
    return minutes


def number_key(meeting) -> str:
    """What minutes are counted in: the meeting's series, else its organiser, else the forum."""
    if meeting.series_id:
        return f"series:{meeting.series_id}"
    if meeting.organization_id:
        return f"organization:{meeting.organization_id}"
    return "forum"


def _create_minutes(meeting_context, actor, items, now) -> Minutes:
    meeting = meeting_context.meeting
    key, year = number_key(meeting), times.to_local(meeting.start).year
    # Numbers are handed out one at a time per series and year (read the last, then add).
    with serialized(f"minutes-number:{key}:{year}"):
        if has_minutes(meeting.id):
            raise MinutesError(_l("This meeting already has minutes."))
        last = (
            Minutes.select(fn.MAX(Minutes.number))
            .where((Minutes.number_key == key) & (Minutes.number_year == year))
            .scalar()
        )
        minutes = Minutes.create(
            meeting=meeting.id,
            document_key=f"meeting:{meeting.id}",
            number_key=key,
            number_year=year,
            number=(last or 0) + 1,
            label=meeting.label,
            chatham_house=meeting.chatham_house,
            body=prefill(meeting),
            created_by=actor.id,
            created_by_label=actor.display_name,
            created_at=now,
            changed_at=now,
        )
        # A section stands at its item's number, so that a section hidden from a reader shows
        # as "TOP n – not cleared" with the number everyone else sees.
        for item in items:
            MinutesSection.create(
                minutes=minutes,
                agenda_item=item.id,
                position=item.number,
                title=_("Item %(n)s: %(title)s", n=item.number, title=item.title)[:300],
                label=item.label,
                organization=item.organization_id,
            )
        _new_version(minutes, actor, now)
        WORKFLOW.record(actor, minutes.id, "start", DRAFT)
        search_index.index_minutes(minutes.id)
        audit.record("minutes.started", target=f"minutes:{minutes.id}", actor=actor)
    return minutes


def _new_version(minutes, actor, at, note="") -> MinutesVersion:
    """A version of the whole document as it is now in the database: text, label and every
    section with its decisions and action items. Called inside the writing transaction."""
    current = Minutes.select(Minutes.body, Minutes.label).where(Minutes.id == minutes.id).get()
    last = (
        MinutesVersion.select(fn.MAX(MinutesVersion.number))
        .where(MinutesVersion.minutes == minutes.id)
        .scalar()
    )
    return MinutesVersion.create(
        minutes=minutes.id,
        number=(last or 0) + 1,
        body=current.body,
        label=current.label,
        sections=json.dumps(_section_snapshot(minutes.id), ensure_ascii=False),
        author=actor.id,
        author_label=actor.display_name,
        at=at,
        note=note,
    )


def _section_snapshot(minutes_id: int) -> list[dict]:
    """Every section of the minutes as plain data (three queries)."""
    return [
        {
            "id": r.id,
            "position": r.position,
            "title": r.title,
            "label": r.label,
            "organization_id": r.organization_id,
            "text": r.text,
            "decisions": [d.text for d in r.decision_list],
            "action_items": [
                [a.text, a.responsible, a.due_on.isoformat() if a.due_on else ""]
                for a in r.action_list
            ],
        }
        for r in _sections_with_entries(minutes_id)
    ]


def _sections_with_entries(minutes_id: int, keep=None) -> list[MinutesSection]:
    """The sections of the minutes that `keep(section)` lets through (all without it), each
    with its decisions and action items (three queries)."""
    rows = list(
        MinutesSection.select(MinutesSection, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(MinutesSection.minutes == minutes_id)
        .order_by(MinutesSection.position, MinutesSection.id)
    )
    if keep is not None:
        rows = [s for s in rows if keep(s)]
    ids = [s.id for s in rows]
    decisions, actions = {}, {}
    if ids:
        for d in (
            Decision.select()
            .where(Decision.section.in_(ids))
            .order_by(Decision.position, Decision.id)
        ):
            decisions.setdefault(d.section_id, []).append(d)
        for a in ActionItem.select().where(ActionItem.section.in_(ids)).order_by(ActionItem.id):
            actions.setdefault(a.section_id, []).append(a)
    for section in rows:
        section.decision_list = decisions.get(section.id, [])
        section.action_list = actions.get(section.id, [])
    return rows


def sections(context: MinutesContext, account) -> list[MinutesSection]:
    """The sections `account` may see, each with its decisions and action items (three queries)."""
    return _sections_with_entries(
        context.minutes.id, keep=lambda s: context.section_visible(account, s)
    )


@dataclass
class HiddenSection:
    """Where a section not cleared for the reader stands, so that numbering never jumps."""

    position: int
    hidden: bool = True


def section_rows(context: MinutesContext, shown: list, account) -> list:
    """The sections `account` reads, with a placeholder for each one hidden from them."""
    rows = shown + [HiddenSection(n) for n in context.hidden_section_numbers(account)]
    return sorted(rows, key=lambda row: row.position)


def version_audience(context: MinutesContext, version: MinutesVersion) -> sharing.Audience:
    """A version is shown within the narrower of its own audience (the label it was written
    under) and today's: text once written for fewer people never reaches more."""
    return context.audience.narrowed(version.label or sharing.RED)


def version_visible(context: MinutesContext, version: MinutesVersion, account) -> bool:
    return context.may(account, "compare") and version_audience(context, version).visible_to(
        account
    )


def versions(context: MinutesContext, account) -> list[MinutesVersion]:
    """The versions `account` may see and compare, newest first (one query)."""
    if not context.may(account, "compare"):
        return []
    rows = (
        MinutesVersion.select(
            MinutesVersion.id,
            MinutesVersion.number,
            MinutesVersion.label,
            MinutesVersion.at,
            MinutesVersion.author_label,
            MinutesVersion.note,
        )  # fmt: skip
        .where(MinutesVersion.minutes == context.minutes.id)
        .order_by(MinutesVersion.number.desc())
    )
    return [v for v in rows if version_audience(context, v).visible_to(account)]


def get_version(context: MinutesContext, number: int, account) -> MinutesVersion:
    """One version, 404 unless `account` may see it (like every loader)."""
    version = MinutesVersion.get_or_none(
        (MinutesVersion.minutes == context.minutes.id) & (MinutesVersion.number == number)
    )
    if version is None or not version_visible(context, version, account):
        abort(404)
    return version


# --- Comparing versions ------------------------------------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # "same", "removed", "added"
    text: str


def compare(old: str, new: str, context: int = 1) -> list[list[DiffLine]]:
    """The changes from `old` to `new` line by line, grouped into hunks with `context`
    unchanged lines around each change. Empty when the texts are equal."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    hunks = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        lines = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", line) for line in a[i1:i2]]
                continue
            lines += [DiffLine("removed", line) for line in a[i1:i2]]
            lines += [DiffLine("added", line) for line in b[j1:j2]]
        hunks.append(lines)
    return hunks


@dataclass
class SectionDiff:
    number: int
    title: str
    hunks: list
    hidden_in: tuple = ()  # version numbers in which the section is not cleared for the reader


def _section_block(section: dict) -> str:
    """A section of a version as lines to compare: text, decisions, action items."""
    lines = [section["text"].strip()]
    lines += [f"{_('Decision')}: {text}" for text in section["decisions"]]
    for text, responsible, due in section["action_items"]:
        lines.append(f"{_('Action item')}: {text} ({responsible or '–'}, {due or '–'})")
    return "\n".join(line for line in lines if line)


def compare_sections(context, old: MinutesVersion, new: MinutesVersion, account):
    """Per agenda item: what changed between two versions, each side only where the section
    was cleared for `account` in that version (its own label then, under the version's)."""

    def shown(version):
        audience = version_audience(context, version)
        result = {}
        for section in json.loads(version.sections or "[]"):
            organizations = {
                i for i in (section["organization_id"], context.meeting.organization_id) if i
            }
            visible = audience.narrowed(section["label"], organizations).visible_to(account)
            result[section["id"]] = (section, visible)
        return result

    before, after = shown(old), shown(new)
    diffs = []
    for section_id in sorted(
        set(before) | set(after), key=lambda i: (after.get(i) or before[i])[0]["position"]
    ):
        old_section, old_visible = before.get(section_id, (None, True))
        new_section, new_visible = after.get(section_id, (None, True))
        if not (old_visible or new_visible):
            continue
        hidden = tuple(v.number for v, seen in ((old, old_visible), (new, new_visible)) if not seen)
        old_text = _section_block(old_section) if old_section and old_visible else ""
        new_text = _section_block(new_section) if new_section and new_visible else ""
        hunks = [] if hidden else compare(old_text, new_text)
        if hidden or hunks:
            latest = new_section if new_section and new_visible else old_section
            diffs.append(SectionDiff(latest["position"], latest["title"], hunks, hidden))
    return diffs


# --- Editing a draft -----------------------------------------------------------------------------------


@contextmanager
def locked(context: MinutesContext):
    """The one way to change a set of minutes or what belongs to them: a write transaction
    that runs alone among those on the same minutes, with the minutes read again inside it.

    Every rule about the document's state is checked on the context this yields, so a check
    and the write it allows can never be separated by someone else's step (a section saved
    while the draft is submitted, an objection while it is released)."""
    with serialized(f"minutes:{context.minutes.id}"):
        fresh = Minutes.select().where(Minutes.id == context.minutes.id).first()
        if fresh is None:
            abort(404)
        fresh.meeting = context.meeting
        yield MinutesContext(fresh, context.meeting_context)


def check_label(label: str, meeting_context) -> None:
    """The minutes' label names the meeting's organisations and persons (core.sharing)."""
    problem = sharing.label_problem(
        label, meeting_context.organization_ids, meeting_context.person_ids
    )
    if problem:
        raise MinutesError(problem, "label")


def widens(old_label: str, new_label: str) -> bool:
    """Whether changing the label lets more people read (asked for confirmation)."""
    return LABEL_RANK.get(new_label, 99) < LABEL_RANK.get(old_label, 99)


@dataclass
class RecordData:
    """The frame of the Niederschrift as the form delivers it; times local, on the meeting's day."""

    chair: str = ""
    minute_taker: str = ""
    actual_start: dt.time | None = None
    actual_end: dt.time | None = None

    def columns(self, meeting) -> dict:
        day = times.to_local(meeting.start).date()

        def at(value):
            if value is None:
                return None
            return times.to_utc(dt.datetime.combine(day, value), shift_gap=True)

        start, end = at(self.actual_start), at(self.actual_end)
        if start and end and end <= start:
            raise MinutesError(_l("The end must be after the start."), "actual_end")
        return {
            "chair": (self.chair or "").strip(),
            "minute_taker": (self.minute_taker or "").strip(),
            "actual_start": start,
            "actual_end": end,
        }


def save_draft(
    context: MinutesContext, body: str, label: str, chatham_house: bool, version: int, actor,
    note: str = "", confirm_wider: bool = False, record: RecordData | None = None,
) -> Minutes:  # fmt: skip
    """Save the draft as a new version. Raises Conflict when someone else saved in between;
    refuses a wider label unless `confirm_wider` (earlier versions keep their own label)."""
    check_label(label, context.meeting_context)
    body = (body or "").replace("\r\n", "\n")
    frame = record.columns(context.meeting) if record is not None else {}
    now = utcnow()
    with locked(context) as current:
        _require_edit(current, actor)
        if widens(current.minutes.label, label) and not confirm_wider:
            raise MinutesError(
                _l(
                    "The new label lets more people read these minutes. Please confirm that "
                    "everything in the text may be read by them."
                ),
                "label",
            )
        try:
            versioning.update_versioned(
                Minutes,
                context.minutes.id,
                version,
                body=body,
                label=label,
                # Set when the meeting was planned, the rule cannot be lifted by the minutes.
                chatham_house=bool(chatham_house) or context.meeting.chatham_house,
                changed_at=now,
                **frame,
            )
        except versioning.Conflict:
            raise Conflict(
                _l(
                    "Someone else saved these minutes in the meantime. Your text was not saved; it is still in the form. Below you see what differs from the saved version."
                ),
                current=current.minutes,
            ) from None
        saved_version = _new_version(context.minutes, actor, now, note)
        search_index.index_minutes(context.minutes.id)
        audit.record("minutes.saved", target=f"minutes:{context.minutes.id}", actor=actor)
    minutes = Minutes.get_by_id(context.minutes.id)
    # The number people see; `version` itself also counts changes of state (locking).
    minutes.text_version = saved_version.number
    return minutes


def restore_version(context: MinutesContext, number: int, version: int, actor) -> Minutes:
    """An older text comes back as a new version; nothing is lost. It comes back under the
    stricter of its own label and today's, never under a wider one. Sections stay as they
    are (their earlier state can be read in the comparison)."""
    old = get_version(context, number, actor)
    m = context.minutes
    label = max((old.label, m.label), key=lambda code: LABEL_RANK.get(code, 99))
    note = f"restored:{number}"
    return save_draft(context, old.body, label, m.chatham_house, version, actor, note=note)


def names_in_text(context: MinutesContext) -> list[str]:
    """Attendees' names that appear in the text or the sections (for the warning in the
    editor of minutes under the Chatham House Rule)."""
    names = set()
    for row in meetings.attendance(context.meeting).values():
        names |= {n.strip() for n in (row.names or "").replace(";", ",").split(",")}
    names |= {
        a.display_name
        for a in Account.select(Account.display_name)
        .join(MeetingPerson, on=(MeetingPerson.account == Account.id))
        .where(MeetingPerson.meeting == context.meeting.id)
    }
    texts = [context.minutes.body or ""] + [
        s.text or "" for s in MinutesSection.select(MinutesSection.text).where(
            MinutesSection.minutes == context.minutes.id
        )
    ]  # fmt: skip
    text = "\n".join(texts).casefold()
    return sorted(n for n in names if len(n) > 2 and n.casefold() in text)


# --- Sections, decisions, action items -------------------------------------------------------------


def _require_edit(context, actor):
    if not context.may(actor, "edit"):
        raise WorkflowError(_l("Only drafts can be edited."))


def _changed(context, actor, note=""):
    """After any change of a draft's sections: note the time, keep the whole document as a
    new version, refresh the index. Inside `locked`."""
    now = utcnow()
    Minutes.update(changed_at=now).where(Minutes.id == context.minutes.id).execute()
    _new_version(context.minutes, actor, now, note)
    search_index.index_minutes(context.minutes.id)


def _check_section_label(label, organization_id, context):
    """A section's AMBER names its organisation and the organiser, its RED the meeting's persons."""
    problem = sharing.label_problem(
        label,
        (organization_id, context.meeting.organization_id),
        context.meeting_context.person_ids,
    )
    if problem:
        raise MinutesError(problem, "label")


def save_section(
    context, actor, title, text, label, organization_id, section=None, version=None
) -> MinutesSection:
    """Add a section, or save one. The editor names the `version` of the item its form showed:
    when someone else saved the item in between, Conflict is raised (never an overwrite)."""
    _check_section_label(label, organization_id, context)
    columns = {
        "title": title.strip(),
        "text": (text or "").replace("\r\n", "\n"),
        "label": label,
        "organization": organization_id or None,
    }
    with locked(context) as current:
        _require_edit(current, actor)
        if section is None:
            last = (
                MinutesSection.select(fn.MAX(MinutesSection.position))
                .where(MinutesSection.minutes == context.minutes.id)
                .scalar()
            )
            section = MinutesSection.create(
                minutes=context.minutes.id, position=(last or 0) + 1, **columns
            )
        elif version is None:  # a save that does not come from a form someone looked at
            MinutesSection.update(version=MinutesSection.version + 1, **columns).where(
                MinutesSection.id == section.id
            ).execute()
            section = MinutesSection.get_by_id(section.id)
        else:
            try:
                versioning.update_versioned(MinutesSection, section.id, version, **columns)
            except versioning.Conflict:
                raise Conflict(
                    _l(
                        "Someone else saved this agenda item in the meantime. Your text was not saved; it is still in the form. Below you see what differs from the saved text."
                    ),
                    current=MinutesSection.get_by_id(section.id),
                ) from None
            section = MinutesSection.get_by_id(section.id)
        _changed(current, actor)
        audit.record("minutes.section", target=f"minutes:{context.minutes.id}", actor=actor)
    return section


def get_section_or_404(context, section_id: int, account) -> MinutesSection:
    section = MinutesSection.get_or_none(
        (MinutesSection.id == section_id) & (MinutesSection.minutes == context.minutes.id)
    )
    if section is None or not context.section_visible(account, section):
        abort(404)
    return section


def delete_section(context, section, actor):
    with locked(context) as current:
        _require_edit(current, actor)
        if MinutesComment.select().where(MinutesComment.section == section.id).exists():
            # Its comments and objections must stay on record, and must not move to the
            # wider audience of the whole minutes.
            raise MinutesError(_l("This section has comments or objections and stays."))
        search_index.remove_section(section.id)
        delete_for_owner("minutes_section", section.id)
        section.delete_instance(recursive=True)
        _changed(current, actor)
        audit.record("minutes.section_deleted", target=f"minutes:{context.minutes.id}", actor=actor)


@dataclass
class DecisionData:
    """What the decision form delivers: the text and how it was taken."""

    text: str
    result: str = ""
    votes_yes: int | None = None
    votes_no: int | None = None
    votes_abstained: int | None = None

    def columns(self) -> dict:
        if self.result not in DECISION_RESULTS:
            raise MinutesError(_l("Please choose how the decision was taken."), "result")
        counted = self.result == "majority"
        return {
            "text": self.text.strip(),
            "result": self.result,
            # Counts belong to a vote by majority only.
            "votes_yes": self.votes_yes if counted else None,
            "votes_no": self.votes_no if counted else None,
            "votes_abstained": self.votes_abstained if counted else None,
        }


def describe_result(decision: Decision) -> str:
    """ "einstimmig", "mit Mehrheit (12 dafür, 3 dagegen, 1 Enthaltung)", … ("" if not stated)."""
    from intranet.minutes.forms import DECISION_RESULT_LABELS

    words = str(DECISION_RESULT_LABELS.get(decision.result, ""))
    counts = (decision.votes_yes, decision.votes_no, decision.votes_abstained)
    if decision.result != "majority" or all(c is None for c in counts):
        return words
    yes, no, abstained = (c or 0 for c in counts)
    return "{} ({}, {}, {})".format(
        words,
        _("%(n)s in favour", n=yes),
        _("%(n)s against", n=no),
        ngettext("%(num)s abstention", "%(num)s abstentions", abstained),
    )


def add_decision(context, section, data: DecisionData, actor) -> Decision:
    columns = data.columns()
    with locked(context) as current:
        _require_edit(current, actor)
        last = (
            Decision.select(fn.MAX(Decision.position))
            .where(Decision.section == section.id)
            .scalar()
        )
        decision = Decision.create(section=section.id, position=(last or 0) + 1, **columns)
        _changed(current, actor)
    return decision


def update_decision(context, section, decision_id: int, data: DecisionData, actor) -> None:
    """Decisions are edited while the minutes are a draft, like everything in them."""
    columns = data.columns()
    with locked(context) as current:
        _require_edit(current, actor)
        changed = (
            Decision.update(**columns)
            .where((Decision.id == decision_id) & (Decision.section == section.id))
            .execute()
        )
        if not changed:
            abort(404)
        _changed(current, actor)


def add_action_item(context, section, text, responsible, due_on, actor) -> ActionItem:
    with locked(context) as current:
        _require_edit(current, actor)
        item = ActionItem.create(
            section=section.id, text=text.strip(), responsible=(responsible or "").strip(),
            due_on=due_on,
        )  # fmt: skip
        _changed(current, actor)
    return item


def delete_entry(context, section, model, entry_id: int, actor) -> None:
    """Remove a decision or an action item of a section of a draft."""
    with locked(context) as current:
        _require_edit(current, actor)
        deleted = (
            model.delete().where((model.id == entry_id) & (model.section == section.id)).execute()
        )
        if not deleted:
            abort(404)
        _changed(current, actor)


def set_action_state(context, item: ActionItem, state: str, actor) -> None:
    """Open / done: operational tracking, allowed in every state (not part of the frozen text)."""
    if state not in ACTION_STATES or not context.may(actor, "track"):
        raise WorkflowError(_l("You may not take this step."))
    with write_transaction():
        ActionItem.update(state=state).where(ActionItem.id == item.id).execute()
        audit.record(
            "minutes.action_state",
            target=f"minutes:{context.minutes.id}",
            detail=state,
            actor=actor,
        )


# --- Workflow ------------------------------------------------------------------------------------------


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
            & (MinutesComment.kind == "objection")
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
            & (MinutesComment.kind == "objection")
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
            _new_version(correction, actor, now)
            WORKFLOW.record(actor, correction.id, "start_correction", DRAFT)
            WORKFLOW.record(actor, original.id, "corrected", RELEASED, comment=f"#{correction.id}")
            search_index.index_minutes(correction.id)
            audit.record(
                "minutes.correction",
                target=f"minutes:{original.id}",
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


def timeline(context: MinutesContext, account) -> list:
    """The history as `account` may read it: every change of state with who and when, but a
    review note only for the editorial circle and an objection's answer only beside the
    objection."""
    circle = context.in_editorial_circle(account)
    shown = []
    for event in WORKFLOW.history(context.minutes.id):
        if event.action in CIRCLE_ONLY_ACTIONS and not circle:
            continue
        if event.action in QUIET_ACTIONS or (event.action in REVIEW_NOTE_ACTIONS and not circle):
            event.comment = ""
        shown.append(event)
    return shown


def latest_review_note(context: MinutesContext, account):
    """The last return or withdrawal with its reason, for the editorial circle, while the
    minutes are a draft again (shown at the top of the minutes and the editor)."""
    if context.state != DRAFT or not context.in_editorial_circle(account):
        return None
    last = (
        WorkflowEvent.select()
        .where(
            (WorkflowEvent.item_kind == WORKFLOW.kind)
            & (WorkflowEvent.item_id == context.minutes.id)
            & (WorkflowEvent.action.in_(("return", "withdraw", "submit")))
        )
        .order_by(WorkflowEvent.at.desc(), WorkflowEvent.id.desc())
        .first()
    )
    return last if last is not None and last.action != "submit" else None


# --- Comments and objections ------------------------------------------------------------------------


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
        if not current.may(actor, "object" if kind == "objection" else "comment"):
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
        if kind == "objection":
            notifications.notify(
                current, notifications.OBJECTION, notifications.coordination(current), actor
            )
        audit.record(f"minutes.{kind}", target=f"minutes:{context.minutes.id}", actor=actor)
    return comment


def comments(context: MinutesContext, account) -> list[MinutesComment]:
    """The comments and objections `account` may read: on the whole minutes, or on a section
    cleared for them (two queries)."""
    rows = list(
        MinutesComment.select()
        .where(MinutesComment.minutes == context.minutes.id)
        .order_by(MinutesComment.at, MinutesComment.id)
    )
    section_ids = {c.section_id for c in rows if c.section_id}
    sections = {}
    if section_ids:
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
        (c for c in comments(context, actor) if c.id == comment_id and c.kind == "objection"),
        None,
    )
    if objection is None:
        abort(404)  # hidden from the resolver like any item outside their audience
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
            abort(404)
        WORKFLOW.record(actor, context.minutes.id, "resolve", current.state, resolution)
        audit.record("minutes.resolved", target=f"minutes:{context.minutes.id}", actor=actor)


# --- Sign-off per organisation and the release note ----------------------------------------------


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
        audit.record("minutes.consent", target=f"minutes:{context.minutes.id}", actor=actor)


CONSENTED, OBJECTED, SILENT, WAITING = "consented", "objected", "silent", "waiting"


@dataclass
class OrganizationSignoff:
    organization: Organization
    state: str  # CONSENTED, OBJECTED (an objection of one of its members), SILENT, WAITING
    at: dt.datetime | None = None
    resolved: bool = True  # for OBJECTED: every objection of the organisation answered


def signoffs(context: MinutesContext) -> list[OrganizationSignoff]:
    """Per organisation of the meeting: consented (when), objected (answered or not), no answer
    yet, or silent consent once the deadline has passed or the minutes were released (three
    queries)."""
    organizations = list(
        Organization.select()
        .where(Organization.id.in_(list(context.meeting_context.organization_ids) or [0]))
        .order_by(Organization.name)
    )
    given = {
        s.organization_id: s for s in Signoff.select().where(Signoff.minutes == context.minutes.id)
    }
    objections = {}
    for c in MinutesComment.select(MinutesComment.organization, MinutesComment.resolved_at).where(
        (MinutesComment.minutes == context.minutes.id) & (MinutesComment.kind == "objection")
    ):
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
        elif organization.id in given:
            rows.append(OrganizationSignoff(organization, CONSENTED, given[organization.id].at))
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


def release_note(context: MinutesContext, account) -> ReleaseNote | None:
    """For released minutes, as `account` may read it (review notes for the editorial circle,
    objections by their audience)."""
    if context.state != RELEASED:
        return None
    events = WORKFLOW.history(context.minutes.id)
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
        objections=[c for c in comments(context, account) if c.kind == "objection"],
        organizations=signoffs(context),
    )


# --- Read confirmations and visits ------------------------------------------------------------------


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


def mark_seen(minutes, account) -> None:
    now = utcnow()
    MinutesVisit.insert(account=account.id, minutes=minutes.id, seen_at=now).on_conflict(
        conflict_target=[MinutesVisit.account, MinutesVisit.minutes],
        update={MinutesVisit.seen_at: now},
    ).execute()


# --- Archive and action items ------------------------------------------------------------------------


def archive(account, year: int | None = None, organization_id: int | None = None):
    """The archive query: visible minutes, newest meeting first, each with `seen_at` of the
    account's last visit (None: never opened) and whether a released correction exists — one
    query per page, with the columns the list shows."""
    seen = MinutesVisit.select(MinutesVisit.seen_at).where(
        (MinutesVisit.minutes == Minutes.id) & (MinutesVisit.account == account.id)
    )
    correction = Minutes.alias("correction")
    corrected = fn.EXISTS(
        correction.select(correction.id).where(
            (correction.corrects == Minutes.id) & (correction.state == RELEASED)
        )
    )
    # Only the columns a row shows: whole rows carried the minutes' text and forty columns
    # into each list entry, which cost more than the query.
    query = (
        Minutes.select(
            Minutes.id,
            Minutes.corrects,
            Minutes.state,
            Minutes.label,
            Minutes.changed_at,
            Meeting.id,
            Meeting.title,
            Meeting.start,
            Meeting.organization,
            Organization.id,
            Organization.name,
            seen.alias("seen_at"),
            corrected.alias("corrected"),
        )
        .join(Meeting)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where(visible_clause(account, "list"))
        .order_by(Meeting.start.desc(), Minutes.id.desc())
    )
    return _of_year_and_organization(query, year, organization_id)


def _of_year_and_organization(query, year, organization_id):
    """Narrow a query that joins Meeting to meetings of a year (Berlin time) and of an
    organisation (organiser or invited)."""
    if year:
        start = times.to_utc(dt.datetime(year, 1, 1), shift_gap=True)
        end = times.to_utc(dt.datetime(year + 1, 1, 1), shift_gap=True)
        query = query.where((Meeting.start >= start) & (Meeting.start < end))
    if organization_id:
        query = query.where(Meeting.id.in_(_meeting_ids_of_organization(organization_id)))
    return query


def archive_years(account) -> list[int]:
    """The years that hold visible minutes, newest first (one query)."""
    first, last = (
        Minutes.select(fn.MIN(Meeting.start), fn.MAX(Meeting.start))
        .join(Meeting)
        .where(visible_clause(account, "list"))
        .scalar(as_tuple=True)
    )
    if first is None:
        return []
    if isinstance(first, str):  # SQLite hands aggregates back as text
        first, last = (dt.datetime.fromisoformat(v) for v in (first, last))
    return list(range(times.to_local(last).year, times.to_local(first).year - 1, -1))


def is_new(minutes) -> bool:
    seen = getattr(minutes, "seen_at", None)
    if isinstance(seen, str):
        seen = dt.datetime.fromisoformat(seen)
    return seen is None or minutes.changed_at > seen


ACTION_SCOPES = ("all", "mine", "organization")
ACTION_FILTERS = ("open", "overdue", "done")


def open_action_items(account):
    """Open action items of circulating and released minutes the account may see, earliest due
    first (one query)."""
    return action_items(account)


def action_items(account, scope: str = "all", state: str = "open"):
    """Action items of circulating and released minutes the account may see (one query):
    `scope` all, "mine" (the account is named as responsible) or "organization" (its
    organisation is); `state` open, overdue (open and past due) or done."""
    visible = visible_sections(account).select(MinutesSection.id)
    query = (
        ActionItem.select(ActionItem, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where(Minutes.state.in_((CIRCULATING, RELEASED)) & ActionItem.section.in_(visible))
        .order_by(ActionItem.due_on.asc(nulls="LAST"), Meeting.start, ActionItem.id)
    )
    if state == "done":
        query = query.where(ActionItem.state == "done")
    else:
        query = query.where(ActionItem.state == "open")
        if state == "overdue":
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
        item.state == "open"
        and item.due_on is not None
        and item.due_on < times.to_local(utcnow()).date()
    )


def strictest_label(item: ActionItem) -> str:
    """The narrowest label over meeting, minutes and section (no query: they are joined)."""
    section = item.section
    labels = (section.minutes.meeting.label, section.minutes.label, section.label)
    return max(labels, key=sharing.LABELS.index)


def decision_register(account, words: str = "", year: int | None = None, organization_id=None):
    """Released decisions the account may read (their section visible), newest meeting first,
    filtered by words in the text, year and organisation (one query per page)."""
    visible = visible_sections(account).select(MinutesSection.id)
    query = (
        Decision.select(Decision, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where((Minutes.state == RELEASED) & Decision.section.in_(visible))
        .order_by(
            Meeting.start.desc(), Minutes.id.desc(), MinutesSection.position, Decision.position
        )
    )
    for word in words.split()[:10]:
        query = query.where(contains(fn.LOWER(Decision.text), word.casefold()))
    return _of_year_and_organization(query, year, organization_id)


def register_numbers(decisions) -> dict:
    """Decision id → number for the decisions of one page of the register (one query per set
    of minutes on the page)."""
    numbers = {}
    for minutes in {d.section.minutes for d in decisions}:
        numbers.update(decision_numbers(minutes))
    return numbers


def decisions_csv(account, decisions) -> str:
    """The register as a spreadsheet file, only decisions whose section may leave the
    intranet; every cell made inert for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [_("Number"), _("Date"), _("Meeting"), _("Agenda item"), _("Decision"), _("Result")]
    )
    numbers = register_numbers(decisions)
    contexts = {}
    for d in decisions:
        minutes = d.section.minutes
        if minutes.id not in contexts:
            contexts[minutes.id] = context_for(minutes)
        if not contexts[minutes.id].section_audience(d.section).leaves_intranet:
            continue
        row = [
            numbers.get(d.id, ""),
            times.to_local(minutes.meeting.start).date().isoformat(),
            minutes.meeting.title,
            d.section.title,
            d.text,
            describe_result(d),
        ]
        writer.writerow([neutralise(str(cell)) for cell in row])
    return "\ufeff" + out.getvalue()


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
        meetings.visible_meetings(actor)
        .where((Meeting.start > utcnow()) & (Meeting.cancelled == False))  # noqa: E712 (SQL)
        .order_by(Meeting.start, Meeting.id)
        .limit(limit)
    )


def carry_forward(item_id: int, actor, target_id: int | None = None) -> AgendaItem:
    """Put an open action item on the agenda of a later meeting: the one the coordinator chose,
    else the next of its series or organiser."""
    item = open_action_items(actor).where(ActionItem.id == item_id).first()
    if item is None:
        abort(404)
    context = context_for(item.section.minutes)
    if not context.may(actor, "track"):
        abort(404)
    if item.carried_to_id:
        raise MinutesError(_l("This action item is already on a later agenda."))
    if target_id:
        target = next((m for m in carry_targets(item, actor) if m.id == target_id), None)
        if target is None:
            raise MinutesError(_l("Please choose a meeting still to come."), "meeting")
    else:
        target = next_meeting(context.meeting)
    target_context = meetings.load_context(target) if target else None
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
        agenda_item = meetings.add_agenda_item(
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


# --- Erasure (DSGVO Art. 17) and access export (Art. 15) ---------------------------------------------


def pseudonymise(account, pseudonym: str, **_ignored):
    """Minutes are kept for the record: the account's links become its pseudonym."""
    Minutes.update(created_by=None, created_by_label=pseudonym).where(
        Minutes.created_by == account.id
    ).execute()
    MinutesVersion.update(author=None, author_label=pseudonym).where(
        MinutesVersion.author == account.id
    ).execute()
    MinutesComment.update(author=None, author_label=pseudonym).where(
        MinutesComment.author == account.id
    ).execute()
    MinutesComment.update(resolved_by=None, resolved_by_label=pseudonym).where(
        MinutesComment.resolved_by == account.id
    ).execute()
    ReadConfirmation.update(account=None, account_label=pseudonym).where(
        ReadConfirmation.account == account.id
    ).execute()
    Signoff.update(account=None, account_label=pseudonym).where(
        Signoff.account == account.id
    ).execute()
    MinutesVisit.delete().where(MinutesVisit.account == account.id).execute()


def export_minutes_data(person, account=None, viewer=None, **_ignored):
    """What the minutes keep about the person's account (not the text itself, which is the
    forum's record): comments and objections, read confirmations, versions saved.

    A comment's text appears only when `viewer` (the exporting admin) may read those minutes
    and they may leave the intranet (never RED, never AMBER+STRICT); otherwise id, time and
    label only, like the calendar's entries.
    """
    if account is None:
        return {}
    written = list(
        MinutesComment.select(MinutesComment, Minutes)
        .join(Minutes)
        .where(MinutesComment.author == account.id)
        .order_by(MinutesComment.at)
    )
    confirmed = ReadConfirmation.select().where(ReadConfirmation.account == account.id)
    readable = set()
    if viewer is not None and written:
        # The same audience as on the page (a section's comment: that section's), and only
        # what may leave the intranet (never RED, never AMBER+STRICT up the chain).
        contexts = {}
        for c in written:
            if c.minutes_id not in contexts:
                contexts[c.minutes_id] = context_for(Minutes.get_by_id(c.minutes_id))
            context = contexts[c.minutes_id]
            section = MinutesSection.get_or_none(MinutesSection.id == c.section_id)
            audience = comment_audience(context, section)
            if (
                context.may(viewer, "view")
                and audience.visible_to(viewer)
                and audience.leaves_intranet
            ):
                readable.add(c.id)
    return {
        "minutes_comments": [
            labelled_entry(
                c.id in readable,
                {
                    "minutes_id": c.minutes_id,
                    "label": c.minutes.label,
                    "kind": c.kind,
                    "at_utc": c.at.isoformat(),
                },
                {"text": c.text},
            )
            for c in written
        ],
        "minutes_read_confirmations": [
            {"minutes_id": c.minutes_id, "at_utc": c.at.isoformat()} for c in confirmed
        ],
        "minutes_versions_saved": MinutesVersion.select()
        .where(MinutesVersion.author == account.id)
        .count(),
    }
