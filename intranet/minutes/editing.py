"""Starting and editing a draft: the general text with its frame, sections, decisions and
action items. Every write goes through `locked(context)`, which reads the minutes again
under their lock, so that a check of the state and the write it allows stay together."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import IntegrityError, fn

from intranet.attachments.services import delete_for_owner
from intranet.core import audit, sharing, times, versioning
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.core.workflow import WorkflowError
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings import attendance as meetings_attendance
from intranet.meetings import series as meetings_series
from intranet.meetings.models import MeetingPerson
from intranet.minutes import search_index
from intranet.minutes.access import (
    LABEL_RANK,
    WORKFLOW,
    Conflict,
    MinutesContext,
    MinutesError,
    can_start,
    has_minutes,
)
from intranet.minutes.models import (
    DECISION_RESULTS,
    DRAFT,
    ActionItem,
    Decision,
    DecisionResult,
    Minutes,
    MinutesComment,
    MinutesSection,
)
from intranet.minutes.numbering import number_key
from intranet.minutes.versions import get_version, new_version
from intranet.platform.db import serialized, utcnow
from intranet.platform.errors import NotFound
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.i18n import ngettext


def prefill(meeting) -> str:
    """The first text of new minutes: the template of the meeting's series, if any. The agenda
    is not listed in it: each visible agenda item becomes a section of its own, so the list
    would be a second place for the same items.

    The attendance is not written into the text either: the print view and PDF list it once,
    from the attendance record, and leave it out under the Chatham House Rule; names copied
    into the text could not be left out.
    """
    template = meetings_series.series_template(meeting)
    return template + "\n" if template else ""


def start_minutes(meeting_context, actor) -> Minutes:
    """The meeting's minutes as a draft: text from agenda and attendance, one section per
    visible agenda item (with the item's label), version 1."""
    if not can_start(actor, meeting_context):
        raise MinutesError(_l("You may not start minutes for this meeting."))
    meeting = meeting_context.meeting
    items = meetings_agenda.agenda(meeting, actor, meeting_context.person_ids)
    now = utcnow()
    try:
        minutes = _create_minutes(meeting_context, actor, items, now)
    except IntegrityError:  # someone else started them at the same moment (unique key)
        raise MinutesError(_l("This meeting already has minutes.")) from None
    return minutes


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
            document_key=ref("meeting", meeting.id),
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
        new_version(minutes, actor, now)
        WORKFLOW.record(actor, minutes.id, "start", DRAFT)
        search_index.index_minutes(minutes.id)
        audit.record("minutes.started", target=ref("minutes", minutes.id), actor=actor)
    return minutes


@contextmanager
def locked(context: MinutesContext):
    """The one way to change a set of minutes or what belongs to them: a write transaction
    that runs alone among those on the same minutes, with the minutes read again inside it.

    Every rule about the document's state is checked on the context this yields, so a check
    and the write it allows can never be separated by someone else's step (a section saved
    while the draft is submitted, an objection while it is released)."""
    with serialized(ref("minutes", context.minutes.id)):
        fresh = Minutes.select().where(Minutes.id == context.minutes.id).first()
        if fresh is None:
            raise NotFound
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
        saved_version = new_version(context.minutes, actor, now, note)
        search_index.index_minutes(context.minutes.id)
        audit.record("minutes.saved", target=ref("minutes", context.minutes.id), actor=actor)
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
    for row in meetings_attendance.attendance(context.meeting).values():
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


def _require_edit(context, actor):
    if not context.may(actor, "edit"):
        raise WorkflowError(_l("Only drafts can be edited."))


def _changed(context, actor, note=""):
    """After any change of a draft's sections: note the time, keep the whole document as a
    new version, refresh the index. Inside `locked`."""
    now = utcnow()
    Minutes.update(changed_at=now).where(Minutes.id == context.minutes.id).execute()
    new_version(context.minutes, actor, now, note)
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
        audit.record("minutes.section", target=ref("minutes", context.minutes.id), actor=actor)
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
        audit.record(
            "minutes.section_deleted", target=ref("minutes", context.minutes.id), actor=actor
        )


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
        counted = self.result == DecisionResult.MAJORITY
        return {
            "text": self.text.strip(),
            "result": self.result,
            # Counts belong to a vote by majority only.
            "votes_yes": self.votes_yes if counted else None,
            "votes_no": self.votes_no if counted else None,
            "votes_abstained": self.votes_abstained if counted else None,
        }


RESULT_LABELS = DecisionResult.labels()


def describe_result(decision: Decision) -> str:
    """ "einstimmig", "mit Mehrheit (12 dafür, 3 dagegen, 1 Enthaltung)", … ("" if not stated)."""
    words = str(RESULT_LABELS.get(decision.result, ""))
    counts = (decision.votes_yes, decision.votes_no, decision.votes_abstained)
    if decision.result != DecisionResult.MAJORITY or all(c is None for c in counts):
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
            raise NotFound
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
            raise NotFound
        _changed(current, actor)
