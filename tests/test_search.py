"""GET /search: one box over meetings and contacts, with each area's visibility rule."""

import bisect
import datetime as dt
import itertools
import random
import re

import pytest
from peewee import SqliteDatabase

from intranet.core import fulltext, marking
from intranet.core.search import search_terms
from intranet.meetings import search_provider
from intranet.meetings.models import AgendaItem, Meeting
from intranet.platform.db import db, utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import form_data, make_meeting, person

TITLES = ("Präventionsrunde offen", "Präventionsrunde Amber", "Präventionsrunde Rot")
HOSTILE = [
    "%",
    "_",
    '"',
    '"präventionsrunde',
    "' OR 1=1 --",
    "\\",
    "*",
    "präventions*",
    "-x",
    "-präventionsrunde",
    "NEAR(präventionsrunde offen)",
    "body:geheim",
    "title:präventionsrunde",
    "foo AND",
    "AND OR NOT",
    "präventionsrunde AND",
    "(präventionsrunde",
    "a" * 500,
    "ä" * 10_000,
    " ".join(f"wort{n}" for n in range(200)),
    "\u202egnp.exe",
    "\x00präventionsrunde",
]


def text_of(html: str) -> str:
    """What a reader sees: the page without tags (marks split a title otherwise)."""
    return re.sub(r"<[^>]+>", "", html)


@pytest.fixture
def world(app, org, other_org, member, coordinator):
    named = factories.account("member", other_org, email="benannt@example.org")
    make_meeting("Präventionsrunde offen", invited=[org])
    make_meeting(
        "Präventionsrunde Amber",
        description="Geheimer Hinweis zur Lage",
        label="amber",
        organization=org,
    )
    make_meeting(
        "Präventionsrunde Rot", description="Vertrauliche Notiz", label="red", persons=[named]
    )
    person(org, given_name="Ayşe", family_name="Özdemir", function="Prävention")
    return {"named": named}


def account_for(request, world, who):
    return world["named"] if who == "named" else request.getfixturevalue(who)


VISIBLE = [
    ("member", {"Präventionsrunde offen"}),  # other_org: not on the AMBER meeting
    ("coordinator", {"Präventionsrunde offen", "Präventionsrunde Amber"}),  # org
    ("named", {"Präventionsrunde offen", "Präventionsrunde Rot"}),
    ("admin", {"Präventionsrunde offen"}),  # no organisation, not named
]


@pytest.mark.parametrize("who, expected", VISIBLE)
def test_meeting_hits_follow_the_sharing_label(request, client, world, who, expected):
    sign_in(client, account_for(request, world, who))
    page = text_of(client.get("/search?q=präventionsrunde").get_data(as_text=True))
    assert {t for t in TITLES if t in page} == expected
    assert f"Termine ({len(expected)})" in page


@pytest.mark.parametrize("who, expected", VISIBLE)
@pytest.mark.parametrize("query", ["geheimer", "vertrauliche notiz", "hinweis lage"])
def test_hidden_meetings_leave_no_trace_in_counts_or_snippets(
    request, client, world, who, expected, query
):
    """Words only a hidden meeting holds find nothing: no hit, no count, no snippet."""
    sign_in(client, account_for(request, world, who))
    page = text_of(client.get("/search", query_string={"q": query}).get_data(as_text=True))
    holder = "Präventionsrunde Amber" if query != "vertrauliche notiz" else "Präventionsrunde Rot"
    if holder in expected:
        assert holder in page and "Termine (1)" in page
    else:
        assert "Termine (0)" in page
        assert "Geheim" not in page and "Vertrauliche" not in page and "Lage" not in page


def test_contacts_are_found_without_accents_and_hidden_fields_stay_hidden(client, world, member):
    sign_in(client, member)
    page = client.get("/search?q=ozdemir").get_data(as_text=True)
    assert "Ayşe <mark>Özdemir</mark>" in page
    assert "@" not in page.split('id="search-section-person"')[1].split("</section>")[0]


@pytest.mark.parametrize("query", ["Muller", "mueller", "MÜLLER", "müll"])
def test_folded_spellings_find_each_other(client, app, org, member, query):
    person(org, given_name="Jana", family_name="Müller", function="Beratung")
    make_meeting("Übung mit Frau Müller", invited=[org])
    sign_in(client, member)
    page = text_of(client.get("/search", query_string={"q": query}).get_data(as_text=True))
    assert "Übung mit Frau Müller" in page and "Jana Müller" in page


