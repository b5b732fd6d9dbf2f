"""Concurrent saves with real threads, each on its own connection: of two saves from the same
version exactly one wins and the other is refused; nothing is overwritten silently.

On PostgreSQL both threads are held after reading the row until both have read it, so the
writes really race (READ COMMITTED lets both reads see the old version). On SQLite the write
lock taken by BEGIN IMMEDIATE serialises the transactions, so only the start is synchronised.
"""

import datetime as dt
import threading

import pytest

from intranet.auth import services as account_services
from intranet.core import sharing, times, versioning
from intranet.core.accounts import Account
from intranet.directory import services as directory_services
from intranet.directory.models import Person
from intranet.meetings import access, planning
from intranet.meetings.models import Meeting
from intranet.platform.db import db, is_sqlite
from tests.conftest import PG_URL
from tests.factories import TIMEOUT, race


def hold_after_reading(monkeypatch, model, parties=2):
    """Make `model.get_by_id` wait until every thread has read (PostgreSQL only)."""
    if is_sqlite():
        return
    barrier = threading.Barrier(parties, timeout=TIMEOUT)
    original = model.get_by_id.__func__
    held = {threading.get_ident()}  # never the test's own thread

    def get_by_id(cls, pk):
        row = original(cls, pk)
        if threading.get_ident() not in held:  # only the first read of each racing thread
            held.add(threading.get_ident())
            barrier.wait()
        return row

    monkeypatch.setattr(model, "get_by_id", classmethod(get_by_id))


def one_wins(results, conflict=versioning.Conflict):
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], conflict), errors[0]
    return next(i for i, r in enumerate(results) if not isinstance(r, Exception))


def meeting_data(meeting, title):
    return planning.MeetingData(
        title=title,
        start_local=times.to_local(meeting.start).replace(tzinfo=None),
        end_local=times.to_local(meeting.end).replace(tzinfo=None),
    )


def new_meeting(coordinator, title="Sitzung", repeat=""):
    start = dt.datetime(2031, 1, 15, 18, 0)
    data = planning.MeetingData(
        title=title, start_local=start, end_local=start + dt.timedelta(hours=2), repeat=repeat
    )
    if repeat:
        data.repeat_until = dt.date(2031, 12, 31)
    return planning.create_meeting(data, coordinator)


def test_two_meeting_edits_from_the_same_version(shared_app, coordinator, monkeypatch):
    with db.connection_context():
        meeting = new_meeting(coordinator)[0]
        context = access.load_context(meeting)
    hold_after_reading(monkeypatch, Meeting)
    titles = ("Fassung A", "Fassung B")
    results = race(
        shared_app,
        *(
            lambda t=t: planning.update_meeting(context, meeting_data(meeting, t), 1, coordinator)
            for t in titles
        ),
    )
    winner = one_wins(results, access.Conflict)
    with db.connection_context():
        saved = Meeting.get_by_id(meeting.id)
    assert (saved.title, saved.version, saved.sequence) == (titles[winner], 2, 1)


def test_edit_and_cancellation_from_the_same_version(shared_app, coordinator, monkeypatch):
    with db.connection_context():
        meeting = new_meeting(coordinator)[0]
        context = access.load_context(meeting)
    hold_after_reading(monkeypatch, Meeting)
    results = race(
        shared_app,
        lambda: planning.update_meeting(context, meeting_data(meeting, "Neu"), 1, coordinator),
        lambda: planning.cancel_meeting(meeting, "Raum fehlt", 1, coordinator),
    )
    winner = one_wins(results, access.Conflict)
    with db.connection_context():
        saved = Meeting.get_by_id(meeting.id)
    assert (saved.title == "Neu", saved.cancelled) == (
        (True, False) if winner == 0 else (False, True)
    )
    assert saved.version == 2


def test_two_account_edits_from_the_same_form(shared_app, admin, member, monkeypatch):
    with db.connection_context():
        seen = account_services.fingerprint(member)
    hold_after_reading(monkeypatch, Account)

    def edit(name, role):
        return lambda: account_services.update_account(
            member, seen, member.email, name, role, None, admin
        )

    results = race(shared_app, edit("Name A", "reviewer"), edit("Name B", "member"))
    winner = one_wins(results, account_services.AccountConflict)
    with db.connection_context():
        saved = Account.get_by_id(member.id)
    assert (saved.display_name, saved.role) == [("Name A", "reviewer"), ("Name B", "member")][
        winner
    ]


