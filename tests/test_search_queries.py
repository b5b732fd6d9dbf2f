"""How a search's queries run: PostgreSQL walks the matches newest first and stops at the
pool, and each search's SQL is rendered once per account and replayed with the typed words."""

import datetime as dt

import pytest
from peewee import SqliteDatabase

from intranet.core import fulltext
from intranet.core.search import search_terms
from intranet.meetings import search_provider
from intranet.platform.db import db, utcnow
from tests import factories
from tests.factories import make_meeting


def _titles(account, query: str) -> list[str]:
    return [str(hit.title) for hit in search_provider.find(account, search_terms(query)).hits]


def _plain(titles: list[str]) -> list[str]:
    return [title.replace("<mark>", "").replace("</mark>", "") for title in titles]


def test_a_replayed_search_shows_each_account_only_its_own_items(app, org, other_org):
    """The SQL of a search is rendered once per account; replaying one account's query for
    another would show the first one's AMBER and RED meetings to the second."""
    first = factories.account("member", org, email="erste@example.org")
    second = factories.account("member", other_org, email="zweite@example.org")
    make_meeting("Fahrradstaffel offen", invited=[org, other_org])
    make_meeting("Fahrradstaffel Amber eins", label="amber", organization=org)
    make_meeting("Fahrradstaffel Amber zwei", label="amber", organization=other_org)
    make_meeting("Fahrradstaffel Rot", label="red", organization=org, persons=[second])
    rendered = []
    query = fulltext._query
    with app.test_request_context():
        fulltext._RENDERED.clear()
        # Rendered afresh each time: what every replay must equal.
        fresh = {who.id: _titles(who, "fahrradstaffel") for who in (first, second)}
        fulltext._RENDERED.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fulltext, "_query", lambda *a: rendered.append(a) or query(*a))
            for who in (first, second, first, second):
                assert _titles(who, "fahrradstaffel") == fresh[who.id]
            # Another word is the same query with another parameter: nothing rendered anew.
            assert _plain(_titles(first, "amber")) == ["Fahrradstaffel Amber eins"]
            assert _plain(_titles(second, "rot")) == ["Fahrradstaffel Rot"]
    # Meetings and agenda items, once for each account.
    assert len(rendered) == 4
    assert sorted(_plain(fresh[first.id])) == [
        "Fahrradstaffel Amber eins",
        "Fahrradstaffel offen",
    ]
    assert sorted(_plain(fresh[second.id])) == [
        "Fahrradstaffel Amber zwei",
        "Fahrradstaffel Rot",
        "Fahrradstaffel offen",
    ]


def test_a_replayed_search_measures_upcoming_from_the_time_of_the_search(app, org, monkeypatch):
    """Upcoming meetings come first: the time that decides it is filled in on every search,
    not kept from the one that rendered the query."""
    reader = factories.account("member", org, email="leser@example.org")
    now = utcnow().replace(microsecond=0)
    make_meeting("Fahrradstaffel gestern", invited=[org], start=now - dt.timedelta(days=1))
    make_meeting(
        "Fahrradstaffel gleich",
        invited=[org],
        start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(hours=1),
    )
    make_meeting("Fahrradstaffel morgen", invited=[org], start=now + dt.timedelta(days=1))
    with app.test_request_context():
        assert _plain(_titles(reader, "fahrradstaffel")) == [
            "Fahrradstaffel gleich",
            "Fahrradstaffel morgen",
            "Fahrradstaffel gestern",
        ]
        monkeypatch.setattr(fulltext, "utcnow", lambda: now + dt.timedelta(hours=3))
        assert _plain(_titles(reader, "fahrradstaffel")) == [
            "Fahrradstaffel morgen",
            "Fahrradstaffel gleich",
            "Fahrradstaffel gestern",
        ]


def _entries_read(plan: dict) -> int:
    """Rows of search_entry the executed plan read, over all its loops."""
    rows = plan["Actual Rows"] * plan["Actual Loops"]
    read = rows if plan.get("Relation Name") == "search_entry" else 0
    return read + sum(_entries_read(child) for child in plan.get("Plans", ()))


def test_postgres_checks_the_newest_matches_only_up_to_the_pool(app, monkeypatch):
    """A common word matches thousands of minutes: PostgreSQL joined and checked every one of
    them before it took the newest hundred (90 ms at 10,000 minutes). Now it reads one entry
    per match, newest first, and stops at the pool."""
    if isinstance(db.obj, SqliteDatabase):
        pytest.skip("SQLite's FTS5 table hands over its matches newest first itself")
    pool = 5
    monkeypatch.setattr(fulltext, "POOL", pool)
    for item_id in range(1, 81):
        fulltext.index("minutes", item_id, "Bericht", "Fahrradstaffel im Einsatz")
    hidden = {n for n in range(1, 81) if n % 4 == 0}
    visible = [n for n in range(1, 81) if n not in hidden]
    executed = []
    original = db.obj.execute_sql

    def record(sql, params=None, *args, **kwargs):
        executed.append((sql, params))
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", record)
    found = fulltext.search("minutes", visible, search_terms("fahrradstaffel"), limit=3)
    monkeypatch.undo()
    assert found.total == pool and found.more
    assert not {m.item_id for m in found.matches} & hidden
    sql, params = next((s, p) for s, p in executed if "search_document" in s)
    # As on a full index, where the planner takes the matches from the text index, unordered
    # (on a few rows it may walk the newest entries and test each for the words instead).
    db.execute_sql("SET enable_seqscan = off")
    db.execute_sql("SET enable_indexscan = off")
    try:
        explained = db.execute_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).fetchone()[0]
    finally:
        db.execute_sql("RESET enable_seqscan")
        db.execute_sql("RESET enable_indexscan")
    # 80, 79 … 73: eight entries hold the pool's six visible ones (80 and 76 are hidden).
    assert _entries_read(explained[0]["Plan"]) == 8
