"""Minutes operations and their access rule: routes stay thin, tests call these."""

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass, field

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN, IntegrityError, fn

from intranet.auth.models import Account, Organization
from intranet.core import audit, sharing, site_settings, versioning
from intranet.core.signals import account_erasing
from intranet.core.workflow import WorkflowError
from intranet.db import utcnow, write_transaction
from intranet.meetings import services as meetings
from intranet.meetings import times
from intranet.meetings.models import AgendaItem, Meeting, MeetingPerson
from intranet.minutes import rules, search_provider
from intranet.minutes.models import (
    ACTION_STATES,
    CIRCULATING,
    COMMENT_KINDS,
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
)
from intranet.privacy.services import labelled_entry, personal_data_export

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


def document_title(minutes: Minutes) -> str:
    """ "Protokoll: Plenum" or "Berichtigung des Protokolls: Plenum"."""
    title = minutes.meeting.title
    if minutes.corrects_id:
        return _("Correction of the minutes: %(title)s", title=title)
    return _("Minutes: %(title)s", title=title)


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


def _meeting_ids_of_organization(organization_id):
    return meetings._organization_meetings(organization_id)


def _meeting_ids_naming(account_id):
    return MeetingPerson.select(MeetingPerson.meeting).where(MeetingPerson.account == account_id)


def visible_clause(account, action: str = "view"):
    """The same rule as MinutesContext.may(account, action) for view/list/search, as SQL.
    The query must join Meeting."""
    states = rules.states_for(account.role, action)
    label = sharing.visible_where(
        account, Minutes.label, Minutes.meeting, _meeting_ids_of_organization, _meeting_ids_naming
    )
    return Minutes.state.in_(states) & meetings.visible_clause(account) & label


def visible_minutes(account, action: str = "list"):
    """Every set of minutes `account` may see, with the meeting joined (one query)."""
    return Minutes.select(Minutes, Meeting).join(Meeting).where(visible_clause(account, action))


def _sections_naming_organization(organization_id):
    section, minutes, meeting = (
        MinutesSection.alias("s_org"),
        Minutes.alias("m_org"),
        Meeting.alias("mt_org"),
    )
    return (
        section.select(section.id)
        .join(minutes, on=(section.minutes == minutes.id))
        .join(meeting, on=(minutes.meeting == meeting.id))
        .where(
            (section.organization == organization_id) | (meeting.organization == organization_id)
        )
    )


def _sections_naming_person(account_id):
    section, minutes = MinutesSection.alias("s_per"), Minutes.alias("m_per")
    return (
        section.select(section.id)
        .join(minutes, on=(section.minutes == minutes.id))
        .where(minutes.meeting.in_(_meeting_ids_naming(account_id)))
    )


