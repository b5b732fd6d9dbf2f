"""Minutes over HTTP: every address applies the same rule (404, never the data), the editor
with preview and conflicts, workflow buttons, comments, confirmations, archive and action items."""

import datetime as dt
import re

import pytest

from intranet.core import times
from intranet.meetings import access as meetings_access
from intranet.meetings.models import AgendaItem, Meeting
from intranet.minutes import access
from intranet.minutes import editing as minutes_editing
from intranet.minutes.models import (
    ActionItem,
    Decision,
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
    ReadConfirmation,
)
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in


@pytest.fixture
def world(app, org, other_org, admin, coordinator, reviewer, member):
    """Minutes in every state and several labels; the accounts of conftest plus a named one."""
    third = factories.organization("Dritter Verein")
    named = factories.account("member", third, email="benannt@example.org")
    past = utcnow().replace(microsecond=0) - dt.timedelta(days=20)

    def make(key, state, label, meeting_label="green", organization=None, invited=(), persons=()):
        meeting = factories.meeting(key, meeting_label, organization, invited, persons, start=past)
        minutes = factories.minutes(meeting, state, label, body=f"Text {key}")
        MinutesVersion.create(minutes=minutes, number=1, body=minutes.body)
        return minutes

    minutes = {
        "draft": make("draft", "draft", "green", organization=org),
        "review": make("review", "in_review", "green", organization=org),
        "circulating": make("circulating", "circulating", "green", organization=org),
        "released": make("released", "released", "green", organization=org),
        "amber_other": make("amber_other", "released", "amber", invited=[other_org]),
        "strict_org": make("strict_org", "released", "amber_strict", organization=org),
        "red": make("red", "released", "red", "red", persons=[named]),
    }
    Minutes.update(objection_deadline=utcnow() + dt.timedelta(days=5)).where(
        Minutes.state == "circulating"
    ).execute()
    accounts = {
        "admin": admin,
        "coordinator": coordinator,
        "reviewer": reviewer,
        "member": member,
        "named": named,
    }
    return minutes, accounts


