"""Versions of a set of minutes: each save keeps the whole document; readers see and compare
the versions cleared for them."""

import difflib
import json
from dataclasses import dataclass

from peewee import fn

from intranet.core import sharing
from intranet.minutes.access import MinutesContext, sections_with_entries
from intranet.minutes.models import (
    Minutes,
    MinutesVersion,
)
from intranet.platform.errors import NotFound
from intranet.platform.i18n import gettext as _


def new_version(minutes, actor, at, note="") -> MinutesVersion:
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
        for r in sections_with_entries(minutes_id)
    ]


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
    """One version; NotFound unless `account` may see it (like every loader)."""
    version = MinutesVersion.get_or_none(
        (MinutesVersion.minutes == context.minutes.id) & (MinutesVersion.number == number)
    )
    if version is None or not version_visible(context, version, account):
        raise NotFound
    return version


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
