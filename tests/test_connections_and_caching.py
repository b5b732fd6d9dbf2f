"""Pooled connections that carry nothing from one request to the next, static files without the
database, and conditional requests (ETag → 304) for the calendar feed and calendar files."""

import datetime as dt
import threading

import pytest

from intranet.core.accounts import Organization
from intranet.meetings import feeds, ics
from intranet.meetings.models import Meeting, MeetingOrganization
from intranet.platform.db import db, utcnow
from tests.factories import make_meeting


@pytest.fixture
def probe_app(app):
    """The app with a few routes that misbehave the way a faulty view could (an app of the
    test's own: the shared one takes no more routes)."""

    def begin_and_fail():
        db.begin()
        Organization.create(name="Halb angelegt")
        raise RuntimeError("the view failed inside its transaction")

    def leave_atomic_open():
        db.atomic().__enter__()  # never left: as if a generator stopped inside the block
        Organization.create(name="Nie festgeschrieben")
        return "ok"

    def write():
        Organization.create(name=f"Neu {Organization.select().count()}")
        return str(Organization.select().count())

    def connection():
        return str(id(db.connection()))

    for rule, view in (
        ("/_probe/begin-and-fail", begin_and_fail),
        ("/_probe/leave-atomic-open", leave_atomic_open),
        ("/_probe/write", write),
        ("/_probe/connection", connection),
    ):
        app.add_url_rule(rule, view.__name__, view)
    return app


@pytest.mark.own_app
def test_a_request_reuses_the_threads_connection(probe_app):
    client = probe_app.test_client()
    first = client.get("/_probe/connection").data
    assert client.get("/_probe/connection").data == first


def test_sqlite_connections_read_through_shared_memory_mapped_pages(app):
    """Large searches read more pages than a connection's own cache holds; each pooled
    connection maps the file instead of copying pages into a cache of its own."""
    from peewee import SqliteDatabase

    if not isinstance(db.obj, SqliteDatabase):
        pytest.skip("a SQLite setting")
    with app.app_context():
        assert db.execute_sql("PRAGMA mmap_size").fetchone()[0] >= 64 * 1024 * 1024


