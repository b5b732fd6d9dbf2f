"""Meetings in the site search: what is indexed of a meeting, and how hits are found."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from intranet.core import fulltext
from intranet.core.search import Hit, Provider, ProviderResults, Terms, register_provider
from intranet.filters import local_time
from intranet.meetings import services  # imports this module too: use it only inside functions
from intranet.meetings.models import Meeting

KIND = "meeting"
LIMIT = 20


def index_meeting(meeting: Meeting) -> None:
    fulltext.index(KIND, meeting.id, meeting.title, meeting.description)


def find(account, terms: Terms) -> ProviderResults:
    """Meetings `account` may see that hold every term, most relevant first."""
    visible = Meeting.select(Meeting.id).where(services.visible_clause(account))
    found = fulltext.search(KIND, visible, terms, limit=LIMIT)
    meetings = {
        m.id: m
        for m in Meeting.select(Meeting.id, Meeting.start, Meeting.cancelled).where(
            Meeting.id.in_([match.item_id for match in found.matches])
        )
    }
    hits = []
    for match in found.matches:
        meeting = meetings.get(match.item_id)
        if meeting is None:
            continue
        detail = local_time(meeting.start)
        if meeting.cancelled:
            detail = f"{detail} ({_('cancelled')})"
        hits.append(
            Hit(
                url=url_for("meetings.show", meeting_id=meeting.id),
                title=match.title,
                snippet=match.snippet,
                detail=detail,
            )
        )
    return ProviderResults(hits=hits, total=found.total)


register_provider(Provider(KIND, _l("Meetings"), find, order=10))
