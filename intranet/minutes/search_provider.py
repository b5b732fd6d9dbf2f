"""Minutes in the site search: the text of each set of minutes, and each agenda-item section
with its decisions and action items as an item of its own, since a section may be shared
more narrowly than the minutes around it."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from intranet.core import fulltext
from intranet.core.search import (
    HITS_PER_KIND,
    Hit,
    Provider,
    ProviderResults,
    Terms,
    register_provider,
)
from intranet.meetings.models import Meeting
from intranet.minutes import access, numbering, rules
from intranet.minutes.models import ActionItem, Decision, Minutes, MinutesSection
from intranet.platform.filters import local_time

KIND = "minutes"
SECTION_KIND = "minutes_section"
LIMIT = HITS_PER_KIND


def section_text(section: MinutesSection) -> str:
    decisions = [
        d.text for d in Decision.select(Decision.text).where(Decision.section == section.id)
    ]
    actions = [
        a.text for a in ActionItem.select(ActionItem.text).where(ActionItem.section == section.id)
    ]
    return "\n".join([section.text or "", *decisions, *actions])


def index_minutes(minutes_id: int) -> None:
    """Index the text of one set of minutes and every section it has now."""
    minutes = Minutes.select(Minutes, Meeting).join(Meeting).where(Minutes.id == minutes_id).get()
    fulltext.index(KIND, minutes.id, minutes.meeting.title, minutes.body)
    for section in MinutesSection.select().where(MinutesSection.minutes == minutes_id):
        fulltext.index(SECTION_KIND, section.id, section.title, section_text(section))


def remove_section(section_id: int) -> None:
    fulltext.remove(SECTION_KIND, section_id)


def _detail(minutes: Minutes, meeting: Meeting) -> str:
    return f"{local_time(meeting.start)} · {rules.STATE_LABELS[minutes.state]}"


def _join_minutes(query, item_id):
    return query.join(Minutes, on=(Minutes.id == item_id)).join(Meeting), ()


def _join_sections(query, item_id):
    query = query.join(MinutesSection, on=(MinutesSection.id == item_id))
    return query.join(Minutes).join(Meeting), ()


def find(account, terms: Terms) -> ProviderResults:
    """Minutes and sections `account` may find, each through its own visibility rule."""
    # Each rule is checked on the joined rows of the matches (see fulltext.search).
    in_minutes = fulltext.search(
        KIND, access.visible_clause(account, "search"), terms, limit=LIMIT, by=_join_minutes
    )
    in_sections = fulltext.search(
        SECTION_KIND,
        access.visible_clause(account) & access.section_clause(account),
        terms,
        limit=LIMIT,
        by=_join_sections,
    )
    minutes_ids = [m.item_id for m in in_minutes.matches]
    # Only what a hit shows: the texts (minutes run to pages) are not loaded again.
    shown = (Minutes.id, Minutes.state, Minutes.corrects, Meeting.id, Meeting.title, Meeting.start)
    section_rows = {
        s.id: s
        for s in MinutesSection.select(MinutesSection.id, MinutesSection.minutes, *shown)
        .join(Minutes)
        .join(Meeting)
        .where(MinutesSection.id.in_([m.item_id for m in in_sections.matches]))
    }
    minutes_rows = {
        m.id: m for m in Minutes.select(*shown).join(Meeting).where(Minutes.id.in_(minutes_ids))
    }
    hits = []
    for match in in_minutes.matches:
        minutes = minutes_rows.get(match.item_id)
        if minutes is not None:
            hits.append(
                Hit(
                    url=url_for("minutes.show", minutes_id=minutes.id),
                    title=numbering.document_title(minutes),
                    snippet=match.snippet,
                    detail=_detail(minutes, minutes.meeting),
                )
            )
    for match in in_sections.matches:
        section = section_rows.get(match.item_id)
        if section is not None:
            minutes = section.minutes
            hits.append(
                Hit(
                    url=url_for(
                        "minutes.show", minutes_id=minutes.id, _anchor=f"section-{section.id}"
                    ),
                    title=escape(numbering.document_title(minutes)) + Markup(" – ") + match.title,
                    snippet=match.snippet,
                    detail=_detail(minutes, minutes.meeting),
                )
            )
    return ProviderResults(hits=hits, total=in_minutes.total + in_sections.total)


register_provider(Provider(KIND, _l("Minutes"), find, order=20))