def test_meeting_search_folds_umlauts_both_ways(client, app, org, member):
    make_meeting("Übung Straßensperre", invited=[org])
    sign_in(client, member)
    for query in ("übung", "ÜBUNG", "ubung", "uebung", "strassensperre", "straßensperre"):
        page = text_of(client.get("/search", query_string={"q": query}).get_data(as_text=True))
        assert "Übung Straßensperre" in page, query


def test_hits_are_ranked_and_marked_after_escaping(client, app, org, member):
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)  # same time: relevance decides
    make_meeting(
        "Allgemeines",
        description="Es geht auch um <b>Verkehr</b> & Sicherheit.",
        invited=[org],
        start=start,
    )
    make_meeting(
        "Verkehr in der Neustadt", description="Verkehr, Verkehr.", invited=[org], start=start
    )
    sign_in(client, member)
    page = client.get("/search?q=verkehr").get_data(as_text=True)
    # A title hit ranks before a hit in the description.
    assert page.index("Neustadt") < page.index("Allgemeines")
    assert "&lt;b&gt;<mark>Verkehr</mark>&lt;/b&gt; &amp; Sicherheit." in page
    assert "<b>" not in page


def test_a_title_hit_ranks_before_a_newer_body_hit_on_either_database(app):
    """Relevance, not the newer id: on PostgreSQL the kind's token in the ranked query made
    every rank 0."""
    fulltext.index("minutes", 1, "Verkehr in der Neustadt", "Verkehr, Verkehr")
    fulltext.index("minutes", 2, "Allgemeines", "Es geht auch um Verkehr")
    found = fulltext.search("minutes", [1, 2], search_terms("verkehr"))
    assert [m.item_id for m in found.matches] == [1, 2]


def test_meeting_hits_come_upcoming_nearest_first_then_past_latest_first(
    client, app, org, member, count_queries
):
    now = utcnow().replace(microsecond=0)
    days = {"in zehn Tagen": 10, "vor zwei Tagen": -2, "morgen": 1, "vor einem Jahr": -365,
            "in einem Monat": 30, "vor einer Woche": -7}  # fmt: skip
    for name, offset in days.items():
        meeting = make_meeting(
            f"Plenum {name}", invited=[org], start=now + dt.timedelta(days=offset)
        )
        # An agenda item of each, found in the order of its meeting.
        item = AgendaItem.create(meeting=meeting, position=1, title=f"Lagebild {name}")
        search_provider.index_agenda_item(item)
    sign_in(client, member)
    expected = ["morgen", "in zehn Tagen", "in einem Monat", "vor zwei Tagen", "vor einer Woche",
                "vor einem Jahr"]  # fmt: skip

    def order(page, prefix):
        found = re.findall(
            prefix
            + r"(?:</mark>)? (morgen|in zehn Tagen|in einem Monat|vor zwei Tagen|vor einer Woche|vor einem Jahr)",
            page,
        )
        return list(dict.fromkeys(found))

    page = client.get("/search?q=plenum").get_data(as_text=True)
    assert order(page, "Plenum") == expected
    page = client.get("/search?q=lagebild").get_data(as_text=True)
    assert order(page, "Lagebild") == expected

    # The number of queries does not grow with the number of hits.
    def search_queries():
        with count_queries() as counted:
            assert client.get("/search?q=plenum").status_code == 200
        return counted.n

    few = search_queries()
    for n in range(15):
        make_meeting(f"Plenum Nummer {n}", invited=[org], start=now + dt.timedelta(days=40 + n))
    assert search_queries() == few


def test_snippet_shows_the_place_that_matched(app, org):
    long_text = "Einleitung. " * 60 + "Hier steht das Stichwort Fahrradstaffel. " + "Ende. " * 60
    meeting = make_meeting("Langer Termin", description=long_text, invited=[org])
    found = fulltext.search("meeting", [meeting.id], search_terms("fahrradstaffel"), limit=5)
    snippet = str(found.matches[0].snippet)
    assert "<mark>Fahrradstaffel</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(text_of(snippet)) <= marking.SNIPPET_LENGTH + 4


def test_a_long_texts_first_match_is_found_where_the_whole_text_has_it(monkeypatch):
    """The head of a long text is searched first: a match cut by the head's end (or shifted
    by letters that fold longer, ß → ss) must not hide the earlier one or invent another."""
    head = marking.FIRST_MATCH_HEAD
    words = ["fahrradstaffeleinsatz", "fahrrad"]
    for filler in ("x", "ß"):
        for at in range(head - 40, head + 3):
            text = filler * at + " Fahrradstaffeleinsatz Fahrrad " + "y " * 1000
            shortcut = marking._first_match(text, words)
            monkeypatch.setattr(marking, "FIRST_MATCH_HEAD", 10**9)
            assert shortcut == marking._first_match(text, words) == at + 1, (filler, at)
            monkeypatch.setattr(marking, "FIRST_MATCH_HEAD", head)