@pytest.mark.own_app
def test_a_failed_transaction_does_not_reach_the_next_request(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/begin-and-fail").status_code == 500
    # The half-made row is gone and the next request can write (SQLite: not locked out).
    assert client.get("/_probe/write").data == b"1"
    assert [o.name for o in Organization.select()] == ["Neu 0"]


@pytest.mark.own_app
def test_an_atomic_block_left_open_is_rolled_back_at_the_end_of_the_request(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/leave-atomic-open").data == b"ok"
    assert client.get("/_probe/write").data == b"1"
    assert not Organization.select().where(Organization.name == "Nie festgeschrieben").exists()


@pytest.mark.own_app
def test_a_failed_request_in_one_thread_does_not_block_another(probe_app):
    client = probe_app.test_client()
    errors, answers = [], []
    thread = threading.Thread(
        target=lambda: errors.append(client.get("/_probe/begin-and-fail").status_code)
    )
    thread.start()
    thread.join()
    worker = threading.Thread(target=lambda: answers.append(client.get("/_probe/write").data))
    worker.start()
    worker.join(timeout=8)
    assert errors == [500] and answers == [b"1"]


def test_static_files_never_touch_the_database(app, client, member, signed_in, monkeypatch):
    signed_in(member)
    db.close()
    calls = []
    monkeypatch.setattr(db.obj, "connect", lambda *a, **k: calls.append("connect"))
    monkeypatch.setattr(db.obj, "execute_sql", lambda *a, **k: calls.append("sql"))
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    response.close()
    assert calls == []


# --- Conditional requests for the feed and the calendar files ----------------------------------


@pytest.fixture
def feed(client, member):
    with client.application.test_request_context():
        token = feeds.renew(member)
    return f"/calendar.ics?token={token}"


def touch(meeting, **changes):
    """Change a meeting the way the services do: a new updated_at and sequence."""
    Meeting.update(
        updated_at=utcnow() + dt.timedelta(seconds=1), sequence=Meeting.sequence + 1, **changes
    ).where(Meeting.id == meeting.id).execute()


def test_feed_answers_an_unchanged_version_with_304_without_rendering(
    client, feed, other_org, monkeypatch
):
    make_meeting("Forum", "green")
    first = client.get(feed)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered although unchanged")

    monkeypatch.setattr(ics, "calendar_bytes", must_not_render)
    again = client.get(feed, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_feed_version_follows_what_the_account_sees(client, feed, member, org, other_org):
    shown = make_meeting("Forum", "green")
    hidden = make_meeting("Intern", "amber", invited=[org])
    etag = client.get(feed).headers["ETag"]

    touch(hidden, title="Intern verschoben")
    assert client.get(feed, headers={"If-None-Match": etag}).status_code == 304

    touch(shown, title="Forum neuer Titel")
    changed = client.get(feed, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert b"Forum neuer Titel" in changed.data
    etag = changed.headers["ETag"]

    # The hidden meeting becomes visible by an invitation alone.
    MeetingOrganization.create(meeting=hidden, organization=other_org)
    invited = client.get(feed, headers={"If-None-Match": etag})
    assert invited.status_code == 200
    assert b"Intern verschoben" in invited.data


def test_feed_only_trusts_the_etag(client, feed):
    later = utcnow() + dt.timedelta(days=30)
    make_meeting("Forum", "green", updated_at=later)
    first = client.get(feed)
    since = first.headers["Last-Modified"]
    assert first.last_modified <= dt.datetime.now(dt.UTC)  # never in the future
    # A date cannot tell that a meeting left the feed: without an ETag the body comes again.
    assert client.get(feed, headers={"If-Modified-Since": since}).status_code == 200
    assert client.get(feed, headers={"If-None-Match": '"other"'}).status_code == 200


def test_meeting_file_is_conditional_and_pages_stay_uncached(client, member, signed_in):
    meeting = make_meeting("Forum", "green")
    signed_in(member)
    first = client.get(f"/meetings/{meeting.id}.ics")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert (
        client.get(f"/meetings/{meeting.id}.ics", headers={"If-None-Match": etag}).status_code
        == 304
    )
    touch(meeting, title="Forum verlegt")
    assert (
        client.get(f"/meetings/{meeting.id}.ics", headers={"If-None-Match": etag}).status_code
        == 200
    )
    assert client.get(f"/meetings/{meeting.id}").headers["Cache-Control"] == "no-store"


def test_a_conditional_request_still_checks_access(client, member, org, signed_in):
    meeting = make_meeting("Intern", "amber", invited=[org])
    signed_in(member)
    guess = '"*"'
    assert (
        client.get(f"/meetings/{meeting.id}.ics", headers={"If-None-Match": guess}).status_code
        == 404
    )
    assert (
        client.get("/calendar.ics?token=wrong", headers={"If-None-Match": "*"}).status_code == 404
    )


def test_remembered_addresses_are_the_ones_flask_builds(app):
    """The app remembers addresses per request context; each must equal Flask's own, including
    relative endpoints in two blueprints, a root path set by a proxy, values that compare equal
    but print differently, anchors, and lists of values (built every time)."""
    from flask import Flask

    cases = [
        ("directory.contacts", {"page": 2}),
        ("directory.contacts", {"page": True}),
        ("directory.contacts", {"page": 1}),
        ("directory.contacts", {"q": ["a", "b"]}),
        ("meetings.calendar", {"_anchor": "heute"}),
        (".calendar", {}),
        ("static", {"filename": "css/app.css"}),
    ]
    places = [
        ("/calendar", "http://localhost", ""),
        ("/calendar", "http://localhost", "/intranet"),
        ("/contacts", "https://intranet.example.org:8443", ""),
    ]
    for path, origin, root in places:
        for _ in range(2):  # the second round answers from what the first remembered
            with app.test_request_context(path, base_url=f"{origin}{root}"):
                for endpoint, values in cases:
                    if endpoint.startswith(".") and path == "/contacts":
                        endpoint = ".contacts"
                    expected = Flask.url_for(app, endpoint, **values)
                    assert app.url_for(endpoint, **values) == expected
                    assert expected.startswith(root + "/")
                    # Absolute: the request's scheme and host in front of the remembered path.
                    expected = Flask.url_for(app, endpoint, _external=True, **values)
                    assert app.url_for(endpoint, _external=True, **values) == expected
                    assert expected.startswith(origin + root + "/")
    assert app._built_urls  # the answers above did come from the memory


def test_addresses_with_visitors_strings_are_not_remembered(app, client):
    """An anonymous visitor's long query strings come back in `next=` of the sign-in redirect:
    built every time, never kept (they would fill the process's memory with strings of the
    visitor's choosing). Only ids, flags and short names are remembered."""
    for number in range(30):
        response = client.get(f"/calendar?{number:04d}" + "&" * 4000)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    kept = [value for key in app._built_urls for value in key if isinstance(value, str)]
    assert all(len(value) <= 64 for value in kept)


def test_remembered_addresses_keep_the_order_and_the_requests_method():
    """Werkzeug writes query values in the order given and prefers the rule of the request's
    method; both are part of what is remembered."""
    from intranet.platform.web import App

    def thing():
        return ""

    probe = App("probe")
    probe.add_url_rule("/read", "thing", thing, methods=["GET"])
    probe.add_url_rule("/write", "thing", thing, methods=["POST"])
    with probe.test_request_context("/write", method="POST"):
        assert probe.url_for("thing") == "/write"
        assert probe.url_for("thing", a=1, b=2) == "/write?a=1&b=2"
        assert probe.url_for("thing", b=2, a=1) == "/write?b=2&a=1"
    with probe.test_request_context("/read", method="GET"):
        assert probe.url_for("thing") == "/read"