def test_two_directory_edits_from_the_same_version(shared_app, org):
    with db.connection_context():
        entry = directory_services.create_person(
            {"organization": org, "family_name": "Özdemir", "function": "Vorsitz"}
        )

    def edit(function):
        def run():
            person = Person.get_by_id(entry.id)
            return directory_services.update_person(person, {"function": function}, version=1)

        return run

    results = race(shared_app, edit("Kasse"), edit("Schriftführung"))
    winner = one_wins(results, directory_services.EditConflict)
    with db.connection_context():
        saved = Person.get_by_id(entry.id)
    assert (saved.function, saved.version) == (("Kasse", "Schriftführung")[winner], 2)


@pytest.mark.skipif(
    not PG_URL,
    reason="SQLite locks the whole database for a write transaction: no edit can slip in",
)
def test_series_edit_does_not_overwrite_an_occurrence_saved_meanwhile(
    shared_app, coordinator, monkeypatch
):
    """An occurrence saved by someone else after the series edit read it is not overwritten:
    the series edit is refused as a whole."""
    with db.connection_context():
        series = new_meeting(coordinator, "Forum", repeat="monthly_weekday")
        fifth, eighth = series[4], series[7]
        fifth_context = access.load_context(fifth)
    original = sharing.split_visible

    def split_then_someone_saves(*args, **kwargs):
        found = original(*args, **kwargs)
        # Another coordinator saves the eighth occurrence after the series edit read it.
        race(
            shared_app,
            lambda: planning.update_meeting(
                access.load_context(Meeting.get_by_id(eighth.id)),
                meeting_data(eighth, "Sondersitzung"),
                eighth.version,
                coordinator,
            ),
        )
        return found

    monkeypatch.setattr(sharing, "split_visible", split_then_someone_saves)
    results = race(
        shared_app,
        lambda: planning.update_meeting(
            fifth_context, meeting_data(fifth, "Forum (neu)"), 1, coordinator, "following"
        ),
    )
    assert isinstance(results[0], access.Conflict), results
    with db.connection_context():
        titles = [m.title for m in Meeting.select().order_by(Meeting.start)]
    assert titles[7] == "Sondersitzung"
    assert "Forum (neu)" not in titles  # the whole series edit was rolled back


def test_invitation_and_cancellation_at_once(shared_app, coordinator, monkeypatch):
    """Two workflow steps from the same state: one is taken, the other refused; the history
    holds exactly the step that happened."""
    from intranet.meetings import rules

    with db.connection_context():
        meeting = new_meeting(coordinator)[0]
    hold_after_reading(monkeypatch, Meeting)
    results = race(
        shared_app,
        lambda: planning.invite(meeting, coordinator),
        lambda: planning.cancel_meeting(meeting, "Raum fehlt", 1, coordinator),
    )
    # A conflict when both read the old state (PostgreSQL); "not possible in this state" when
    # the second one reads after the first committed (SQLite serialises the transactions).
    winner = one_wins(results, access.MeetingError)
    with db.connection_context():
        saved = Meeting.get_by_id(meeting.id)
        history = [e.action for e in rules.WORKFLOW.history(meeting.id)]
    assert (saved.state, saved.cancelled) == (
        ("invited", False) if winner == 0 else ("planned", True)
    )
    assert history == (["invite"] if winner == 0 else ["cancel"])
    assert (saved.version, saved.sequence) == (2, 1)


def test_two_admins_switching_each_other_off_at_once_leave_one(app):
    """The last active admin stays, also when two admins deactivate each other in parallel."""
    import threading

    from intranet.auth import services as accounts
    from intranet.core.accounts import Account
    from intranet.platform.db import db
    from tests import factories

    first = factories.account("admin", email="erste@example.org")
    second = factories.account("admin", email="zweite@example.org")
    barrier = threading.Barrier(2)
    errors = []

    def deactivate(target, actor):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                accounts.set_active(target, False, actor)
            except accounts.AccountError as error:
                errors.append(error)
            finally:
                db.close()

    threads = [
        threading.Thread(target=deactivate, args=(second, first)),
        threading.Thread(target=deactivate, args=(first, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    active = Account.select().where((Account.role == "admin") & (Account.active == True))  # noqa: E712
    assert active.count() == 1 and len(errors) == 1
    assert "letzte aktive" in str(errors[0]) or "last active" in str(errors[0])