def test_meeting_services_keep_the_index_current(client, app, coordinator):
    sign_in(client, coordinator)
    response = client.post("/meetings/new", data=form_data(client, title="Fahrradstaffel planen"))
    assert response.status_code == 303
    assert "Fahrradstaffel planen" in text_of(
        client.get("/search?q=fahrrad").get_data(as_text=True)
    )
    meeting = Meeting.get(Meeting.title == "Fahrradstaffel planen")
    path = f"/meetings/{meeting.id}/edit"
    data = form_data(client, path, title="Lastenrad planen", version=str(meeting.version))
    assert client.post(path, data=data).status_code == 303
    assert "Lastenrad planen" in text_of(client.get("/search?q=lastenrad").get_data(as_text=True))
    assert "Termine (0)" in text_of(client.get("/search?q=fahrrad").get_data(as_text=True))


def test_contact_changes_and_deletion_reach_the_index(client, app, org, member):
    from intranet.directory import services as directory_services

    entry = person(org, given_name="Kai", family_name="Quast", function="Jugendarbeit")
    sign_in(client, member)
    assert "Kai Quast" in text_of(client.get("/search?q=quast").get_data(as_text=True))
    directory_services.update_person(entry, {"family_name": "Quirin"}, entry.version)
    assert "Kai Quirin" in text_of(client.get("/search?q=quirin").get_data(as_text=True))
    assert "Kontakte (0)" in text_of(client.get("/search?q=quast").get_data(as_text=True))
    directory_services.delete_person(entry)
    assert not fulltext.SearchEntry.select().where(fulltext.SearchEntry.kind == "person").exists()


@pytest.mark.parametrize("query", HOSTILE)
def test_query_syntax_is_harmless(client, world, member, query):
    sign_in(client, member)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Amber" not in page and "Rot" not in page


@pytest.mark.parametrize("query", HOSTILE)
def test_fulltext_never_raises_on_typed_syntax(app, world, query):
    found = fulltext.search("meeting", [1, 2, 3], search_terms(query), limit=5)
    assert found.total == len(found.matches)


def test_many_words_are_capped_with_a_note(client, world, member):
    """67 words or more used to overflow SQLite's parser (500); now the first 10 count."""
    sign_in(client, member)
    short_words = " ".join("xy"[n % 2] + "z"[: n % 3] for n in range(100))  # fits 200 chars
    assert client.get("/search", query_string={"q": short_words}).status_code == 200
    query = "präventionsrunde " + " ".join(f"wort{n}" for n in range(100))
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "nur nach den ersten 10 Wörtern" in response.get_data(as_text=True)


def test_repeated_words_count_once(client, world, member):
    sign_in(client, member)
    query = " ".join(["Präventionsrunde", "präventionsrunde", "PRÄVENTIONSRUNDE"] * 20)
    page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert "Präventionsrunde offen" in text_of(page)
    assert "nur nach den ersten" not in page


def test_contact_search_box_caps_words_too(client, world, member):
    sign_in(client, member)
    query = "özdemir " + " ".join(f"wort{n}" for n in range(100))
    response = client.get("/contacts", query_string={"q": query})
    assert response.status_code == 200
    assert "nur nach den ersten 10 Wörtern" in response.get_data(as_text=True)


def test_search_terms_are_cleaned_folded_unique_and_capped():
    terms = search_terms("  Übung ÜBUNG\u202e  Straße " + " ".join(f"w{n}" for n in range(20)))
    assert list(terms)[:2] == ["ubung", "strasse"]
    assert len(terms) == 10 and terms.ignored == 12
    assert list(search_terms("a b", limit=1)) == ["a"] and search_terms("a b", limit=1).ignored == 1
    assert not search_terms("   ") and search_terms("").ignored == 0


def test_short_or_empty_query_asks_for_more(client, member):
    sign_in(client, member)
    assert "mindestens 2 Buchstaben oder Ziffern" in client.get("/search?q=a").get_data(
        as_text=True
    )
    assert "mindestens 2 Buchstaben" in client.get("/search?q=%25%25").get_data(as_text=True)
    assert client.get("/search").status_code == 200