VISIBLE = {
    "admin": {"circulating", "released"},
    "coordinator": {"draft", "review", "circulating", "released", "strict_org"},
    "reviewer": {"review", "circulating", "released", "strict_org"},
    "member": {"circulating", "released", "amber_other"},
    "named": {"circulating", "released", "red"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_every_address_applies_the_same_rule(client, world, who):
    minutes, accounts = world
    sign_in(client, accounts[who])
    archive = client.get("/minutes").get_data(as_text=True)
    token = csrf_token(client)
    for key, item in minutes.items():
        allowed = key in VISIBLE[who]
        assert client.get(f"/minutes/{item.id}").status_code == (200 if allowed else 404), (
            who,
            key,
        )
        assert (f'href="/minutes/{item.id}"' in archive) is allowed, (who, key)
        meeting_page = client.get(f"/meetings/{item.meeting_id}").get_data(as_text=True)
        assert (f'href="/minutes/{item.id}"' in meeting_page) is allowed, (who, key)
        may_edit = allowed and key == "draft" and who == "coordinator"
        edit = client.get(f"/minutes/{item.id}/edit")
        assert edit.status_code == (200 if may_edit else 404), (who, key)
        may_compare = allowed and who in ("coordinator", "reviewer")
        compare = client.get(f"/minutes/{item.id}/compare")
        assert compare.status_code == (200 if may_compare else 404), (who, key)
        preview = client.post(
            f"/minutes/{item.id}/preview",
            data={"csrf_token": token, "body": "x"},
            headers={"HX-Request": "true"},
        )
        assert preview.status_code == (200 if may_edit else 404), (who, key)
        for path in ("comments", "confirm", "correct", "step", "sections"):
            response = client.post(f"/minutes/{item.id}/{path}", data={"csrf_token": token})
            if not allowed:
                assert response.status_code == 404, (who, key, path)


@pytest.mark.parametrize(
    "path", ["/minutes", "/minutes/1", "/minutes/1/edit", "/minutes/actions", "/minutes/1/compare"]
)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_navigation_shows_minutes(client, member):
    sign_in(client, member)
    page = client.get("/minutes").get_data(as_text=True)
    assert '<a href="/minutes" aria-current="page">Protokolle</a>' in page


# --- Starting and editing ----------------------------------------------------------------------------


@pytest.fixture
def meeting(app, org, other_org):
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
    meeting = factories.meeting("Plenum", organization=org, invited=[other_org], start=start)
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    return meeting


def test_coordinator_starts_minutes_from_the_meeting_page(client, coordinator, member, meeting):
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Noch kein Protokoll." in page and "Protokoll beginnen" not in page
    response = client.post(
        f"/meetings/{meeting.id}/minutes", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Protokoll beginnen" in page
    response = client.post(
        f"/meetings/{meeting.id}/minutes", data={"csrf_token": csrf_token(client)}
    )
    minutes = Minutes.get()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/minutes/{minutes.id}/edit"
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    # One document top to bottom: the general part, then the item; the agenda is not listed
    # a second time in the general text.
    assert "- TOP 1: Lagebild" not in editor
    general = editor.index("Allgemeines (vor den Tagesordnungspunkten)")
    assert general < editor.index("TOP 1: Lagebild</") < editor.index("Fassungen</")


def edit_data(client, minutes, **values):
    data = {
        "csrf_token": csrf_token(client, f"/minutes/{minutes.id}/edit"),
        "body": "Neuer Text",
        "label": "green",
        "version": str(minutes.version),
    }
    data.update(values)
    return data


def test_second_saver_gets_409_with_their_text_and_the_difference(
    client, coordinator, meeting, org
):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    sign_in(client, coordinator)
    stale = edit_data(client, minutes, body="Mein Text\nZeile zwei")
    first = client.post(
        f"/minutes/{minutes.id}/edit", data=edit_data(client, minutes, body="Ihr Text\nZeile zwei")
    )
    assert first.status_code == 303
    second = client.post(f"/minutes/{minutes.id}/edit", data=stale)
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "in der Zwischenzeit gespeichert" in body
    assert "Mein Text\nZeile zwei</textarea>" in body  # their text kept in the form
    assert re.search(r"entfernt:</span> <del>Ihr Text</del>", body)
    assert re.search(r"hinzugefügt:</span> <ins>Mein Text</ins>", body)
    assert 'name="version" type="hidden" value="2"' in body  # saving again is deliberate
    assert Minutes.get_by_id(minutes.id).body == "Ihr Text\nZeile zwei"


def test_preview_with_and_without_javascript(client, coordinator, meeting):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    sign_in(client, coordinator)
    data = edit_data(client, minutes, body="**fett** <script>x</script>")
    fragment = client.post(
        f"/minutes/{minutes.id}/preview",
        data=data,
        headers={"HX-Request": "true", "HX-Target": "preview"},
    )
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and text.startswith('<section id="preview"')
    assert "<strong>fett</strong>" in text and "<script>" not in text
    page = client.post(f"/minutes/{minutes.id}/edit", data={**data, "preview": "1"})
    assert page.status_code == 200 and "<strong>fett</strong>" in page.get_data(as_text=True)
    assert Minutes.get_by_id(minutes.id).version == 1  # a preview saves nothing


HOSTILE = (
    "<script>alert(1)</script>\n\n"
    '<img src=x onerror="alert(2)">\n\n'
    '<div hx-get="/logout" hx-trigger="load">x</div>\n\n'
    "[klick](javascript:alert(3)) [daten](data:text/html,<b>) "
    '[ok](https://example.org "t" onmouseover="alert(4)")\n\n'
    "![bild](https://example.org/x.png) [gut](https://example.org)"
)


def test_hostile_markdown_never_reaches_the_page_as_markup(client, coordinator, meeting):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    sign_in(client, coordinator)
    section = MinutesSection.get()
    response = client.post(
        f"/minutes/{minutes.id}/edit", data=edit_data(client, minutes, body=HOSTILE)
    )
    assert response.status_code == 303
    context = access.get_minutes_or_404(minutes.id, account=coordinator)
    minutes_editing.save_section(
        context, coordinator, section.title, HOSTILE, "green", None, section
    )
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    blocks = re.findall(r'<div class="markdown[^"]*">(.*?)</div>', page, re.S)
    assert len(blocks) == 2  # the text and the section
    for rendered in blocks:
        # Shown as text at most: no element carries a script, an htmx or an event attribute.
        assert not re.search(r"<script|<img|<div", rendered)
        assert not re.search(r"<[^>]*\s(hx-[a-z]+|on[a-z]+)=", rendered)
        assert not re.search(r'href="(javascript|data):', rendered)
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert "<script>alert" not in editor and "&lt;script&gt;alert(1)" in editor
    assert 'href="https://example.org"' in client.get(f"/minutes/{minutes.id}").get_data(
        as_text=True
    )


def test_chatham_house_banner(client, coordinator, meeting):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    sign_in(client, coordinator)
    client.post(f"/minutes/{minutes.id}/edit", data=edit_data(client, minutes, chatham_house="y"))
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Chatham House Rule: Aussagen dürfen verwendet, aber niemandem zugeordnet werden" in page


def test_sections_decisions_and_action_items(client, coordinator, meeting):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    section = MinutesSection.get()
    sign_in(client, coordinator)
    token = csrf_token(client)
    base = f"/minutes/{minutes.id}/sections/{section.id}"
    assert (
        client.post(
            f"{base}/decisions", data={"csrf_token": token, f"decision{section.id}-text": ""}
        ).status_code
        == 422
    )
    client.post(
        f"{base}/decisions",
        data={"csrf_token": token, f"decision{section.id}-text": "Beschlossen."},
    )
    client.post(
        f"{base}/tasks",
        data={
            "csrf_token": token,
            f"task{section.id}-text": "Einladen",
            f"task{section.id}-responsible": "KPS",
            f"task{section.id}-due_on": "2030-01-31",
        },
    )
    assert Decision.get().text == "Beschlossen." and ActionItem.get().due_on == dt.date(2030, 1, 31)
    response = client.post(
        f"/minutes/{minutes.id}/sections",
        data={
            "csrf_token": token,
            "section-title": "Vertraulich",
            "section-label": "red",
            "section-organization": "0",
        },
    )
    assert response.status_code == 422 and "TLP:RED" in response.get_data(as_text=True)
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Beschlossen." in page and "Einladen" in page and "31.01.2030" in page


# --- Workflow over HTTP ------------------------------------------------------------------------------


def test_return_needs_a_comment_and_the_timeline_shows_who(client, coordinator, reviewer, meeting):
    minutes = minutes_editing.start_minutes(meetings_access.load_context(meeting), coordinator)
    sign_in(client, coordinator)
    response = client.post(
        f"/minutes/{minutes.id}/step", data={"csrf_token": csrf_token(client), "action": "submit"}
    )
    assert response.status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, reviewer)
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Billigen und in Umlauf geben" in page and "Mit Kommentar zurückgeben" in page
    refused = client.post(
        f"/minutes/{minutes.id}/step",
        data={"csrf_token": csrf_token(client), "action": "return", "comment": ""},
    )
    assert refused.status_code == 422 and "braucht einen Kommentar" in refused.get_data(
        as_text=True
    )
    client.post(
        f"/minutes/{minutes.id}/step",
        data={"csrf_token": csrf_token(client), "action": "return", "comment": "TOP 1 fehlt."},
    )
    assert Minutes.get_by_id(minutes.id).state == "draft"
    # The reviewer no longer reads the draft.
    assert client.get(f"/minutes/{minutes.id}").status_code == 404


def test_member_cannot_approve_even_by_posting(client, world):
    minutes, accounts = world
    sign_in(client, accounts["member"])
    item = minutes["circulating"]
    response = client.post(
        f"/minutes/{item.id}/step", data={"csrf_token": csrf_token(client), "action": "release"}
    )
    assert response.status_code == 422
    assert Minutes.get_by_id(item.id).state == "circulating"


def test_objection_and_read_confirmation(client, world):
    minutes, accounts = world
    member = accounts["member"]
    sign_in(client, member)
    item = minutes["circulating"]
    page = client.get(f"/minutes/{item.id}").get_data(as_text=True)
    assert "Einspruchsfrist bis" in page
    empty = client.post(
        f"/minutes/{item.id}/comments",
        data={"csrf_token": csrf_token(client), "kind": "objection", "text": ""},
    )
    assert empty.status_code == 422
    client.post(
        f"/minutes/{item.id}/comments",
        data={"csrf_token": csrf_token(client), "kind": "objection", "text": "So nicht gesagt."},
    )
    assert MinutesComment.get().kind == "objection"
    released = minutes["released"]
    confirm = client.post(
        f"/minutes/{released.id}/confirm",
        data={"csrf_token": csrf_token(client)},
        headers={"HX-Request": "true", "HX-Target": "read-confirmation"},
    )
    assert confirm.status_code == 200 and "Sie haben bestätigt" in confirm.get_data(as_text=True)
    assert ReadConfirmation.select().count() == 1


# --- Archive and action items -------------------------------------------------------------------------


def test_archive_marks_new_and_filters(client, world, other_org):
    minutes, accounts = world
    sign_in(client, accounts["member"])
    page = client.get("/minutes").get_data(as_text=True)
    assert page.count("neu für Sie") == 3
    client.get(f"/minutes/{minutes['released'].id}")
    assert client.get("/minutes").get_data(as_text=True).count("neu für Sie") == 2
    filtered = client.get(f"/minutes?organization={other_org.id}").get_data(as_text=True)
    assert f'href="/minutes/{minutes["amber_other"].id}"' in filtered
    assert f'href="/minutes/{minutes["released"].id}"' not in filtered
    fragment = client.get(
        f"/minutes?year={utcnow().year + 5}",
        headers={"HX-Request": "true", "HX-Target": "archive-list"},
    )
    assert fragment.get_data(as_text=True).startswith('<div id="archive-list">')
    assert "Keine Protokolle gefunden." in fragment.get_data(as_text=True)


def test_reading_minutes_again_writes_no_visit_until_they_change(client, org, member):
    """The page notes a visit only when the reader has not opened the minutes since their last
    change: reading them again is a read, and the archive's "new" mark works as before."""
    from intranet.minutes.models import Minutes, MinutesVisit

    meeting = factories.meeting("Plenum", "green", org, start=utcnow() - dt.timedelta(days=3))
    minutes = factories.minutes(meeting, "released", changed_at=utcnow() - dt.timedelta(days=1))
    sign_in(client, member)

    def seen_at():
        return MinutesVisit.get(MinutesVisit.minutes == minutes.id).seen_at

    assert "neu für Sie" in client.get("/minutes").get_data(as_text=True)
    client.get(f"/minutes/{minutes.id}")
    first = seen_at()
    MinutesVisit.update(seen_at=first - dt.timedelta(seconds=5)).execute()  # tell the two apart
    client.get(f"/minutes/{minutes.id}")
    assert seen_at() == first - dt.timedelta(seconds=5)  # not written again
    assert "neu für Sie" not in client.get("/minutes").get_data(as_text=True)
    Minutes.update(changed_at=utcnow()).where(Minutes.id == minutes.id).execute()
    assert "neu für Sie" in client.get("/minutes").get_data(as_text=True)
    client.get(f"/minutes/{minutes.id}")
    assert seen_at() > first and "neu für Sie" not in client.get("/minutes").get_data(as_text=True)


def test_archive_filters_by_year_and_organisation_alone_and_together(
    client, member, org, other_org
):
    """Each choice of filters is its own compiled query (minutes.archive); each finds what it
    should, with the year counted in Berlin time."""
    sign_in(client, member)
    last, before = utcnow().year - 1, utcnow().year - 2
    own = factories.meeting("Eigenes", "green", org, start=dt.datetime(last, 6, 15, 10))
    other = factories.meeting("Fremdes", "green", other_org, start=dt.datetime(last, 7, 1, 10))
    older = factories.meeting("Altes", "green", org, start=dt.datetime(before, 6, 15, 10))
    # Released on 1 January at 00:30 Berlin time, which is still the old year in UTC.
    new_year = factories.meeting("Neujahr", "green", org, start=dt.datetime(last, 12, 31, 23, 30))
    ids = {m.title: factories.minutes(m, "released").id for m in (own, other, older, new_year)}

    def listed(query):
        page = client.get(f"/minutes?{query}").get_data(as_text=True)
        return {
            title for title, minutes_id in ids.items() if f'href="/minutes/{minutes_id}"' in page
        }

    assert listed(f"year={last}") == {"Eigenes", "Fremdes"}
    assert listed(f"year={last + 1}") == {"Neujahr"}
    assert listed(f"organization={other_org.id}") == {"Fremdes"}
    assert listed(f"year={last}&organization={org.id}") == {"Eigenes"}
    assert listed(f"year={before}&organization={other_org.id}") == set()
    assert listed(f"year={before}&organization={org.id}") == {"Altes"}


def test_archive_reads_page_count_and_years_in_one_query(
    client, member, org, other_org, count_queries
):
    sign_in(client, member)
    now = utcnow()
    starts = [now - dt.timedelta(days=400 * (n % 3) + n) for n in range(30)]
    for n, start in enumerate(starts):
        meeting = factories.meeting(f"Plenum {n}", "green", org, [other_org], start=start)
        factories.minutes(meeting, "released")
    hidden = factories.meeting("Fremd", "amber", org, start=now - dt.timedelta(days=2000))
    factories.minutes(hidden, "released")
    with count_queries() as counted:
        first = client.get("/minutes").get_data(as_text=True)
    # The account, the page with its count and years, the organisations, the site settings.
    assert counted.n <= 4, counted.n
    assert "30 Protokolle" in first and "Seite 1 von 2" in first
    newest, oldest = (times.to_local(s).year for s in (max(starts), min(starts)))
    years = re.findall(r'<option value="(\d{4})"', first)
    assert years == [str(y) for y in range(newest, oldest - 1, -1)]
    beyond = client.get("/minutes?page=9").get_data(as_text=True)
    assert "Seite 2 von 2" in beyond and len(re.findall(r'href="/minutes/\d+"', beyond)) == 5


@pytest.mark.parametrize("path", ["/minutes", "/minutes/actions"])
def test_archive_and_action_items_issue_a_fixed_number_of_queries(
    client, member, org, other_org, count_queries, path
):
    sign_in(client, member)
    counts = []
    for total in (3, 60):
        for n in range(total):
            start = utcnow() - dt.timedelta(days=30 + n)
            meeting = factories.meeting(f"M{total}-{n}", "green", org, [other_org], start=start)
            minutes = factories.minutes(meeting, "released")
            section = MinutesSection.create(minutes=minutes, title="TOP 1")
            ActionItem.create(section=section, text=f"Aufgabe {n}", responsible="KPS")
        with count_queries() as counted:
            assert client.get(path).status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_coordinator_carries_an_action_item_into_the_next_meeting(client, coordinator, org):
    past = factories.meeting("Plenum", "green", org, start=utcnow() - dt.timedelta(days=10))
    later = factories.meeting("Plenum", "green", org, start=utcnow() + dt.timedelta(days=20))
    minutes = factories.minutes(past, "released")
    section = MinutesSection.create(minutes=minutes, title="TOP 1")
    task = ActionItem.create(section=section, text="Elternabend planen", responsible="KPS")
    sign_in(client, coordinator)
    page = client.get("/minutes/actions").get_data(as_text=True)
    assert "Elternabend planen" in page and "In einen späteren Termin übernehmen" in page
    response = client.post(
        f"/minutes/actions/{task.id}/carry", data={"csrf_token": csrf_token(client)}
    )
    assert response.headers["Location"] == f"/meetings/{later.id}#agenda"
    assert AgendaItem.get(AgendaItem.meeting == later.id).title == "Aufgabe: Elternabend planen"
    assert Meeting.select().count() == 2


def test_a_narrower_section_is_hidden_with_its_decisions_and_action_items(
    client, coordinator, member, org, other_org
):
    past = utcnow() - dt.timedelta(days=30)
    meeting = factories.meeting("Plenum", "green", org, [other_org], start=past)
    minutes = factories.minutes(meeting, "released")
    shared = MinutesSection.create(minutes=minutes, title="TOP 1: Für alle", position=1)
    closed = MinutesSection.create(
        minutes=minutes, title="TOP 2: Fallbesprechung", position=2, label="amber", organization=org
    )
    Decision.create(section=closed, text="Vertraulicher Beschluss")
    ActionItem.create(section=closed, text="Vertrauliche Aufgabe")
    ActionItem.create(section=shared, text="Offene Aufgabe für alle")
    for account, sees in ((member, False), (coordinator, True)):
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        sign_in(client, account)
        page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
        tasks = client.get("/minutes/actions").get_data(as_text=True)
        assert "TOP 1: Für alle" in page and "Offene Aufgabe für alle" in tasks
        for text in ("TOP 2: Fallbesprechung", "Vertraulicher Beschluss", "Vertrauliche Aufgabe"):
            assert (text in page) is sees, (account.role, text)
        assert ("Vertrauliche Aufgabe" in tasks) is sees
        hidden = ActionItem.get(ActionItem.text == "Vertrauliche Aufgabe")
        token = csrf_token(client)
        response = client.post(f"/minutes/actions/{hidden.id}/state", data={"csrf_token": token})
        assert response.status_code == (303 if sees else 404)


def test_minutes_page_issues_a_fixed_number_of_queries(
    client, coordinator, org, other_org, count_queries
):
    sign_in(client, coordinator)
    counts = []
    for total in (2, 40):
        past = utcnow() - dt.timedelta(days=30)
        meeting = factories.meeting(f"Plenum {total}", "green", org, [other_org], start=past)
        minutes = factories.minutes(meeting, "released")
        for n in range(total):
            section = MinutesSection.create(minutes=minutes, title=f"TOP {n}", position=n)
            Decision.create(section=section, text=f"Beschluss {n}")
            ActionItem.create(section=section, text=f"Aufgabe {n}")
            MinutesVersion.create(minutes=minutes, number=n + 1, body=f"Fassung {n}")
            reader = factories.account("member", other_org)
            ReadConfirmation.create(minutes=minutes, account=reader, organization=other_org)
            MinutesComment.create(minutes=minutes, text=f"Kommentar {n}", author_label="X")
            # The release note names each objecting organisation (read with the objections).
            MinutesComment.create(
                minutes=minutes, kind="objection", text=f"Einwand {n}", author_label="X",
                organization=factories.organization(f"Verein {total}-{n}"),
                resolved_at=utcnow(), resolution="Erledigt",
            )  # fmt: skip
        with count_queries() as counted:
            page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
        counts.append(counted.n)
        assert f"Verein {total}-{total - 1}: Einwand {total - 1}" in page
    assert counts[0] == counts[1], counts


def test_minutes_page_reads_what_it_shows_in_few_queries(
    client, member, org, other_org, count_queries
):
    """A member reading circulating minutes with sections, decisions, comments and files: the
    numbering, the hidden items, the sign-off and the files come from what the page reads."""
    past = utcnow() - dt.timedelta(days=3)
    meeting = factories.meeting("Plenum", "green", org, [other_org], start=past)
    minutes = factories.minutes(
        meeting, "circulating", objection_deadline=utcnow() + dt.timedelta(days=5)
    )
    for n in range(3):
        section = MinutesSection.create(minutes=minutes, title=f"TOP {n}", position=n)
        Decision.create(section=section, text=f"Beschluss {n}")
        ActionItem.create(section=section, text=f"Aufgabe {n}")
    closed = MinutesSection.create(
        minutes=minutes, title="TOP intern", position=5, label="amber", organization=org
    )
    Decision.create(section=closed, text="Interner Beschluss")
    after = MinutesSection.create(minutes=minutes, title="TOP danach", position=6)
    Decision.create(section=after, text="Späterer Beschluss")
    MinutesComment.create(
        minutes=minutes, section=after, text="Zum letzten Punkt", author_label="X"
    )
    sign_in(client, member)
    with count_queries() as counted:
        page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    # Before: 21 (sections twice, every decision and file again for their numbers, the
    # organisations, their sign-off and objections apart, the meeting's minutes for corrections).
    assert counted.n <= 13, counted.n
    assert "Interner Beschluss" not in page and "TOP 5 – für Sie nicht freigegeben" in page
    # The hidden item's decision keeps its number: the next one is the fifth.
    assert "<strong>Beschluss 5:</strong> Späterer Beschluss" in page
    assert "Zum letzten Punkt" in page
