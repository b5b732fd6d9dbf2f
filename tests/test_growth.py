"""Work that grows with the data: the lists of what sections and agenda items hold check who
may see them on the rows they read, so eight times the minutes cost at most eight times the
database's work (the register's look-up of every visible section per set of minutes made it
about sixteen).

SQLite counts the virtual machine's steps through a progress handler: a number that does not
depend on the machine's speed, unlike a timing."""

import datetime as dt

import pytest

from intranet.meetings.models import AgendaItem
from intranet.minutes.models import ActionItem, Decision, MinutesSection
from intranet.platform.db import db, is_sqlite, utcnow
from tests import factories
from tests.conftest import sign_in
from tests.factories import make_meeting

PAGES = (
    "/decisions",
    "/minutes/actions",
    "/oparl/1.1/body/agenda-items",
    "/oparl/1.1/body/files",
)
STEPS_PER_CALL = 100


def add_minutes(org, count: int, first: int) -> None:
    """`count` sets of released minutes, each with two sections holding a decision and an
    action item, and a meeting with two agenda items, each of the three with a file."""
    for n in range(first, first + count):
        meeting = make_meeting(
            f"Plenum {n}", "green", organization=org, start=utcnow() - dt.timedelta(days=n + 1)
        )
        minutes = factories.minutes(meeting, state="released")
        factories.file_row("meeting", meeting.id)
        for position in (1, 2):
            item = AgendaItem.create(meeting=meeting, position=position, title=f"Punkt {position}")
            factories.file_row("agenda_item", item.id)
            section = MinutesSection.create(
                minutes=minutes, position=position, title=f"Punkt {position}"
            )
            Decision.create(section=section, position=1, text=f"Beschluss {n}.{position}")
            ActionItem.create(section=section, text=f"Aufgabe {n}.{position}", responsible="KORA")


def steps(client, path: str) -> int:
    """The SQLite steps (in hundreds) one request for `path` takes."""
    client.get(path)  # warm: compiled queries, caches
    counted = [0]

    def count():
        counted[0] += 1
        return 0  # go on

    connection = db.connection()
    connection.set_progress_handler(count, STEPS_PER_CALL)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        connection.set_progress_handler(None, STEPS_PER_CALL)
    return counted[0]


def test_lists_of_decisions_action_items_and_agenda_items_grow_linearly(client, org, member):
    if not is_sqlite():
        pytest.skip("counts SQLite's steps; PostgreSQL plans otherwise")
    sign_in(client, member)
    add_minutes(org, 5, 0)
    few = {path: steps(client, path) for path in PAGES}
    add_minutes(org, 35, 5)  # eight times as many
    for path in PAGES:
        many = steps(client, path)
        # Linear work and a fixed part stay below eight times (4–6 here); the register's
        # look-up of every visible section for each set of minutes it read made it 15.
        assert many < 8 * few[path], (path, few[path], many)


def test_the_register_export_runs_the_same_statements_however_many_minutes_it_holds(
    client, org, member, count_queries
):
    """The spreadsheet of decisions checks each section's audience (what may leave the
    intranet): the meetings' invitations and named persons are read for all of them at once,
    not once per set of minutes (486 statements at ten times the demo's data)."""
    sign_in(client, member)

    def statements():
        with count_queries() as counted:
            response = client.get("/decisions.csv")
        assert response.status_code == 200
        return counted.n, response.get_data(as_text=True).count("\r\n") - 1

    add_minutes(org, 2, 0)
    few, rows = statements()
    assert rows == 4
    add_minutes(org, 10, 2)
    many, rows = statements()
    assert rows == 24 and many == few