def test_search_needs_sign_in(client):
    response = client.get("/search?q=runde")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_index_side_table_answers_on_this_database(app):
    """The side table is not in MODELS (it exists on one database kind only): check it here."""
    fulltext.index("meeting", 7, "Probe", "Text")
    fulltext.index("meeting", 7, "Probe neu", "Text")
    found = fulltext.search("meeting", [7], search_terms("probe"))
    assert found.total == 1 and "neu" in str(found.matches[0].title)
    fulltext.remove("meeting", 7)
    assert fulltext.search("meeting", [7], search_terms("probe")).total == 0
    if isinstance(db.obj, SqliteDatabase):
        left = db.execute_sql("SELECT COUNT(*) FROM search_text").fetchone()[0]
    else:
        left = db.execute_sql("SELECT COUNT(*) FROM search_document").fetchone()[0]
    assert left == 0


def test_migration_backfills_existing_meetings_and_contacts(app, org):
    from intranet import migrations

    make_meeting("Bestand vor dem Index", invited=[org], start=utcnow() - dt.timedelta(days=9))
    person(org, given_name="Bea", family_name="Bestand")
    fulltext.SearchEntry.delete().execute()
    runner = migrations.runner()
    with db.atomic():
        if isinstance(db.obj, SqliteDatabase):
            db.execute_sql("DROP TABLE search_text")
        else:
            db.execute_sql("DROP TABLE search_document")
        db.execute_sql("DROP TABLE search_entry")
        runner.History.delete().where(
            runner.History.name.in_(["0004_fulltext", "0024_search_kind_in_index"])
        ).execute()
    runner.up()
    assert {e.kind for e in fulltext.SearchEntry.select()} == {"meeting", "person"}
    assert fulltext.search("meeting", [1, 2, 3, 4], search_terms("bestand")).total == 1
    assert fulltext.search("person", [1, 2, 3, 4], search_terms("bestand")).total == 1


def test_renamed_organisation_finds_its_people(client, app, org, member):
    from intranet.admin.services import ORGANIZATION_FIELDS, save_organization

    person(org, given_name="Lea", family_name="Lorenz")
    data = {name: getattr(org, name) for name in ORGANIZATION_FIELDS}
    save_organization(org, {**data, "name": "Kulturverein Morgenrot"})
    sign_in(client, member)
    assert "Lea Lorenz" in text_of(client.get("/search?q=morgenrot").get_data(as_text=True))


# --- Agenda items: findable, each through its own label -----------------------------------------


def test_agenda_items_are_found_only_where_their_own_label_allows(
    client, org, other_org, coordinator, member
):
    from intranet.meetings import agenda as meetings_agenda

    meeting = make_meeting("Plenum", "green", organization=org, invited=[other_org])
    open_item = meetings_agenda.add_agenda_item(
        meeting, "Verkehrsplanung Stadtfest", "", None, "green", coordinator
    )
    closed = meetings_agenda.add_agenda_item(
        meeting, "Gefährdungslage Moscheegemeinde", "", org.id, "amber", coordinator
    )
    sign_in(client, member)  # invited, but the AMBER item names only the organiser
    page = client.get("/search?q=stadtfest").get_data(as_text=True)
    assert f"/meetings/{meeting.id}#item-{open_item.id}" in page
    assert "Plenum – Verkehrsplanung <mark>Stadtfest</mark>" in page and "&lt;mark&gt;" not in page
    page = client.get("/search?q=gefahrdungslage").get_data(as_text=True)
    assert f"#item-{closed.id}" not in page and "<mark>" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, coordinator)
    assert f"#item-{closed.id}" in client.get("/search?q=gefahrdungslage").get_data(as_text=True)
    meetings_agenda.delete_agenda_item(meeting, closed.id, coordinator)
    assert f"#item-{closed.id}" not in client.get("/search?q=gefahrdungslage").get_data(
        as_text=True
    )


def test_the_sql_rule_for_agenda_items_agrees_with_the_python_rule(app, org, other_org):
    from intranet.meetings import access
    from intranet.meetings.models import AgendaItem

    third = factories.organization("Dritte")
    named = factories.account("member", third)
    accounts = [
        factories.account("member", org),
        factories.account("member", other_org),
        factories.account("member", third),
        named,
        factories.account("admin"),
    ]
    for meeting_label in ("green", "amber", "red"):
        meeting = make_meeting(
            meeting_label, meeting_label, organization=org, invited=[other_org], persons=[named]
        )
        for item_label in ("clear", "green", "amber", "amber_strict", "red"):
            for presenter in (None, other_org, third):
                AgendaItem.create(meeting=meeting, position=1, title="x", label=item_label,
                                  organization=presenter)  # fmt: skip
    for account in accounts:
        in_sql = {row.id for row in access.visible_agenda_items(account)}
        for item in AgendaItem.select():
            context = access.load_context(item.meeting)
            expected = context.visible_to(account) and access.can_see_agenda_item(
                account, item, item.meeting, context.person_ids
            )
            assert (item.id in in_sql) is expected, (
                account.organization_id,
                item.label,
                item.meeting.label,
            )


