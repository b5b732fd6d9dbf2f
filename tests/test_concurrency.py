"""Races under parallel requests: real threads, each with its own database connection, on
SQLite and (with INTRANET_DATABASE_URL) PostgreSQL."""

import datetime as dt
import threading

from intranet.core import audit
from intranet.core.models import AuditEvent
from intranet.platform.db import db, utcnow
from tests import factories


def run_parallel(app, count, work):
    """Run `work(number)` in `count` threads that start together; return results in order.

    Each thread has its own app context and connection, as a request in waitress would.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def worker(number):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                results[number] = work(number)
            except Exception as error:  # noqa: BLE001 - reported to the test below
                errors.append(error)
            finally:
                db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_parallel_audit_appends_keep_one_chain(app):
    run_parallel(app, 16, lambda n: audit.record("login.failed", target=f"person{n}@example.org"))
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert len(events) == 16
    assert audit.verify() is None
    # One line: every entry points to the one before it, none is pointed to twice.
    assert [e.prev_hash for e in events] == [audit.GENESIS] + [e.hash for e in events[:-1]]


def test_parallel_feed_renewals_all_succeed_and_leave_one_working_token(app, member):
    from intranet.meetings import feeds

    tokens = run_parallel(app, 12, lambda n: feeds.renew(member))
    working = [token for token in tokens if feeds.account_for(token) is not None]
    assert working == [feeds.current_token(member)]


def test_parallel_wrong_passwords_are_not_checked_beyond_the_limit(app, member, monkeypatch):
    from intranet.auth import services, sign_in

    checked = []
    verify = sign_in.verify_password

    def counting_verify(hash_, password):
        checked.append(1)
        return verify(hash_, password)

    monkeypatch.setattr(sign_in, "verify_password", counting_verify)
    results = run_parallel(
        app,
        24,
        lambda n: services.authenticate(member.email, "falsches Passwort", f"192.0.2.{n}"),
    )
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    assert len(checked) <= limit
    assert sum(isinstance(result, services.Throttled) for result in results) >= 24 - limit
    # Even the right password now waits for the window, as after ten failures in a row.
    right = services.authenticate(member.email, factories.PASSWORD, "192.0.2.99")
    assert isinstance(right, services.Throttled)


def test_agenda_items_added_at_once_get_distinct_positions(app, coordinator):
    from intranet.meetings import agenda
    from intranet.meetings.models import AgendaItem, Meeting

    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    meeting = Meeting.create(
        title="Sitzung", start=start, end=start + dt.timedelta(hours=2), label="green"
    )
    run_parallel(
        app,
        8,
        lambda n: agenda.add_agenda_item(meeting, f"Punkt {n}", "", None, "green", coordinator),
    )
    positions = [item.position for item in AgendaItem.select().where(AgendaItem.meeting == meeting)]
    assert sorted(positions) == list(range(1, 9))
