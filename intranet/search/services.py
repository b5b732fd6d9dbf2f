"""Search across areas; every hit comes from the area's own visibility rule."""

from dataclasses import dataclass

from peewee import fn

from intranet.directory import search as directory_search
from intranet.meetings.models import Meeting
from intranet.meetings.services import visible_meetings

LIMIT = 20


@dataclass
class Results:
    meetings: list
    meeting_total: int
    people: list
    people_total: int


def search(account, query: str) -> Results:
    """Meetings whose title or description and people whose name or function contain every
    word of `query`. Typed characters are matched literally (LIKE with escaping)."""
    filters = directory_search.Filters(q=query)
    people = directory_search.people(filters)
    meetings = visible_meetings(account)
    for word in query.lower().split():
        meetings = meetings.where(
            directory_search.contains(fn.LOWER(Meeting.title), word)
            | directory_search.contains(fn.LOWER(Meeting.description), word)
        )
    meetings = meetings.order_by(Meeting.start.desc(), Meeting.id.desc())
    return Results(
        meetings=list(meetings.limit(LIMIT)),
        meeting_total=meetings.count(),
        people=list(people.limit(LIMIT)),
        people_total=people.count(),
    )