def test_snippets_show_words_not_markdown_and_stay_fast_on_hostile_text():
    import time

    text = "### Tagesordnung\n\n1. **Begrüßung**\n2. Umgang mit [Hass](https://x.org) im Netz"
    assert str(marking.snippet(text, ["hass"])) == (
        "Tagesordnung Begrüßung Umgang mit <mark>Hass</mark> im Netz"
    )
    # A sign on the first line, after an empty list item, after a blank line with spaces.
    lists = "# Punkte\n1.\n2.\tHass\n-\n- Netz\n  \n   > Zitat **fett** `Code` | Zelle"
    assert marking.plain(lists) == "Punkte Hass Netz Zitat fett Code Zelle"
    emphasis = "Bitte *Zusage* oder _Absage_: die **Polizei**, `x`; ***ganz*** **Haus**halt"
    assert marking.plain(emphasis) == "Bitte Zusage oder Absage: die Polizei, x; ganz Haushalt"
    # A lone sign is no emphasis: gender star, footnotes, snake_case, a path, an escaped sign.
    for lone in ("Teilnehmer*innen", "Fußnote (*)", "Beschluss*) gilt", "12 €*", "5 * 3",
                 "snake_case", "/_next/a", r"\*nicht kursiv\*"):  # fmt: skip
        assert marking.plain(f"{lone} und *mehr*") == f"{lone} und mehr", lone
    # A gender star inside emphasis stays, as on the page.
    assert (
        marking.plain("*Bürger*innen* und _Teilnehmer*innen_")
        == "Bürger*innen und Teilnehmer*innen"
    )
    hostile_texts = ("[" * 100_000, "[a](" * 25_000, "](" * 50_000, "|" * 100_000, "# " * 50_000,
                     "*a " * 30_000, "*" + "a" * 100_000, "_a" * 50_000, "\n1." * 30_000,
                     " *" + "a*" * 50_000, " *a*a" * 20_000)  # fmt: skip
    for hostile in hostile_texts:
        started = time.perf_counter()
        marking.snippet(hostile, ["a"])
        assert time.perf_counter() - started < 0.5  # measured about 20 ms


def _snippet_marking_its_piece_alone(text, words, length=marking.SNIPPET_LENGTH):
    """How snippets were made before they reused the whole text's matches: the piece is placed
    by the first match and then searched and marked again on its own."""
    text = " ".join(marking.plain(text).split())
    first = marking._first_match(text, words) if len(text) > length else None
    start, end = marking._piece(text, first, length)
    piece = str(marking.highlight(text[start:end], words)) if text else ""
    return ("… " if start else "") + piece + (" …" if end < len(text) else "")


def test_a_snippet_marks_what_searching_its_piece_alone_would_mark():
    """A snippet folds and searches a text once and marks the shown piece with those matches;
    on random texts with letters that fold unevenly (ß, İ) and pieces cut at spaces it reads as
    before, when the piece was searched again on its own. (Cut inside a run without spaces, a
    match at the cut is now marked as far as it shows, and a fragment that begins no word of
    the whole text is not.)"""
    chance = random.Random(21)
    alphabet = "aäbcßdeéfgSsıİ  .,-[]*#Üü"
    for _ in range(400):
        text = "".join(chance.choice(alphabet) for _ in range(chance.randint(150, 700)))
        for words in (["ss"], ["a"], ["ube", "sa"], ["fg"]):
            assert str(marking.snippet(text, words)) == _snippet_marking_its_piece_alone(
                text, words
            ), (text, words)


# --- One kind's search ranks and counts only that kind (kind inside the index, 0024) ----------


def _side_table_matches(kind: str, query: str) -> set[int]:
    """Entry ids the side table itself answers for `kind`'s match of `query`."""
    words = fulltext.query_words(search_terms(query))
    if isinstance(db.obj, SqliteDatabase):
        sql = "SELECT rowid FROM search_text WHERE search_text MATCH ?"
        params = (fulltext._fts5_query(kind, words),)
    else:
        sql = "SELECT entry_id FROM search_document WHERE document @@ to_tsquery('simple', %s)"
        params = (fulltext._tsquery(kind, words),)
    return {row[0] for row in db.execute_sql(sql, params).fetchall()}


