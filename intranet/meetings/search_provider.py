"""Meetings in the site search: what is indexed of a meeting, and how hits are found."""

from flask import url_for
from markupsafe import Markup, escape
from peewee import Case

from intranet.core import fulltext
from intranet.core.search import (
    HITS_PER_KIND,
    Hit,
    Provider,
    ProviderResults,
    Terms,
)
from intranet.core.sharing import Reader
from intranet.meetings import access
from intranet.meetings.models import AgendaItem, Meeting
from intranet.platform.filters import local_time
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l

KIND = "meeting"
# Agenda items are items of their own: one may be shared more narrowly than its meeting.
AGENDA_KIND = "agenda_item"
LIMIT = HITS_PER_KIND


def index_meeting(meeting: Meeting) -> None:
    fulltext.index(KIND, meeting.id, meeting.title, meeting.description)


def index_agenda_item(item: AgendaItem) -> None:
    fulltext.index(AGENDA_KIND, item.id, item.title, item.description)


def remove_agenda_item(item_id: int) -> None:
    fulltext.remove(AGENDA_KIND, item_id)


def _detail(start, cancelled) -> str:
    detail = local_time(start)
    return f"{detail} ({_('cancelled')})" if cancelled else detail


def _by_date(meeting):
    """Upcoming meetings first, the nearest first, then past ones, the latest first: what people
    look for in a calendar. `meeting` is the Meeting table as joined into the search."""
    # A parameter filled in on each search: the query's SQL is rendered once (fulltext.ranked).
    upcoming = meeting.end >= fulltext.NOW
    return (
        Case(None, [(upcoming, 0)], 1),
        Case(None, [(upcoming, meeting.start)], None),  # past rows: all NULL, next key decides
        meeting.start.desc(),
    )


def _meetings_by_date(query, item_id):
    return query.join(Meeting, on=(Meeting.id == item_id)), _by_date(Meeting)


def _agenda_items_by_date(query, item_id):
    query = query.join(AgendaItem, on=(AgendaItem.id == item_id)).join(
        Meeting, on=(Meeting.id == AgendaItem.meeting)
    )
    return query, _by_date(Meeting)


def find(account, terms: Terms) -> ProviderResults:
    """Meetings `account` may see that hold every term: upcoming ones nearest first, then past
    ones latest first (relevance decides between meetings at the same time); their agenda
    items after them, in the order of their meetings. Three queries, however many hits."""
    # Checked on the joined rows of the matches (see fulltext.ranked), which also bring what a
    # hit shows of its meeting.
    visible = access.visible_clause(account)
    found = fulltext.ranked(
        KIND,
        visible,
        terms,
        LIMIT,
        _meetings_by_date,
        (Meeting.start, Meeting.cancelled),
        Reader.of(account),
    )
    in_agenda = fulltext.ranked(
        AGENDA_KIND,
        access.visible_clause(account) & access.agenda_item_clause(account),
        terms,
        LIMIT,
        _agenda_items_by_date,
        (AgendaItem.meeting, Meeting.title, Meeting.start, Meeting.cancelled),
        Reader.of(account),
    )
    fulltext.with_texts(found, in_agenda)
    hits = [
        Hit(
            url=url_for("meetings.show", meeting_id=match.item_id),
            title=match.title,
            snippet=match.snippet,
            detail=_detail(*match.row),
        )
        for match in found.matches
    ]
    for match in in_agenda.matches:
        meeting_id, meeting_title, start, cancelled = match.row
        hits.append(
            Hit(
                url=url_for(
                    "meetings.show", meeting_id=meeting_id, _anchor=f"item-{match.item_id}"
                ),
                title=escape(meeting_title) + Markup(" – ") + match.title,
                snippet=match.snippet,
                detail=_detail(start, cancelled),
            )
        )
    return ProviderResults(
        hits=hits, total=found.total + in_agenda.total, more=found.more or in_agenda.more
    )


PROVIDER = Provider(KIND, _l("Meetings"), find, order=10)
