"""What a page of meetings needs, in a fixed number of queries.

Lists take a fixed number of queries per page: one count, one page, and one `Bundle` that
loads what the page's meetings need (invited organisations, named persons, agenda items,
files, released decisions) in six queries, whatever the number of meetings.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from intranet.attachments import services as attachments
from intranet.core import sharing
from intranet.core.ids import ref
from intranet.meetings import access as meetings_access
from intranet.meetings import files as meeting_files
from intranet.meetings.models import AgendaItem
from intranet.minutes import access
from intranet.minutes.models import RELEASED, Decision, Minutes, MinutesSection
from intranet.oparl.common import exported


@dataclass
class Bundle:
    account: object
    contexts: dict = field(default_factory=dict)  # meeting id -> MeetingContext
    items: dict = field(default_factory=dict)  # meeting id -> exported agenda items, numbered
    item_by_id: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)  # owner key -> attachments.Owner
    files: dict = field(default_factory=dict)  # owner key -> exported attachments
    resolutions: dict = field(default_factory=dict)  # agenda item id -> decisions' text
    # meeting id -> (MinutesContext, strictest label of what its PDF carries for the account)
    protocols: dict = field(default_factory=dict)

    def item_audience(self, item) -> sharing.Audience:
        return self.contexts[item.meeting_id].item_audience(item)

    def _file_labels(self, owner_key: str) -> set:
        owner = self.owners.get(owner_key)
        return {
            label
            for attachment in self.files.get(owner_key, [])
            for label in attachments.audience(attachment, owner).labels
        }

    def item_labels(self, item) -> set:
        """Every label on what an exported agenda item carries: its own chain, its files."""
        return {*self.item_audience(item).labels, *self._file_labels(ref("agenda_item", item.id))}

    def meeting_labels(self, meeting) -> set:
        """Every label on what an exported meeting carries, its agenda items included."""
        labels = {*self.contexts[meeting.id].audience.labels}
        labels |= self._file_labels(ref("meeting", meeting.id))
        if meeting.id in self.protocols:
            labels.add(self.protocols[meeting.id][1])
        for item in self.items[meeting.id]:
            labels |= self.item_labels(item)
        return labels


def bundle(meeting_list, account, *, resolutions=True, protocols=True) -> Bundle:
    """What `meeting_list` exports for `account`. A list that shows neither the agenda items'
    decisions (`resolutions`) nor the meetings' minutes (`protocols`) skips reading them: for
    a page of files they were two thirds of the time."""
    found = Bundle(account)
    meeting_list = [m for m in meeting_list if m is not None]
    if not meeting_list:
        return found
    contexts = meetings_access.load_contexts(meeting_list)
    for meeting in meeting_list:
        context = contexts[meeting.id]
        if context.visible_to(account) and exported(context.audience):
            found.contexts[meeting.id] = context
            found.items[meeting.id] = []

    # Every item of the meetings, so that a TOP has the same number for every reader.
    numbers = defaultdict(int)
    items = (
        AgendaItem.select()
        .where(AgendaItem.meeting.in_(list(found.contexts)))
        .order_by(AgendaItem.meeting, AgendaItem.position, AgendaItem.id)
    )
    for item in items:
        numbers[item.meeting_id] += 1
        item.number = numbers[item.meeting_id]
        context = found.contexts[item.meeting_id]
        if meetings_access.can_see_agenda_item(
            account, item, context.meeting, context.person_ids
        ) and exported(found.item_audience(item)):
            found.items[item.meeting_id].append(item)
            found.item_by_id[item.id] = item

    owners = []
    for meeting_id, context in found.contexts.items():
        if context.audience.leaves_intranet:
            owners.append(meeting_files.context_owner(context, account))
        for item in found.items[meeting_id]:
            if found.item_audience(item).leaves_intranet:
                owners.append(meeting_files.item_owner(item, context, account))
    found.owners = {owner.key: owner for owner in owners}
    for key, files in attachments.for_owners(owners, account).items():
        owner = found.owners[key]
        found.files[key] = [a for a in files if attachments.audience(a, owner).leaves_intranet]

    if resolutions:
        found.resolutions = _resolutions(found, account)
    if protocols:
        found.protocols = _protocols(found, account)
    return found


def _protocols(found: Bundle, account) -> dict:
    """Meeting.resultsProtocol: per meeting, the latest released minutes whose PDF this account
    may take (the minutes' export rule, nothing under RED or AMBER+STRICT up the chain), with
    the strictest label of the PDF's content (two queries, whatever the number of meetings)."""
    rows = (
        access.visible_minutes(account, "export")
        .where((Minutes.state == RELEASED) & Minutes.meeting.in_(list(found.contexts)))
        .order_by(Minutes.released_at, Minutes.id)
    )
    chosen = {}
    for row in rows:
        context = access.MinutesContext(row, found.contexts[row.meeting_id])
        if context.may(account, "export") and context.audience.leaves_intranet:
            chosen[row.meeting_id] = context  # a later release (a correction) replaces
    if not chosen:
        return {}
    labels = {m: set(c.audience.labels) for m, c in chosen.items()}
    # What the PDF carries: the sections the account may read that may leave the intranet.
    sections = access.visible_sections(account).where(
        MinutesSection.minutes.in_([c.minutes.id for c in chosen.values()])
    )
    for section in sections:
        context = chosen[section.minutes.meeting_id]
        if context.section_visible(account, section):
            audience = context.section_audience(section)
            if audience.leaves_intranet:
                labels[section.minutes.meeting_id].add(section.label)
    return {
        meeting_id: (context, max(labels[meeting_id], key=sharing.LABELS.index))
        for meeting_id, context in chosen.items()
    }


def _resolutions(found: Bundle, account) -> dict:
    """AgendaItem.resolutionText: the decisions of the released minutes' section about the
    item, where the account may read that section and its text may leave the intranet. A
    correction released later replaces the original's decisions."""
    item_ids = [
        item.id for item in found.item_by_id.values() if found.item_audience(item).leaves_intranet
    ]
    if not item_ids:
        return {}
    sections = list(
        access.visible_sections(account)
        .where((Minutes.state == RELEASED) & MinutesSection.agenda_item.in_(item_ids))
        .order_by(Minutes.released_at, Minutes.id, MinutesSection.position)
    )
    decisions = defaultdict(list)
    if sections:
        rows = (
            Decision.select()
            .where(Decision.section.in_([s.id for s in sections]))
            .order_by(Decision.position, Decision.id)
        )
        for decision in rows:
            decisions[decision.section_id].append(decision.text)
    chosen = {}  # item id -> (minutes id, texts)
    for section in sections:
        context = found.contexts.get(section.minutes.meeting_id)
        if context is None:
            continue
        minutes_context = access.MinutesContext(section.minutes, context)
        audience = minutes_context.section_audience(section)
        # The minutes' own export rule (released, whole chain may leave), then the section's.
        if not (
            minutes_context.may(account, "export")
            and minutes_context.section_visible(account, section)
            and audience.leaves_intranet
        ):
            continue
        minutes_id, texts = chosen.get(section.agenda_item_id, (None, []))
        if minutes_id != section.minutes.id:
            texts = []  # later released minutes (a correction) replace earlier ones
        chosen[section.agenda_item_id] = (section.minutes.id, texts + decisions[section.id])
    return {item_id: "\n\n".join(texts) for item_id, (_m, texts) in chosen.items() if texts}