def visible_sections(account):
    """Every section `account` may see (minutes visible, and the section's own label)."""
    label = sharing.visible_where(
        account,
        MinutesSection.label,
        MinutesSection.id,
        _sections_naming_organization,
        _sections_naming_person,
    )
    return (
        MinutesSection.select(MinutesSection, Minutes, Meeting)
        .join(Minutes)
        .join(Meeting)
        .where(visible_clause(account) & label)
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


def prefill(meeting_context, account, label: str) -> str:
    """A first text from the agenda items the author sees and the recorded attendance.
    Items narrower than the minutes' label stay out of the body (they get their own section)."""
    meeting = meeting_context.meeting
    # Level-3 headings: the page's own text section is level 2 (render_markdown maps # and ##
    # below it, to h3 and h4).
    lines = []
    attendance = meetings.attendance(meeting)
    if attendance:
        lines += [f"### {_('Attendance')}", ""]
        labels = {"present": _("present"), "excused": _("excused"), "absent": _("not represented")}
        for row in attendance.values():
            names = f" ({row.names})" if row.names else ""
            lines.append(f"- {row.organization.name}: {labels[row.status]}{names}")
        lines.append("")
    items = meetings.agenda(meeting, account, meeting_context.person_ids)
    shown = [i for i in items if LABEL_RANK.get(i.label, 99) <= LABEL_RANK[label]]
    if shown:
        lines += [f"### {_('Agenda')}", ""]
        for number, item in enumerate(shown, 1):
            lines.append(f"{number}. {item.title}")
        lines.append("")
    return "\n".join(lines)


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
    audit.record("minutes.started", target=f"minutes:{minutes.id}", actor=actor)
    return minutes


def _create_minutes(meeting_context, actor, items, now) -> Minutes:
    meeting = meeting_context.meeting
    with write_transaction():
        if has_minutes(meeting.id):
            raise MinutesError(_l("This meeting already has minutes."))
        minutes = Minutes.create(
            meeting=meeting.id,
            document_key=f"meeting:{meeting.id}",
            label=meeting.label,
            body=prefill(meeting_context, actor, meeting.label),
            created_by=actor.id,
            created_by_label=actor.display_name,
            created_at=now,
            changed_at=now,
        )
        _new_version(minutes, minutes.body, actor, now)
        for number, item in enumerate(items, 1):
            MinutesSection.create(
                minutes=minutes,
                agenda_item=item.id,
                position=number,
                title=_("Item %(n)s: %(title)s", n=number, title=item.title)[:300],
                label=item.label,
                organization=item.organization_id,
            )
        WORKFLOW.record(actor, minutes.id, "start", DRAFT)
        search_provider.index_minutes(minutes.id)
    return minutes


def _new_version(minutes, body, actor, at, note="") -> MinutesVersion:
    last = (
        MinutesVersion.select(fn.MAX(MinutesVersion.number))
        .where(MinutesVersion.minutes == minutes.id)
        .scalar()
    )
    return MinutesVersion.create(
        minutes=minutes.id,
        number=(last or 0) + 1,
        body=body,
        author=actor.id,
        author_label=actor.display_name,
        at=at,
        note=note,
    )


def sections(context: MinutesContext, account) -> list[MinutesSection]:
    """The sections `account` may see, each with its decisions and action items (three queries)."""
    rows = list(
        MinutesSection.select(MinutesSection, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(MinutesSection.minutes == context.minutes.id)
        .order_by(MinutesSection.position, MinutesSection.id)
    )
    rows = [s for s in rows if context.section_visible(account, s)]
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


def versions(minutes) -> list[MinutesVersion]:
    return list(
        MinutesVersion.select()
        .where(MinutesVersion.minutes == minutes.id)
        .order_by(MinutesVersion.number.desc())
    )


def get_version(minutes, number: int) -> MinutesVersion:
    version = MinutesVersion.get_or_none(
        (MinutesVersion.minutes == minutes.id) & (MinutesVersion.number == number)
    )
    if version is None:
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


# --- Editing a draft -----------------------------------------------------------------------------------


def check_label(label: str, meeting_context) -> None:
    if label not in sharing.LABELS:
        raise MinutesError(_l("Please choose a sharing label."), "label")
    if label in sharing.ORGANIZATION_LABELS and not meeting_context.organization_ids:
        raise MinutesError(
            _l("TLP:AMBER needs a meeting with an organiser or invited organisations."), "label"
        )
    if label == sharing.RED and not meeting_context.person_ids:
        raise MinutesError(_l("TLP:RED needs a meeting with persons named on it."), "label")


def save_draft(
    context: MinutesContext, body: str, label: str, chatham_house: bool, version: int, actor,
    note: str = "",
) -> Minutes:  # fmt: skip
    """Save the draft as a new version. Raises Conflict when someone else saved in between."""
    if not context.may(actor, "edit"):
        raise WorkflowError(_l("Only drafts can be edited."))
    check_label(label, context.meeting_context)
    body = (body or "").replace("\r\n", "\n")
    now = utcnow()
    with write_transaction():
        try:
            versioning.update_versioned(
                Minutes,
                context.minutes.id,
                version,
                body=body,
                label=label,
                chatham_house=bool(chatham_house),
                changed_at=now,
            )
        except versioning.Conflict:
            current = Minutes.get_by_id(context.minutes.id)
            if current.state != DRAFT:
                raise WorkflowError(_l("These minutes are no longer a draft.")) from None
            raise Conflict(
                _l(
                    "Someone else saved these minutes in the meantime. Your text was not saved; it is still in the form. Below you see what differs from the saved version."
                ),
                current=current,
            ) from None
        saved_version = _new_version(context.minutes, body, actor, now, note)
        search_provider.index_minutes(context.minutes.id)
    audit.record("minutes.saved", target=f"minutes:{context.minutes.id}", actor=actor)
    minutes = Minutes.get_by_id(context.minutes.id)
    # The number people see; `version` itself also counts changes of state (locking).
    minutes.text_version = saved_version.number
    return minutes


def restore_version(context: MinutesContext, number: int, version: int, actor) -> Minutes:
    """An older text comes back as a new version; nothing is lost."""
    old = get_version(context.minutes, number)
    m = context.minutes
    note = f"restored:{number}"
    return save_draft(context, old.body, m.label, m.chatham_house, version, actor, note=note)


# --- Sections, decisions, action items -------------------------------------------------------------


def _require_edit(context, actor):
    if not context.may(actor, "edit"):
        raise WorkflowError(_l("Only drafts can be edited."))


def _touch(minutes_id: int):
    """After any change of a draft's text or sections: note the time, refresh the index."""
    Minutes.update(changed_at=utcnow()).where(Minutes.id == minutes_id).execute()
    search_provider.index_minutes(minutes_id)


def _check_section_label(label, organization_id, context):
    if label not in sharing.LABELS:
        raise MinutesError(_l("Please choose a sharing label."), "label")
    if label in sharing.ORGANIZATION_LABELS and not (
        organization_id or context.meeting.organization_id
    ):
        raise MinutesError(_l("TLP:AMBER needs an organisation for this section."), "label")
    if label == sharing.RED and not context.meeting_context.person_ids:
        raise MinutesError(_l("TLP:RED needs a meeting with persons named on it."), "label")


def save_section(context, actor, title, text, label, organization_id, section=None):
    _require_edit(context, actor)
    _check_section_label(label, organization_id, context)
    with write_transaction():
        if section is None:
            last = (
                MinutesSection.select(fn.MAX(MinutesSection.position))
                .where(MinutesSection.minutes == context.minutes.id)
                .scalar()
            )
            section = MinutesSection(minutes=context.minutes.id, position=(last or 0) + 1)
        section.title = title.strip()
        section.text = (text or "").replace("\r\n", "\n")
        section.label = label
        section.organization = organization_id or None
        section.save()
        _touch(context.minutes.id)
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
    _require_edit(context, actor)
    with write_transaction():
        search_provider.remove_section(section.id)
        section.delete_instance(recursive=True)
        _touch(context.minutes.id)
    audit.record("minutes.section_deleted", target=f"minutes:{context.minutes.id}", actor=actor)


def add_decision(context, section, text, actor) -> Decision:
    _require_edit(context, actor)
    with write_transaction():
        last = (
            Decision.select(fn.MAX(Decision.position))
            .where(Decision.section == section.id)
            .scalar()
        )
        decision = Decision.create(section=section.id, position=(last or 0) + 1, text=text.strip())
        _touch(context.minutes.id)
    return decision


def add_action_item(context, section, text, responsible, due_on, actor) -> ActionItem:
    _require_edit(context, actor)
    with write_transaction():
        item = ActionItem.create(
            section=section.id, text=text.strip(), responsible=(responsible or "").strip(),
            due_on=due_on,
        )  # fmt: skip
        _touch(context.minutes.id)
    return item


def delete_entry(context, section, model, entry_id: int, actor) -> None:
    """Remove a decision or an action item of a section of a draft."""
    _require_edit(context, actor)
    with write_transaction():
        deleted = (
            model.delete().where((model.id == entry_id) & (model.section == section.id)).execute()
        )
        if not deleted:
            abort(404)
        _touch(context.minutes.id)


def set_action_state(context, item: ActionItem, state: str, actor) -> None:
    """Open / done: operational tracking, allowed in every state (not part of the frozen text)."""
    if state not in ACTION_STATES or not context.may(actor, "track"):
        raise WorkflowError(_l("You may not take this step."))
    ActionItem.update(state=state).where(ActionItem.id == item.id).execute()
    audit.record(
        "minutes.action_state", target=f"minutes:{context.minutes.id}", detail=state, actor=actor
    )


# --- Workflow ------------------------------------------------------------------------------------------


def _bump():
    # Every change of state also raises the version: an open edit form then cannot save.
    return {Minutes.version: Minutes.version + 1, Minutes.changed_at: utcnow()}


def submit(context, actor, comment=""):
    return WORKFLOW.apply(actor, context, "submit", comment, _bump())


def approve(context, actor, comment=""):
    """Approved by the reviewer: circulated with the objection period."""
    days = site_settings.minutes_objection_days()
    today = times.to_local(utcnow()).date()
    # The period runs to the end of its last day, Berlin time.
    last_day = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(23, 59, 59))
    changes = {**_bump(), Minutes.objection_deadline: times.to_utc(last_day, shift_gap=True)}
    return WORKFLOW.apply(actor, context, "approve", comment, changes)


def return_to_draft(context, actor, comment):
    return WORKFLOW.apply(actor, context, "return", comment, _bump())


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


def release(context, actor, comment=""):
    """Freeze the minutes. Open objections block it; before the objection period ends a
    reason is needed (the workflow asks for it)."""
    allowed = context.state == CIRCULATING and context.may(actor, "release")
    if allowed and open_objections(context.minutes):
        raise WorkflowError(_l("An open objection blocks the release. Please resolve it first."))
    text = canonical_text(context.minutes)
    changes = {
        **_bump(),
        Minutes.released_at: utcnow(),
        Minutes.released_text: text,
        Minutes.released_sha256: hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    return WORKFLOW.apply(actor, context, "release", comment, changes)


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
            _new_version(correction, correction.body, actor, now)
            # Action items stay with the original: they are tracked there, not corrected.
            for section in MinutesSection.select().where(MinutesSection.minutes == original.id):
                copy = MinutesSection.create(
                    minutes=correction, agenda_item=section.agenda_item_id, position=section.position,
                    title=section.title, label=section.label, organization=section.organization_id,
                    text=section.text,
                )  # fmt: skip
                for d in section.decisions:
                    Decision.create(section=copy, position=d.position, text=d.text)
            WORKFLOW.record(actor, correction.id, "start_correction", DRAFT)
            WORKFLOW.record(actor, original.id, "corrected", RELEASED, comment=f"#{correction.id}")
            search_provider.index_minutes(correction.id)
    except IntegrityError:  # a second correction started at the same moment
        raise MinutesError(_l("A correction of these minutes already exists.")) from None
    audit.record(
        "minutes.correction",
        target=f"minutes:{original.id}",
        detail=f"{correction.id}",
        actor=actor,
    )
    return correction


def timeline(minutes):
    return WORKFLOW.history(minutes.id)


# --- Comments and objections ------------------------------------------------------------------------


def add_comment(context, kind: str, text: str, actor) -> MinutesComment:
    if kind not in COMMENT_KINDS:
        raise MinutesError(_l("Please choose comment or objection."))
    if not context.may(actor, "object" if kind == "objection" else "comment"):
        raise WorkflowError(_l("Comments and objections are possible only while in circulation."))
    if not text.strip():
        raise MinutesError(_l("Please write your comment."), "text")
    comment = MinutesComment.create(
        minutes=context.minutes.id,
        kind=kind,
        text=text.strip(),
        author=actor.id,
        author_label=actor.display_name,
        organization=actor.organization_id,
    )
    Minutes.update(changed_at=utcnow()).where(Minutes.id == context.minutes.id).execute()
    audit.record(f"minutes.{kind}", target=f"minutes:{context.minutes.id}", actor=actor)
    return comment


def comments(minutes) -> list[MinutesComment]:
    return list(
        MinutesComment.select()
        .where(MinutesComment.minutes == minutes.id)
        .order_by(MinutesComment.at, MinutesComment.id)
    )


def resolve_objection(context, comment_id: int, resolution: str, actor) -> None:
    if not context.may(actor, "resolve"):
        raise WorkflowError(_l("You may not take this step."))
    if not resolution.strip():
        raise MinutesError(_l("Please say how the objection was resolved."), "resolution")
    with write_transaction():
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
                & (MinutesComment.kind == "objection")
                & MinutesComment.resolved_at.is_null()
            )
            .execute()
        )
        if not changed:
            abort(404)
        WORKFLOW.record(actor, context.minutes.id, "resolve", context.state, resolution)
    audit.record("minutes.resolved", target=f"minutes:{context.minutes.id}", actor=actor)


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
    """Per organisation: who of those cleared to read has confirmed, and who has not
    (two queries, whatever the number of accounts)."""
    accounts = list(
        Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(Account.active == True)  # noqa: E712 (SQL)
        .order_by(Account.display_name)
    )
    confirmations = list(
        ReadConfirmation.select(ReadConfirmation, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(ReadConfirmation.minutes == context.minutes.id)
        .order_by(ReadConfirmation.account_label)
    )
    rows: dict = {}

    def row(organization):
        key = organization.id if organization else None
        if key not in rows:
            rows[key] = OrganizationConfirmations(organization)
        return rows[key]

    confirmed_ids = set()
    names = {a.id: a.display_name for a in accounts}
    for c in confirmations:
        confirmed_ids.add(c.account_id)
        row(c.organization if c.organization_id else None).confirmed.append(
            names.get(c.account_id, c.account_label)
        )
    for account in accounts:
        if account.id not in confirmed_ids and context.may(account, "view"):
            row(account.organization if account.organization_id else None).missing.append(
                account.display_name
            )
    return sorted(
        rows.values(),
        key=lambda r: (r.organization is None, r.organization.name if r.organization else ""),
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
    account's last visit (None: never opened) — one query per page."""
    seen = MinutesVisit.select(MinutesVisit.seen_at).where(
        (MinutesVisit.minutes == Minutes.id) & (MinutesVisit.account == account.id)
    )
    query = (
        Minutes.select(Minutes, Meeting, Organization, seen.alias("seen_at"))
        .join(Meeting)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where(visible_clause(account, "list"))
        .order_by(Meeting.start.desc(), Minutes.id.desc())
    )
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


def open_action_items(account):
    """Open action items of circulating and released minutes the account may see, earliest due
    first (one query)."""
    visible = visible_sections(account).select(MinutesSection.id)
    return (
        ActionItem.select(ActionItem, MinutesSection, Minutes, Meeting)
        .join(MinutesSection)
        .join(Minutes)
        .join(Meeting)
        .where(
            (ActionItem.state == "open")
            & Minutes.state.in_((CIRCULATING, RELEASED))
            & ActionItem.section.in_(visible)
        )
        .order_by(ActionItem.due_on.asc(nulls="LAST"), Meeting.start, ActionItem.id)
    )


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


def carry_forward(item_id: int, actor) -> AgendaItem:
    """Put an open action item on the agenda of the next meeting of its series or organiser."""
    item = open_action_items(actor).where(ActionItem.id == item_id).first()
    if item is None:
        abort(404)
    context = context_for(item.section.minutes)
    if not context.may(actor, "track"):
        abort(404)
    if item.carried_to_id:
        raise MinutesError(_l("This action item is already on a later agenda."))
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
                "The next meeting is shared with people these minutes are not shared with. "
                "Please put the action item on its agenda by hand, with a fitting label."
            )
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
        ActionItem.update(carried_to=agenda_item.id).where(ActionItem.id == item.id).execute()
    return agenda_item


# --- Erasure (DSGVO Art. 17) and access export (Art. 15) ---------------------------------------------


@account_erasing.connect
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
    MinutesVisit.delete().where(MinutesVisit.account == account.id).execute()


@personal_data_export.connect
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
        readable = {
            row.id
            for row in Minutes.select(Minutes.id)
            .join(Meeting)
            .where(
                Minutes.id.in_({c.minutes_id for c in written})
                & visible_clause(viewer, "view")
                & Minutes.label.in_([sharing.CLEAR, sharing.GREEN, sharing.AMBER])
            )
        }
    return {
        "minutes_comments": [
            labelled_entry(
                c.minutes_id in readable,
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