def test_the_index_answers_a_kinds_match_with_that_kinds_items_only(app):
    kinds = ("meeting", "agenda_item", "minutes", "minutes_section", "person")
    for kind in kinds:
        fulltext.index(kind, 1, "Zebrastreifen", "am Zebrastreifen")
    entries = {e.kind: e.id for e in fulltext.SearchEntry.select()}
    for kind in kinds:
        assert _side_table_matches(kind, "zebra") == {entries[kind]}
        found = fulltext.search(kind, [1], search_terms("zebrastreifen"))
        assert found.total == 1 and [m.item_id for m in found.matches] == [1]
    # "minutes" is a prefix of "minutes_section": neither token reaches the other kind.
    assert _side_table_matches("minutes", "zebra") != _side_table_matches(
        "minutes_section", "zebra"
    )


@pytest.mark.parametrize("query", ["kmeeting", "kperson", "kminutessection", "kind", "k"])
def test_typed_words_never_match_the_kind_token(app, query):
    fulltext.index("meeting", 1, "Probe", "Text")
    fulltext.index("person", 1, "Probe", "Text")
    for kind in ("meeting", "person"):
        assert fulltext.search(kind, [1], search_terms(query)).total == 0
        assert fulltext.search(kind, [1], search_terms(f"probe {query}")).total == 0


def test_postgres_query_lets_the_index_answer_without_rereading_documents(app):
    """A weight in a tsquery makes PostgreSQL re-read every matching tsvector after the GIN
    index found it (90 ms per kind at 10,000 minutes): only typed words that could reach a
    kind's token (they start with "k") keep one. A title holding another kind's token still
    finds nothing of that kind."""
    assert fulltext._tsquery("minutes", ["sicherheit", "ab", "kon"]) == (
        "'kminutes' & 'sicherheit':* & 'ab' & 'kon':*AB"
    )
    fulltext.index("meeting", 1, "kminutes Bericht", "kminutes")
    fulltext.index("minutes", 2, "Protokoll", "Text")
    assert fulltext.search("minutes", [1, 2], search_terms("bericht")).total == 0
    assert fulltext.search("meeting", [1, 2], search_terms("protokoll")).total == 0


@pytest.mark.parametrize("query", HOSTILE + ["{kind} : kmeeting", "kind:kmeeting", "'kmeeting':D"])
def test_hostile_queries_stay_words_in_every_kind(app, query):
    for kind in ("meeting", "agenda_item", "minutes", "minutes_section", "person"):
        fulltext.index(kind, 1, "Präventionsrunde", "Geheimer Hinweis")
        found = fulltext.search(kind, [2], search_terms(query), limit=5)
        assert found.total == 0 and found.matches == []


def test_hidden_hits_that_rank_higher_are_never_counted_ranked_or_shown(app):
    """Hidden items with the word in their title (ranked far above) must not push the visible
    ones off the page, nor count, nor leave their text in a snippet."""
    for item_id in range(1, 31):
        fulltext.index("minutes", item_id, "Fahrradstaffel Fahrradstaffel", "geheim Fahrradstaffel")
    for item_id in (40, 41, 42):
        fulltext.index("minutes", item_id, "Bericht", f"offen {item_id} Fahrradstaffel")
    fulltext.index("minutes_section", 43, "Fahrradstaffel", "andere Art")
    found = fulltext.search("minutes", [40, 41, 42, 43], search_terms("fahrradstaffel"), limit=2)
    assert found.total == 3
    assert len(found.matches) == 2 and {m.item_id for m in found.matches} <= {40, 41, 42}
    assert all("geheim" not in str(m.snippet) for m in found.matches)


def test_migration_0024_rebuilds_the_index_with_each_items_kind(app):
    """An index of the old shape (0004, no kinds) is rebuilt: every kind finds its own."""
    from intranet import migrations

    fulltext.index("minutes", 5, "Altbestand", "Text")
    fulltext.index("minutes_section", 5, "Altbestand", "Text")
    runner = migrations.runner()
    migration = "0024_search_kind_in_index"
    with db.atomic():
        if isinstance(db.obj, SqliteDatabase):
            db.execute_sql("DROP TABLE search_text")
            db.execute_sql(
                "CREATE VIRTUAL TABLE search_text USING fts5("
                "title, body, tokenize='unicode61 remove_diacritics 2')"
            )
            db.execute_sql(
                "INSERT INTO search_text (search_text, rank) VALUES ('rank', 'bm25(10.0, 1.0)')"
            )
            db.execute_sql(
                "INSERT INTO search_text (rowid, title, body) SELECT id, lower(title), lower(body)"
                " FROM search_entry"
            )
        else:
            db.execute_sql("UPDATE search_document SET document = ts_filter(document, '{a,b}')")
        runner.History.delete().where(runner.History.name == migration).execute()
    runner.up()
    for kind in ("minutes", "minutes_section"):
        found = fulltext.search(kind, [5], search_terms("altbestand"))
        assert found.total == 1 and found.matches[0].item_id == 5


