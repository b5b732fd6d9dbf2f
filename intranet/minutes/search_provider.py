"""Minutes in the site search: the text of each set of minutes, and each agenda-item section
with its decisions and action items as an item of its own, since a section may be shared
more narrowly than the minutes around it."""

from types import SimpleNamespace

from flask import url_for
from markupsafe import Markup, escape

from intranet.core import fulltext
from intranet.core.search import (
    HITS_PER_KIND,
    Hit,
    Provider,
    ProviderResults,
    Terms,
)
from intranet.core.sharing import Reader
from intranet.meetings.models import Meeting
from intranet.minutes import access, numbering, rules
from intranet.minutes.models import Minutes, MinutesSection
from intranet.minutes.search_index import KIND, SECTION_KIND
from intranet.platform.filters import local_time
from intranet.platform.i18n import lazy_gettext as _l

LIMIT = HITS_PER_KIND


# What a hit shows of its minutes, selected with the match (fulltext.ranked): the minutes'
# id, state and the one it corrects, its meeting's title and start.
SHOWN = (Minutes.id, Minutes.state, Minutes.corrects, Meeting.title, Meeting.start)


def _shown(row) -> tuple[str, str, str]:
    """The minutes' id, title and detail line from a match's `SHOWN` columns."""
    minutes_id, state, corrects_id, title, start = row
    # Only what `document_title` reads, so that the title is worded as everywhere else (an
    # unsaved Minutes with its two dozen defaults cost more than the rest of the hit).
    minutes = SimpleNamespace(corrects_id=corrects_id, meeting=SimpleNamespace(title=title))
    detail = f"{local_time(start)} · {rules.STATE_LABELS[state]}"
    return minutes_id, numbering.document_title(minutes), detail


def _join_minutes(query, item_id):
    return query.join(Minutes, on=(Minutes.id == item_id)).join(Meeting), ()


def _join_sections(query, item_id):
    query = query.join(MinutesSection, on=(MinutesSection.id == item_id))
    return query.join(Minutes).join(Meeting), ()


def find(account, terms: Terms) -> ProviderResults:
    """Minutes and sections `account` may find, each through its own visibility rule (three
    queries, however many hits)."""
    # Each rule is checked on the joined rows of the matches (see fulltext.ranked), which also
    # bring what a hit shows; the texts (minutes run to pages) are read for the shown hits only.
    key = Reader.of(account)
    in_minutes = fulltext.ranked(
        KIND, access.visible_clause(account, "search"), terms, LIMIT, _join_minutes, SHOWN, key
    )
    in_sections = fulltext.ranked(
        SECTION_KIND,
        access.visible_clause(account) & access.section_clause(account),
        terms,
        LIMIT,
        _join_sections,
        SHOWN,
        key,
    )
    fulltext.with_texts(in_minutes, in_sections)
    hits = []
    for match in in_minutes.matches:
        minutes_id, title, detail = _shown(match.row)
        hits.append(
            Hit(
                url=url_for("minutes.show", minutes_id=minutes_id),
                title=title,
                snippet=match.snippet,
                detail=detail,
            )
        )
    for match in in_sections.matches:
        minutes_id, title, detail = _shown(match.row)
        hits.append(
            Hit(
                url=url_for(
                    "minutes.show", minutes_id=minutes_id, _anchor=f"section-{match.item_id}"
                ),
                title=escape(title) + Markup(" – ") + match.title,
                snippet=match.snippet,
                detail=detail,
            )
        )
    return ProviderResults(
        hits=hits,
        total=in_minutes.total + in_sections.total,
        more=in_minutes.more or in_sections.more,
    )


PROVIDER = Provider(KIND, _l("Minutes"), find, order=20)