def test_each_kind_shows_its_best_hits_and_says_how_many_it_found(client, app, org, member):
    from intranet.core.search import HITS_PER_KIND

    for n in range(HITS_PER_KIND + 3):
        make_meeting(f"Fahrradstaffel {n}", invited=[org])
    sign_in(client, member)
    page = client.get("/search?q=fahrradstaffel").get_data(as_text=True)
    assert page.count("<mark>Fahrradstaffel</mark>") == HITS_PER_KIND
    assert f"Termine ({HITS_PER_KIND + 3})" in text_of(page)
    assert f"die {HITS_PER_KIND} besten Treffer" in text_of(page)


def test_search_queries_do_not_grow_with_hits_of_any_kind(client, app, org, member, count_queries):
    """One hit or a full page of hits in every kind (meetings, agenda items, minutes, their
    sections, contacts): the same few queries, and the shown hits link to their items."""
    from intranet.core.search import HITS_PER_KIND
    from intranet.minutes import search_index as minutes_index
    from intranet.minutes.models import MinutesSection

    def add(n):
        meeting = make_meeting(f"Fahrradstaffel {n}", invited=[org])
        item = AgendaItem.create(meeting=meeting, position=1, title=f"Fahrradstaffel Lage {n}")
        search_provider.index_agenda_item(item)
        minutes = factories.minutes(meeting, state="released", body=f"Fahrradstaffel Text {n}")
        MinutesSection.create(minutes=minutes, position=1, title=f"Fahrradstaffel Abschnitt {n}")
        minutes_index.index_minutes(minutes.id)
        person(org, family_name=f"Fahrradstaffel{n}", given_name="Kim")
        return meeting, item, minutes

    meeting, item, minutes = add(0)
    sign_in(client, member)

    def search_queries():
        with count_queries() as counted:
            page = client.get("/search?q=fahrradstaffel").get_data(as_text=True)
        return counted.n, page

    few, page = search_queries()
    assert f'href="/meetings/{meeting.id}"' in page
    assert f'href="/meetings/{meeting.id}#item-{item.id}"' in page
    assert f'href="/minutes/{minutes.id}"' in page
    assert f'href="/minutes/{minutes.id}#section-' in page
    for n in range(1, HITS_PER_KIND + 3):
        add(n)
    many, page = search_queries()
    assert page.count("<mark>Fahrradstaffel</mark>") >= 5 * HITS_PER_KIND
    assert many == few
    # The account, the site settings, and per area the ranked hits with what they show plus
    # one read of the shown texts: meetings with agenda items, minutes with sections, contacts.
    assert many <= 10


def test_a_corrections_hit_is_titled_as_the_correction(client, app, org, member):
    from intranet.minutes import search_index as minutes_index

    meeting = make_meeting("Fahrradstaffel", invited=[org])
    original = factories.minutes(meeting, state="released", body="Erste Fassung Lagebild")
    correction = factories.minutes(
        meeting,
        state="released",
        body="Berichtigte Fassung Lagebild",
        corrects=original,
        document_key=f"meeting:{meeting.id}:correction",
    )
    for minutes in (original, correction):
        minutes_index.index_minutes(minutes.id)
    sign_in(client, member)
    page = text_of(client.get("/search?q=lagebild").get_data(as_text=True))
    assert "Berichtigung des Protokolls: Fahrradstaffel" in page
    assert "Protokoll: Fahrradstaffel" in page


def test_a_common_word_is_counted_up_to_the_pool_and_said_to_be_more(app):
    """Beyond POOL visible matches the count stops: "more than 100", and the hits shown are the
    best ranked of the newest; hidden matches, newer still, neither count nor fill the pool."""
    pool = fulltext.POOL
    for item_id in range(1, pool + 21):
        fulltext.index("minutes", item_id, "Bericht", "Fahrradstaffel im Einsatz")
    fulltext.index("minutes", 3, "Fahrradstaffel Fahrradstaffel", "Fahrradstaffel")  # oldest
    fulltext.index("minutes", pool + 10, "Fahrradstaffel", "Fahrradstaffel")  # among the newest
    hidden = range(pool + 100, 2 * pool + 200)
    for item_id in hidden:
        fulltext.index("minutes", item_id, "Fahrradstaffel", "geheim")
    visible = list(range(1, pool + 21))
    found = fulltext.search("minutes", visible, search_terms("fahrradstaffel"), limit=3)
    assert found.total == pool and found.more
    assert found.matches[0].item_id == pool + 10
    assert {m.item_id for m in found.matches}.isdisjoint(hidden)
    assert all("geheim" not in str(m.snippet) for m in found.matches)
    few = fulltext.search("minutes", visible[:pool], search_terms("fahrradstaffel"), limit=3)
    assert few.total == pool and not few.more


def test_the_page_says_more_than_when_a_count_stopped(client, app, org, member, monkeypatch):
    monkeypatch.setattr(fulltext, "POOL", 3)
    for n in range(5):
        make_meeting(f"Fahrradstaffel {n}", invited=[org])
    make_meeting("Fahrradstaffel geheim", label="amber", organization=org)
    person(org, family_name="Fahrradstaffel", given_name="Kim")
    sign_in(client, member)
    page = text_of(client.get("/search?q=fahrradstaffel").get_data(as_text=True))
    assert "Mehr als 4 Treffer gefunden." in page
    assert "Termine (mehr als 3)" in page and "Kontakte (1)" in page
    assert "die 3 besten der neuesten Treffer" in page
    assert "geheim" not in page
    monkeypatch.setattr(fulltext, "POOL", 100)
    page = text_of(client.get("/search?q=fahrradstaffel").get_data(as_text=True))
    assert "6 Treffer gefunden." in page and "Termine (5)" in page and "mehr als" not in page


@pytest.mark.parametrize("query", ["௰kmeeting", "௰௰", "probe ௰kmeeting"])
def test_letters_the_database_drops_never_make_a_word_match_every_item(app, query):
    """On PostgreSQL the parser drops the Tamil numeral: "௰kmeeting" became the kind's own
    token and "௰௰" no word at all, and either found every item of the kind."""
    from intranet.core import fulltext
    from intranet.core.search import search_terms

    fulltext.index("meeting", 1, "Bericht", "Nichts davon")
    fulltext.index("meeting", 2, "Protokoll", "Auch nichts")
    found = fulltext.search("meeting", [1, 2], search_terms(query))
    assert found.total == 0, [m.item_id for m in found.matches]


def test_folding_for_marks_is_every_characters_own_fold_for_all_of_unicode(monkeypatch):
    """`marking._folded` lowers ASCII in C and looks up only the other characters; that must
    fold each character as looking up every one would, for every code point that has a case
    or a decomposition (the first two planes, and plane 2's compatibility ideographs), in runs
    of mixed text, and it must learn the characters as written that fold unevenly: "ẞ", whose
    lower case "ß" is another character."""
    monkeypatch.setattr(marking, "_FOLDS", marking._Folds())
    monkeypatch.setattr(marking, "_UNEVEN", set())
    marking._uneven_pattern.cache_clear()
    folded, shifts = marking._folded("GROẞE")
    assert folded == "grosse" and shifts is not None
    assert [marking._original_index(shifts, p) for p in range(6)] == [0, 1, 2, 3, 3, 4]
    # Runs without the few characters whose lower case is longer ("İ"): with one of them a
    # whole text takes the lookup of every character, and the run would test nothing.
    codes = [
        code
        for code in (*range(0x20000), *range(0x2F800, 0x2FA20))
        if not 0xD800 <= code <= 0xDFFF and len(chr(code).lower()) == 1
    ]
    for start in range(0, len(codes), 4096):
        run = "".join("Ab " + chr(code) for code in codes[start : start + 4096])
        assert marking._fold_unicode(run) == run.translate(marking._FOLDS), hex(codes[start])
    assert marking._folded("Ärger über Öl")[0] == "arger uber ol"
    with_longer = "İstanbul Ärger"
    assert marking._folded(with_longer)[0] == with_longer.translate(marking._FOLDS)
    marking._uneven_pattern.cache_clear()


def test_positions_in_folded_text_map_back_like_a_character_by_character_count():
    """`marking._Shifts` looks only at the characters that fold to more or fewer than one; the
    result must be what counting every character's fold gives, for every position."""
    pieces = ["a", "Straße", "ß", "e\u0301", "\u0301", "ﬁ", "Ǆ", "İ", " ", "Über", "x\u0308\u0301"]
    chooser = random.Random(7)
    for _ in range(300):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randrange(1, 12)))
        folded, shifts = marking._folded(text)
        fold_lengths = [len(marking._FOLDS[ord(ch)]) for ch in text]
        ends = list(itertools.accumulate(fold_lengths))
        assert len(folded) == ends[-1]
        for position in range(len(folded) + 1):
            expected = min(bisect.bisect_right(ends, position), len(text))
            assert marking._original_index(shifts, position) == expected, (text, position)
