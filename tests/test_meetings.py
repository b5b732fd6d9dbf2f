"""The meeting calendar over HTTP and through its services: who sees what, times, series,
answers, attendance, agenda, conflicts and erasure."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from intranet.core import sharing, times
from intranet.core.areas import registry
from intranet.core.text import ALLOWED_TAGS, render_markdown
from intranet.meetings import access, planning
from intranet.meetings import agenda as meetings_agenda
from intranet.meetings import answers as meetings_answers
from intranet.meetings import overview as meetings_overview
from intranet.meetings.models import (
    AgendaItem,
    Answer,
    Attendance,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
)
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import form_data, make_meeting

# --- The sharing rule as a table -------------------------------------------------------------


class Who:
    def __init__(self, id, organization_id, role="member"):
        self.id, self.organization_id, self.role = id, organization_id, role
        self.is_authenticated = True


@pytest.mark.parametrize(
    "label, account, expected",
    [
        ("clear", Who(1, None, "admin"), True),
        ("green", Who(1, None, "admin"), True),
        ("amber", Who(1, None, "admin"), False),
        ("amber", Who(1, 10, "admin"), True),  # the admin's own organisation is named
        ("amber", Who(2, 10), True),
        ("amber", Who(2, 11), False),
        ("amber_strict", Who(2, 10), True),
        ("amber_strict", Who(2, 11, "coordinator"), False),
        ("red", Who(3, 10), True),  # named person
        ("red", Who(2, 10, "coordinator"), False),  # same organisation, not named
        ("red", Who(1, None, "admin"), False),
        ("unknown", Who(3, 10), False),
    ],
)
def test_can_see_table(label, account, expected):
    assert sharing.can_see(account, label, organization_ids={10}, person_ids={3}) is expected


def test_anonymous_sees_nothing():
    class Anonymous:
        is_authenticated = False

    assert not sharing.can_see(Anonymous(), "clear", set(), set())


@pytest.mark.parametrize(
    "role, expected",
    [("admin", True), ("coordinator", True), ("reviewer", False), ("member", False)],
)
def test_who_plans(role, expected):
    assert access.can_plan(Who(1, 1, role)) is expected


@pytest.mark.parametrize(
    "account, label, state, cancelled, expected",
    [
        (Who(1, 10), "green", "invited", False, True),  # invited organisation
        (Who(1, 20), "green", "invited", False, True),  # organising organisation
        (Who(1, 30), "green", "invited", False, False),  # not invited
        (Who(1, 10), "green", "held", False, False),
        (Who(1, 10), "green", "invited", True, False),
        (Who(3, 30), "red", "invited", False, True),  # named person
        (Who(1, 10), "red", "invited", False, False),
    ],
)
def test_who_answers(account, label, state, cancelled, expected):
    meeting = Meeting(label=label, state=state, cancelled=cancelled, organization=20)
    assert access.can_answer(account, meeting, [10], [3]) is expected


# --- Access matrix: page, ics, edit, lists, month grid ------------------------------------------


@pytest.fixture
def world(app, org, other_org, admin, coordinator, reviewer, member):
    third = factories.organization("Dritter Verein")
    named = factories.account("member", third, email="benannt@example.org")
    meetings = {
        "clear": make_meeting("Offen", "clear"),
        "green": make_meeting("Forum", "green"),
        "amber_org": make_meeting("Amber eigene", "amber", organization=org),
        "amber_other": make_meeting("Amber andere", "amber", invited=[other_org]),
        "strict_other": make_meeting("Streng andere", "amber_strict", invited=[other_org]),
        "red": make_meeting("Rot", "red", persons=[named]),
    }
    accounts = {
        "admin": admin,
        "coordinator": coordinator,
        "reviewer": reviewer,
        "member": member,
        "named": named,
    }
    return meetings, accounts


VISIBLE = {
    "admin": {"clear", "green"},
    "coordinator": {"clear", "green", "amber_org"},
    "reviewer": {"clear", "green", "amber_org"},
    "member": {"clear", "green", "amber_other", "strict_other"},
    "named": {"clear", "green", "red"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_every_address_applies_the_same_rule(client, world, who):
    meetings, accounts = world
    sign_in(client, accounts[who])
    start = times.to_local(meetings["green"].start)
    month = client.get(f"/calendar?month={start:%Y-%m}").get_data(as_text=True)
    listing = client.get("/meetings").get_data(as_text=True)
    for key, meeting in meetings.items():
        allowed = key in VISIBLE[who]
        page = client.get(f"/meetings/{meeting.id}")
        assert page.status_code == (200 if allowed else 404), (who, key)
        ics = client.get(f"/meetings/{meeting.id}.ics")
        assert ics.status_code == (200 if allowed and key != "red" else 404), (who, key)
        link = f'href="/meetings/{meeting.id}"'
        assert (link in month) is allowed, (who, key)
        assert (link in listing) is allowed, (who, key)
        edit = client.get(f"/meetings/{meeting.id}/edit")
        may_edit = allowed and accounts[who].role in ("coordinator", "admin")
        assert edit.status_code == (200 if may_edit else 404), (who, key)


@pytest.mark.parametrize("role", ["reviewer", "member"])
def test_only_planners_reach_planning_addresses(client, world, role):
    meetings, accounts = world
    sign_in(client, accounts[role])
    token = csrf_token(client)
    meeting = meetings["green"]
    assert client.get("/meetings/new").status_code == 404
    for path in ("cancel", "state", "agenda", "attendance"):
        response = client.post(f"/meetings/{meeting.id}/{path}", data={"csrf_token": token})
        assert response.status_code == 404, path
    assert not Meeting.get_by_id(meeting.id).cancelled


@pytest.mark.parametrize(
    "path",
    ["/calendar", "/calendar?month=2027-03", "/meetings", "/meetings/1", "/meetings/1.ics",
     "/meetings/new", "/meetings/1/edit", "/meetings/1/attendance"],
)  # fmt: skip
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_unknown_meeting_and_odd_months_do_not_break(client, member):
    sign_in(client, member)
    assert client.get("/meetings/999999").status_code == 404
    for month in ("2027-13", "abc", "-1-1", "99999-01", "2027-3", "' OR 1=1 --", "{{7*7}}"):
        response = client.get("/calendar", query_string={"month": month})
        assert response.status_code == 200, month


# --- Planning, time edge cases ------------------------------------------------------------------


def test_coordinator_plans_a_meeting(client, coordinator, org, other_org):
    sign_in(client, coordinator)
    response = client.post(
        "/meetings/new",
        data=form_data(
            client,
            title='"><svg onload=alert(1)> {{7*7}}',
            organization=str(org.id),
            invited=[str(other_org.id)],
            room="Saal 1",
            city="Dresden",
            description="Hallo <script>alert(1)</script> [x](javascript:alert(1))",
        ),
    )
    assert response.status_code == 303
    meeting = Meeting.get()
    assert meeting.start == dt.datetime(2027, 1, 20, 17, 0)  # 18:00 CET = 17:00 UTC
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "<svg onload" not in page and "&lt;svg onload" in page
    assert "{{7*7}}" in page and ">49<" not in page
    assert "<script>alert" not in page and "javascript:" not in page
    assert other_org.name in page


def test_spring_gap_is_refused_in_german(client, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/meetings/new",
        data=form_data(client, title="Frühjahr", date="2027-03-28", start_time="02:30"),
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Diese Uhrzeit gibt es nicht" in body
    assert 'value="Frühjahr"' in body  # the user's input stays
    assert Meeting.select().count() == 0


def test_ambiguous_autumn_time_is_resolved_the_same_way_and_shown(client, coordinator):
    sign_in(client, coordinator)
    for _ in range(2):
        response = client.post(
            "/meetings/new",
            data=form_data(
                client, title="Herbst", date="2027-10-31", start_time="02:30", end_time="03:30"
            ),
        )
        assert response.status_code == 303
    starts = {m.start for m in Meeting.select()}
    assert starts == {dt.datetime(2027, 10, 31, 0, 30)}  # first 02:30, summer time (UTC+2)
    meeting = Meeting.select().first()
    assert meeting.end - meeting.start == dt.timedelta(hours=2)  # 02:30 CEST → 03:30 CET
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "UTC+02:00" in page


def test_end_before_start_is_refused(client, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/meetings/new", data=form_data(client, start_time="18:00", end_time="17:00")
    )
    assert response.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "values",
    [
        {"date": "kein Datum"},
        {"start_time": "25:99"},
        {"title": ""},
        {"label": "purple"},
        {"organization": "abc"},
        {"online_url": "javascript:alert(1)"},
        {"repeat": "hourly"},
        {"invited": ["999999"]},
        {"title": "x" * 301},
        {"date": "0001-01-01"},
        {"date": "9999-12-31", "repeat": "weekly"},
        {"repeat": "weekly", "repeat_until": "2026-01-01"},
        {"scope": "everything"},
    ],
)
def test_invalid_input_is_422_never_500(client, coordinator, values):
    sign_in(client, coordinator)
    response = client.post("/meetings/new", data=form_data(client, **values))
    assert response.status_code == 422
    assert 'class="kern-error"' in response.get_data(as_text=True) or "kern-alert--danger" in (
        response.get_data(as_text=True)
    )


def test_amber_needs_an_organisation_and_red_names_its_planner(client, coordinator):
    sign_in(client, coordinator)
    response = client.post("/meetings/new", data=form_data(client, label="amber"))
    assert response.status_code == 422
    response = client.post("/meetings/new", data=form_data(client, label="red"))
    assert response.status_code == 303
    meeting = Meeting.get()
    assert [p.account_id for p in meeting.persons] == [coordinator.id]
    assert client.get(f"/meetings/{meeting.id}").status_code == 200


def test_stale_edit_is_refused_not_overwritten(client, coordinator):
    meeting = make_meeting("Original")
    sign_in(client, coordinator)
    path = f"/meetings/{meeting.id}/edit"
    first = form_data(client, path, title="Erste Änderung", version="1")
    second = form_data(client, path, title="Zweite Änderung", version="1")
    assert client.post(path, data=first).status_code == 303
    response = client.post(path, data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "in der Zwischenzeit" in page and 'value="Zweite Änderung"' in page
    fresh = Meeting.get_by_id(meeting.id)
    assert fresh.title == "Erste Änderung" and fresh.sequence == 1 and fresh.version == 2


# --- Series -------------------------------------------------------------------------------------


def plan_series(client, **values):
    data = form_data(
        client,
        title="Forum",
        date="2027-01-20",
        repeat="monthly_weekday",
        repeat_until="2027-12-31",
    )
    data.update(values)
    response = client.post("/meetings/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return list(Meeting.select().order_by(Meeting.start))


def test_series_on_the_third_wednesday_keeps_the_clock_time(client, coordinator):
    sign_in(client, coordinator)
    meetings = plan_series(client)
    assert len(meetings) == 12
    for meeting in meetings:
        local = times.to_local(meeting.start)
        assert local.weekday() == 2 and 15 <= local.day <= 21  # third Wednesday
        assert (local.hour, local.minute) == (18, 0)
    # 18:00 is 17:00 UTC in winter and 16:00 UTC in summer.
    assert meetings[0].start.hour == 17 and meetings[5].start.hour == 16
    page = client.get(f"/meetings/{meetings[0].id}").get_data(as_text=True)
    assert "jeden 3. Mittwoch im Monat" in page


def test_series_is_capped_at_two_years(client, coordinator):
    sign_in(client, coordinator)
    meetings = plan_series(client, repeat="weekly", repeat_until="2040-01-01")
    last = times.to_local(meetings[-1].start).date()
    assert last <= dt.date(2029, 1, 20)
    assert len(meetings) <= 120


def test_edit_this_and_all_following(client, coordinator):
    sign_in(client, coordinator)
    meetings = plan_series(client)
    fifth = meetings[4]
    path = f"/meetings/{fifth.id}/edit"
    local = times.to_local(fifth.start)
    response = client.post(
        path,
        data=form_data(
            client,
            path,
            title="Forum (neu)",
            date=f"{local:%Y-%m-%d}",
            start_time="17:00",
            end_time="19:00",
            scope="following",
            version=str(fifth.version),
        ),
    )
    assert response.status_code == 303
    after = list(Meeting.select().order_by(Meeting.start))
    assert [m.title for m in after[:4]] == ["Forum"] * 4
    assert all(m.title == "Forum (neu)" for m in after[4:])
    assert all(times.to_local(m.start).hour == 17 for m in after[4:])
    assert all(m.sequence == 1 for m in after[4:]) and after[0].sequence == 0


def test_following_edit_leaves_occurrences_not_shared_with_the_editor_untouched(
    client, coordinator, org
):
    """Editing what one can see never changes, nor reveals, what one cannot."""
    colleague = factories.account("coordinator", org, email="kollegin@example.org")
    sign_in(client, coordinator)
    meetings = plan_series(client)
    fifth, secret = meetings[4], meetings[7]
    planning.update_meeting(
        access.load_context(secret),
        planning.MeetingData(
            title="Vertrauliche Runde",
            start_local=times.to_local(secret.start).replace(tzinfo=None),
            end_local=times.to_local(secret.end).replace(tzinfo=None),
            description="Nur für die Benannten",
            label=sharing.RED,
            person_ids=[colleague.id],
        ),
        secret.version,
        colleague,
    )
    assert client.get(f"/meetings/{secret.id}").status_code == 404
    path = f"/meetings/{fifth.id}/edit"
    response = client.post(
        path,
        data=form_data(
            client,
            path,
            title="Forum (neu)",
            date=f"{times.to_local(fifth.start):%Y-%m-%d}",
            description="Für alle",
            scope="following",
            version=str(fifth.version),
        ),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    kept = Meeting.get_by_id(secret.id)
    assert (kept.label, kept.title, kept.description) == (
        sharing.RED,
        "Vertrauliche Runde",
        "Nur für die Benannten",
    )
    named = [p.account_id for p in MeetingPerson.select().where(MeetingPerson.meeting == kept.id)]
    assert named == [colleague.id]
    assert client.get(f"/meetings/{secret.id}").status_code == 404
    assert "1 späterer Termin wurde nicht geändert, weil er nicht mit Ihnen geteilt ist." in page
    others = [m for m in Meeting.select().order_by(Meeting.start)][4:]
    assert [m.title for m in others if m.id != secret.id] == ["Forum (neu)"] * (len(others) - 1)


def test_split_visible_gives_what_the_rule_shows_in_one_query(
    app, org, other_org, admin, coordinator, member, count_queries
):
    """Every bulk action's filter: the visible items of the candidates, and the count of the
    rest, exactly as can_see() decides for each single item."""
    named = factories.account("member", factories.organization("Dritte"))
    for label in sharing.LABELS:
        for organization in (None, org, other_org):
            for persons in ((), (named,), (member, coordinator)):
                make_meeting(label, label, organization, (other_org,), persons)
    candidates = Meeting.select().where(Meeting.organization.is_null(False))
    for account in (admin, coordinator, member, named):
        expected = {m.id for m in candidates if access.load_context(m).visible_to(account)}
        total = candidates.count()
        with count_queries() as counted:
            shown, skipped = sharing.split_visible(candidates, access.visible_clause(account))
        assert {m.id for m in shown} == expected, account.email
        assert skipped == total - len(expected) > 0
        assert counted.n == 1


def test_edit_only_this_occurrence(client, coordinator):
    sign_in(client, coordinator)
    meetings = plan_series(client)
    second = meetings[1]
    path = f"/meetings/{second.id}/edit"
    local = times.to_local(second.start)
    client.post(
        path,
        data=form_data(
            client, path, title="Sondersitzung", date=f"{local:%Y-%m-%d}",
            scope="this", version=str(second.version),
        ),
    )  # fmt: skip
    titles = [m.title for m in Meeting.select().order_by(Meeting.start)]
    assert titles.count("Sondersitzung") == 1 and titles[1] == "Sondersitzung"


def test_cancel_one_occurrence(client, coordinator):
    sign_in(client, coordinator)
    meetings = plan_series(client)
    third = meetings[2]
    response = client.post(
        f"/meetings/{third.id}/cancel",
        data={
            "csrf_token": csrf_token(client),
            "reason": "Feiertag",
            "version": str(third.version),
        },
    )
    assert response.status_code == 303
    cancelled = [m.id for m in Meeting.select().where(Meeting.cancelled == True)]  # noqa: E712
    assert cancelled == [third.id]
    page = client.get(f"/meetings/{third.id}").get_data(as_text=True)
    assert "abgesagt" in page and "Feiertag" in page


# --- Agenda -------------------------------------------------------------------------------------


def test_agenda_add_and_reorder_with_and_without_htmx(client, coordinator):
    meeting = make_meeting()
    sign_in(client, coordinator)
    token = csrf_token(client)
    for title in ("Begrüßung", "Lagebild", "Verschiedenes"):
        response = client.post(
            f"/meetings/{meeting.id}/agenda",
            data={"csrf_token": token, "item-title": title, "item-organization": "0",
                  "item-label": "green",
                  "item-description": "<img src=x onerror=alert(1)> **fett**"},
        )  # fmt: skip
        assert response.status_code == 303
    items = list(AgendaItem.select().order_by(AgendaItem.position))
    # htmx: the agenda fragment comes back, in the new order.
    response = client.post(
        f"/meetings/{meeting.id}/agenda/{items[2].id}/move",
        data={"csrf_token": token, "direction": "up"},
        headers={"HX-Request": "true", "HX-Target": "agenda"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith('<section id="agenda"') or '<section id="agenda"' in body[:200]
    assert "<html" not in body
    assert body.index("Verschiedenes") < body.index("Lagebild")
    # Raw HTML is shown as text, never as an element.
    assert "<img" not in body and "&lt;img" in body and "<strong>fett</strong>" in body
    # Without JavaScript: an ordinary form and a redirect.
    response = client.post(
        f"/meetings/{meeting.id}/agenda/{items[0].id}/move",
        data={"csrf_token": token, "direction": "down"},
    )
    assert response.status_code == 303
    order = [i.title for i in AgendaItem.select().order_by(AgendaItem.position)]
    assert order == ["Verschiedenes", "Begrüßung", "Lagebild"]


@pytest.mark.parametrize(
    ("label", "public"),
    [("clear", True), ("green", False), ("amber", False), ("amber_strict", False), ("red", False)],
)
def test_agenda_item_public_follows_its_label_alone(client, coordinator, org, label, public):
    """One confidentiality setting: OParl `public` is TLP:CLEAR, whatever else is posted."""
    meeting = make_meeting(organization=org, persons=[coordinator])  # named: sees a RED item
    sign_in(client, coordinator)
    token = csrf_token(client)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'name="item-public"' not in page  # no second switch in the form
    response = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={"csrf_token": token, "item-title": "TOP", "item-organization": str(org.id),
              "item-label": label, "item-public": "y" if not public else ""},
    )  # fmt: skip
    assert response.status_code == 303
    item = AgendaItem.get(AgendaItem.meeting == meeting.id)
    assert item.public is public
    # Editing the label moves `public` with it; the edit form has no switch either.
    path = f"/meetings/{meeting.id}/agenda/{item.id}/edit"
    assert 'name="item-public"' not in client.get(path).get_data(as_text=True)
    other = "clear" if label != "clear" else "green"
    client.post(path, data={"csrf_token": token, "item-title": "TOP", "item-label": other,
                            "item-organization": str(org.id)})  # fmt: skip
    assert AgendaItem.get_by_id(item.id).public is (other == "clear")
    shown = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "nicht öffentlich" not in shown


def test_agenda_item_with_its_own_label_is_hidden(client, coordinator, member, org, other_org):
    meeting = make_meeting(organization=org, invited=[other_org])
    AgendaItem.create(meeting=meeting, position=1, title="Für alle", label="green")
    AgendaItem.create(meeting=meeting, position=2, title="Nur Veranstalter", label="amber")
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Für alle" in page and "Nur Veranstalter" not in page
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Nur Veranstalter" in page


def test_agenda_numbers_are_the_same_for_every_viewer(client, coordinator, member, org, other_org):
    """A TOP keeps its number for everyone; what a viewer may not see is a numbered
    placeholder that tells nothing about the item."""
    meeting = make_meeting(organization=org, invited=[other_org])
    AgendaItem.create(meeting=meeting, position=1, title="Begrüßung")
    AgendaItem.create(
        meeting=meeting, position=2, title="Fall Geheimwort", description="Notiz Geheimwort",
        label="amber", organization=org,
    )  # fmt: skip
    AgendaItem.create(meeting=meeting, position=3, title="Verschiedenes")
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "TOP 2: Fall Geheimwort" in page and "TOP 3: Verschiedenes" in page
    assert "nicht freigegeben" not in page
    sign_in(client, member)
    for headers in ({}, {"HX-Request": "true", "HX-Target": "agenda"}):
        page = client.get(f"/meetings/{meeting.id}", headers=headers).get_data(as_text=True)
        agenda = page[page.index('id="agenda"') :]
        assert "TOP 1: Begrüßung" in agenda and "TOP 3: Verschiedenes" in agenda
        assert "TOP 2 – nicht freigegeben" in agenda
        assert agenda.index("TOP 1:") < agenda.index("TOP 2 –") < agenda.index("TOP 3:")
        assert "Geheimwort" not in page and "TLP:AMBER" not in agenda


def test_agenda_item_numbers_come_from_one_query_over_all_items(coordinator, member, org):
    meeting = make_meeting(organization=org)
    for n in range(1, 6):
        AgendaItem.create(meeting=meeting, position=n, title=f"Punkt {n}",
                          label="amber" if n % 2 == 0 else "green")  # fmt: skip
    context = access.load_context(meeting)
    rows = meetings_agenda.agenda_rows(meeting, member, context.person_ids)
    assert [(number, item.title if item else None) for number, item in rows] == [
        (1, "Punkt 1"), (2, None), (3, "Punkt 3"), (4, None), (5, "Punkt 5"),
    ]  # fmt: skip
    items = meetings_agenda.agenda(meeting, coordinator, context.person_ids)
    assert [(item.number, item.title) for item in items] == [(n, f"Punkt {n}") for n in range(1, 6)]


@pytest.mark.parametrize("htmx", [False, True])
def test_red_agenda_item_needs_persons_named_on_the_meeting(client, coordinator, org, htmx):
    """Without persons named nobody, its author included, could ever see a RED item."""
    meeting = make_meeting(organization=org)
    item = AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    sign_in(client, coordinator)
    token = csrf_token(client)
    headers = {"HX-Request": "true", "HX-Target": "agenda"} if htmx else {}
    data = {"csrf_token": token, "item-title": "Vertrauliche Fallbesprechung",
            "item-organization": "0", "item-label": "red"}  # fmt: skip
    response = client.post(f"/meetings/{meeting.id}/agenda", data=data, headers=headers)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "TLP:RED braucht einen Termin, auf dem Personen genannt sind." in body
    assert 'value="Vertrauliche Fallbesprechung"' in body
    assert AgendaItem.select().where(AgendaItem.meeting == meeting.id).count() == 1
    path = f"/meetings/{meeting.id}/agenda/{item.id}/edit"
    response = client.post(path, data={**data, "item-title": "Lagebild neu"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "TLP:RED braucht einen Termin, auf dem Personen genannt sind." in body
    assert 'value="Lagebild neu"' in body
    assert AgendaItem.get_by_id(item.id).label == "green"
    # With a person named the same item is accepted.
    MeetingPerson.create(meeting=meeting, account=coordinator)
    response = client.post(f"/meetings/{meeting.id}/agenda", data=data)
    assert response.status_code == 303


def test_amber_agenda_item_needs_an_organisation_named(client, coordinator):
    meeting = make_meeting()  # no organiser
    sign_in(client, coordinator)
    data = {"csrf_token": csrf_token(client), "item-title": "Fall",
            "item-organization": "0", "item-label": "amber"}  # fmt: skip
    response = client.post(f"/meetings/{meeting.id}/agenda", data=data)
    assert response.status_code == 422
    assert "TLP:AMBER braucht mindestens eine genannte Organisation." in response.get_data(
        as_text=True
    )
    assert not AgendaItem.select().exists()


def test_invalid_agenda_item_is_422_with_message(client, coordinator):
    meeting = make_meeting()
    sign_in(client, coordinator)
    response = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={"csrf_token": csrf_token(client), "item-title": "", "item-organization": "0",
              "item-label": "green"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Bitte füllen Sie dieses Feld aus." in response.get_data(as_text=True)


# --- Answers and attendance ---------------------------------------------------------------------


def test_member_answers_in_place_and_coordinator_sees_who_is_missing(
    client, coordinator, member, org, other_org
):
    colleague = factories.account("member", other_org, display_name="Karla Kollegin")
    meeting = make_meeting(organization=org, invited=[other_org], state="invited")
    sign_in(client, member)
    response = client.post(
        f"/meetings/{meeting.id}/answer",
        data={"csrf_token": csrf_token(client), "answer": "yes"},
        headers={"HX-Request": "true", "HX-Target": "answer"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<section id="answer"' in body and "<html" not in body
    assert 'aria-pressed="true"' in body and 'hx-swap-oob="true"' in body  # announced
    response = client.post(
        f"/meetings/{meeting.id}/answer", data={"csrf_token": csrf_token(client), "answer": "no"}
    )
    assert response.status_code == 303
    assert Answer.get().answer == "no"
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    overview = page[page.index("Antworten je Organisation") :]
    assert member.display_name in overview and "Absage" in overview
    assert colleague.display_name in overview  # has not answered


def test_uninvited_account_cannot_answer(client, member, org):
    meeting = make_meeting(organization=org)
    sign_in(client, member)
    response = client.post(
        f"/meetings/{meeting.id}/answer", data={"csrf_token": csrf_token(client), "answer": "yes"}
    )
    assert response.status_code == 404
    assert Answer.select().count() == 0
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Ihre Organisation ist zu diesem Termin nicht eingeladen." in page
    assert 'name="answer"' not in page


def test_answer_needs_csrf(client, member, other_org):
    meeting = make_meeting(invited=[other_org])
    sign_in(client, member)
    response = client.post(f"/meetings/{meeting.id}/answer", data={"answer": "yes"})
    assert response.status_code == 400
    assert Answer.select().count() == 0


def test_coordinator_records_attendance(client, coordinator, org, other_org):
    # Attendance only from the start on (the start-time rule has its own test).
    meeting = make_meeting(
        organization=org, invited=[other_org], start=utcnow() - dt.timedelta(hours=1)
    )
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert other_org.name in page
    rows = sorted([org, other_org], key=lambda o: o.name)
    data = {"csrf_token": csrf_token(client)}
    for n, (o, status) in enumerate(zip(rows, ("present", "excused"), strict=True)):
        data[f"rows-{n}-organization_id"] = str(o.id)
        data[f"rows-{n}-status"] = status
        data[f"rows-{n}-names"] = "Frau A, Herrn B" if status == "present" else ""
    response = client.post(f"/meetings/{meeting.id}/attendance", data=data)
    assert response.status_code == 303
    assert {a.status for a in Attendance.select()} == {"present", "excused"}
    assert Meeting.get_by_id(meeting.id).state == "held"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "anwesend" in page and "entschuldigt" in page


def test_attendance_for_a_foreign_organisation_is_refused(client, coordinator, org):
    stranger = factories.organization("Fremder Verein")
    meeting = make_meeting(organization=org, start=utcnow() - dt.timedelta(hours=1))
    sign_in(client, coordinator)
    data = {
        "csrf_token": csrf_token(client),
        "rows-0-organization_id": str(stranger.id),
        "rows-0-status": "present",
    }
    response = client.post(f"/meetings/{meeting.id}/attendance", data=data)
    assert response.status_code == 422
    assert Attendance.select().count() == 0


# --- Erasure ------------------------------------------------------------------------------------


def test_erasure_keeps_answers_and_attendance_under_a_pseudonym(
    app, coordinator, member, other_org
):
    meeting = make_meeting(invited=[other_org])
    meetings_answers.give_answer(meeting, member, "yes")
    Attendance.create(
        meeting=meeting, organization=other_org, status="present",
        recorded_by=member, recorded_by_label=member.display_name,
    )  # fmt: skip
    registry().account_erasing.send(member, pseudonym="Person 7F3A")
    member.delete_instance()
    answer = Answer.get()
    assert answer.account_id is None and answer.person_label == "Person 7F3A"
    attendance = Attendance.get()
    assert attendance.recorded_by_id is None and attendance.recorded_by_label == "Person 7F3A"


# --- Markdown -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<a href="/x" hx-get="/admin" hx-trigger="load">x</a>', "hx-"),
        ('"><svg onload=alert(1)>', "<svg"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ('<p style="color:red">x</p>', "style="),
    ],
)
def test_markdown_is_sanitised(text, forbidden):
    # Raw HTML is shown as text, so the words may appear: what must never appear is a
    # tag or attribute a browser would act on.
    parser = _Markup()
    parser.feed(render_markdown(text))
    assert parser.tags <= ALLOWED_TAGS
    assert not any(
        forbidden.strip("<") in name or forbidden in value for name, value in parser.attributes
    )


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_markdown_keeps_ordinary_formatting():
    html = render_markdown("**fett** und [Link](https://example.org)\n\n- eins\n- zwei")
    assert "<strong>fett</strong>" in html and 'href="https://example.org"' in html
    assert "<li>eins</li>" in html


# --- Organisation page helper -------------------------------------------------------------------


def test_upcoming_meetings_for_an_organisation(app, client, member, org, other_org):
    make_meeting("Eingeladen", invited=[other_org])
    make_meeting("Veranstaltet", organization=other_org)
    make_meeting("Fremd", organization=org)
    make_meeting("Vergangen", invited=[other_org], start=utcnow() - dt.timedelta(days=30))
    make_meeting("Geheim", "amber", organization=org, invited=[other_org, org])
    sign_in(client, member)
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        login_user(member)
        titles = [m.title for m in meetings_overview.upcoming_for_organization(member, other_org)]
        html = render_template("meetings/_organization_meetings.html", organization=other_org)
    assert sorted(titles) == ["Eingeladen", "Geheim", "Veranstaltet"]
    assert 'id="organization-meetings"' in html and "Eingeladen" in html and "Fremd" not in html
    outsider = factories.account("member", factories.organization("Z"))
    assert "Geheim" not in [
        m.title for m in meetings_overview.upcoming_for_organization(outsider, other_org)
    ]


def test_calendar_month_fragment_for_htmx(client, member):
    sign_in(client, member)
    response = client.get(
        "/calendar?month=2027-03", headers={"HX-Request": "true", "HX-Target": "month"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="month"')
    assert "März 2027" in body and "month=2027-04" in body and "month=2027-02" in body
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    full = client.get("/calendar?month=2027-03").get_data(as_text=True)
    assert "<html" in full and re.search(r"<title>Kalender: März 2027", full)


def test_each_day_of_the_grid_names_its_date_and_today_is_marked_once(client, member):
    """Screen readers hear each cell's date in words (the grid shows only the day's number),
    and today's cell is the one marked as the current date: in this month, not in others."""
    sign_in(client, member)
    today = times.to_local(utcnow()).date()
    this_month = client.get("/calendar").get_data(as_text=True)
    words = re.findall(
        r'<span class="kern-sr-only">([^<]+)</span><span aria-hidden="true">', this_month
    )
    assert len(words) in (28, 35, 42) and all(re.search(r"\d{4}$", w) for w in words)
    assert this_month.count('aria-current="date"') == 1
    assert this_month.count("month__day--today") == 1
    marked = re.search(
        r'aria-current="date"><span class="kern-sr-only">([^<]+)</span>'
        r'<span aria-hidden="true">(\d+)</span>',
        this_month,
    )
    assert marked and marked.group(2) == str(today.day) and str(today.year) in marked.group(1)
    later = client.get("/calendar?month=2030-01").get_data(as_text=True)
    assert 'aria-current="date"' not in later and "Dienstag, 1. Januar 2030" in later


def test_my_meetings_are_those_of_my_organisation_my_name_or_my_answer(
    client, member, org, other_org
):
    make_meeting("Eingeladen", invited=[other_org])
    make_meeting("Veranstaltet", organization=other_org)
    answered = make_meeting("Beantwortet", organization=org)
    make_meeting("Fremd", organization=org)
    make_meeting("Benannt", "red", persons=[member])
    Answer.create(meeting=answered, account=member, answer="yes")
    sign_in(client, member)
    page = client.get("/meetings?mine=1").get_data(as_text=True)
    for title in ("Eingeladen", "Veranstaltet", "Beantwortet", "Benannt"):
        assert title in page
    assert "Fremd" not in page
    assert "Fremd" in client.get("/meetings").get_data(as_text=True)


def test_meeting_list_fragment_and_past_list(client, member):
    make_meeting("Kommend")
    make_meeting("Vorbei", start=utcnow() - dt.timedelta(days=10))
    sign_in(client, member)
    response = client.get("/meetings", headers={"HX-Request": "true", "HX-Target": "meeting-list"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="meeting-list"') and "Kommend" in body
    assert "Vorbei" not in body
    past = client.get("/meetings?when=past").get_data(as_text=True)
    assert "Vorbei" in past and "Kommend" not in past


def test_meeting_list_paginates(client, member):
    for n in range(25):
        make_meeting(f"Termin {n:02d}", start=utcnow() + dt.timedelta(days=1 + n))
    sign_in(client, member)
    first = client.get("/meetings").get_data(as_text=True)
    second = client.get("/meetings?page=2").get_data(as_text=True)
    assert "Termin 00" in first and "Termin 24" not in first
    assert "Termin 24" in second and "Seite 2 von 2" in second
    assert client.get("/meetings?page=abc").status_code == 200


def test_meeting_page_issues_a_fixed_number_of_queries(client, coordinator, org, count_queries):
    sign_in(client, coordinator)
    counts = []
    for n in (2, 40):
        meeting = make_meeting(organization=org, state="invited")
        for i in range(n):
            AgendaItem.create(meeting=meeting, position=i, title=f"TOP {i}")
            # Items the viewer may not see still count for the numbers (placeholders).
            AgendaItem.create(meeting=meeting, position=n + i, title="Verdeckt", label="red")
            other = factories.organization(f"Eingeladen {n}-{i}")
            MeetingOrganization.create(meeting=meeting, organization=other)
            person = factories.account("member", other)
            meetings_answers.give_answer(meeting, person, "yes")
            Attendance.create(meeting=meeting, organization=other, status="present")
        with count_queries() as counted:
            assert client.get(f"/meetings/{meeting.id}").status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_answer_box_reads_counts_and_own_answer_in_one_query(client, member, org, count_queries):
    meeting = make_meeting(organization=org, state="invited")
    colleague = factories.account("member", org)
    meetings_answers.give_answer(meeting, colleague, "yes")
    meetings_answers.give_answer(meeting, member, "maybe")
    # An erased account's answer counts, but is nobody's own.
    Answer.create(meeting=meeting, account=None, person_label="Pseudonym 1", answer="no")
    expected = {"yes": 1, "no": 1, "maybe": 1}
    without = factories.account("member", org)
    for account, own in ((member, "maybe"), (colleague, "yes"), (without, None)):
        with count_queries() as counted:
            assert meetings_answers.answer_counts(meeting, account) == (expected, own)
        assert counted.n == 1
    sign_in(client, colleague)
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Zusagen: 1, Absagen: 1, Vielleicht: 1" in body
    assert 'id="answer-yes" class="kern-btn kern-btn--primary" aria-pressed="true"' in body


def test_too_long_cancellation_reason_comes_back_with_422(client, coordinator):
    meeting = make_meeting()
    sign_in(client, coordinator)
    reason = "Grund " * 400
    response = client.post(
        f"/meetings/{meeting.id}/cancel",
        data={"csrf_token": csrf_token(client), "reason": reason, "version": "1"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "höchstens 2.000 Zeichen" in body and reason.strip() in body
    assert not Meeting.get_by_id(meeting.id).cancelled


def test_stale_cancellation_is_refused_with_the_reason_kept(client, coordinator):
    meeting = make_meeting()
    sign_in(client, coordinator)
    response = client.post(
        f"/meetings/{meeting.id}/cancel",
        data={"csrf_token": csrf_token(client), "reason": "Raum belegt", "version": "0"},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "in der Zwischenzeit" in page and "Raum belegt" in page
    assert not Meeting.get_by_id(meeting.id).cancelled


def test_sql_rule_and_python_rule_agree(app, org, other_org, admin, coordinator, member):
    """The WHERE clause for lists and can_see() for single objects must never disagree."""
    named = factories.account("member", factories.organization("Dritte"))
    accounts = [admin, coordinator, member, named]
    for label in sharing.LABELS:
        for organization in (None, org, other_org):
            for invited in ((), (org,), (other_org,), (org, other_org)):
                for persons in ((), (named,), (member, coordinator)):
                    make_meeting(label, label, organization, invited, persons)
    for account in accounts:
        in_sql = {m.id for m in access.visible_meetings(account)}
        in_python = {m.id for m in Meeting.select() if access.load_context(m).visible_to(account)}
        assert in_sql == in_python, account.email


@pytest.mark.parametrize(
    "item_label, item_org, expected",
    [
        ("green", None, True),
        ("amber", None, False),  # only the organiser (20) is named, and the account is in 10
        ("amber", 10, True),  # presenting organisation
        ("amber_strict", 10, True),
        ("red", 10, False),  # RED names persons, not organisations
    ],
)
def test_agenda_item_rule(item_label, item_org, expected):
    meeting = Meeting(organization=20, label="green")
    item = AgendaItem(label=item_label, organization=item_org)
    assert access.can_see_agenda_item(Who(1, 10), item, meeting, [3]) is expected
    assert access.can_see_agenda_item(Who(3, 30), AgendaItem(label="red"), meeting, [3])


def test_agenda_item_is_edited_and_foreign_items_are_404(client, coordinator, member, org):
    meeting = make_meeting(organization=org)
    other = make_meeting()
    item = AgendaItem.create(meeting=meeting, position=1, title="Alt")
    foreign = AgendaItem.create(meeting=other, position=1, title="Fremd")
    sign_in(client, coordinator)
    path = f"/meetings/{meeting.id}/agenda/{item.id}/edit"
    assert 'value="Alt"' in client.get(path).get_data(as_text=True)
    assert client.get(f"/meetings/{meeting.id}/agenda/{foreign.id}/edit").status_code == 404
    token = csrf_token(client)
    bad = client.post(path, data={"csrf_token": token, "item-title": "", "item-label": "green",
                                  "item-organization": "0"})  # fmt: skip
    assert bad.status_code == 422
    response = client.post(
        path,
        data={"csrf_token": token, "item-title": "Neu", "item-label": "amber_strict",
              "item-organization": str(org.id)},
    )  # fmt: skip
    assert response.status_code == 303
    item = AgendaItem.get_by_id(item.id)
    assert (item.title, item.label, item.organization_id, item.public) == (
        "Neu", "amber_strict", org.id, False,
    )  # fmt: skip
    sign_in(client, member)
    assert client.get(path).status_code == 404


def test_access_export_holds_the_persons_answers_and_named_meetings(client, org, admin):
    import json

    from tests.factories import person

    account = factories.account("member", org, email="ayse@example.org")
    entry = person(org, account=account.id)
    answered = make_meeting("Plenum im März", invited=[org])
    Answer.create(meeting=answered, account=account, organization=org, answer="yes")
    make_meeting("Offene Runde", persons=[account])
    make_meeting("Fremde Sitzung")
    sign_in(client, admin)
    data = json.loads(client.get(f"/contacts/{entry.id}/privacy.json").get_data(as_text=True))
    assert [a["meeting"] for a in data["meeting_answers"]] == ["Plenum im März"]
    assert data["meeting_answers"][0]["answer"] == "yes"
    assert [m["meeting"] for m in data["named_on_meetings"]] == ["Offene Runde"]
    assert data["calendar_feed"] is False


@pytest.mark.parametrize(
    "path", ["/contacts/{entry}/privacy.json", "/admin/accounts/{account}/privacy.json"]
)
def test_access_export_leaves_out_titles_the_exporting_admin_may_not_see(client, org, admin, path):
    import json

    from tests.factories import person

    account = factories.account("member", org, email="ayse@example.org")
    entry = person(org, account=account.id) if "contacts" in path else None
    red = make_meeting("Vertrauliche Runde", label="red", persons=[account, admin])
    amber = make_meeting("Lage im Stadtteil", label="amber", organization=org)
    Answer.create(meeting=amber, account=account, organization=org, answer="no")
    make_meeting("Offene Runde", persons=[account])
    sign_in(client, admin)
    url = path.format(entry=entry.id if entry else 0, account=account.id)
    body = client.get(url).get_data(as_text=True)
    assert "Vertrauliche Runde" not in body and "Lage im Stadtteil" not in body
    data = json.loads(body)
    withheld, shown = data["named_on_meetings"]
    assert withheld["meeting_id"] == red.id and withheld["label"] == "TLP:RED"
    assert withheld["start_utc"] == red.start.isoformat() and "angemeldet" in withheld["note"]
    assert shown["meeting"] == "Offene Runde" and shown["label"] == "TLP:GREEN"
    answer = data["meeting_answers"][0]
    assert answer["meeting_id"] == amber.id and answer["label"] == "TLP:AMBER"
    assert answer["answer"] == "no" and "meeting" not in answer


def test_organisation_page_lists_its_upcoming_meetings_as_far_as_visible(
    client, org, other_org, member
):
    make_meeting("Offenes Plenum", invited=[org])
    make_meeting("Runde nur für Eingeladene", label="amber", organization=org)
    make_meeting("Vergangene Sitzung", invited=[org], start=utcnow() - dt.timedelta(days=30))
    sign_in(client, member)  # member of other_org, not named on the AMBER meeting
    page = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert 'id="organization-meetings"' in page
    assert "Offenes Plenum" in page
    assert "Runde nur für Eingeladene" not in page and "Vergangene Sitzung" not in page


def test_too_long_description_comes_back_with_a_message_next_to_the_field(client, coordinator):
    sign_in(client, coordinator)
    response = client.post("/meetings/new", data=form_data(client, description="[" * 20_001))
    assert response.status_code == 422
    assert "höchstens 20.000 Zeichen" in response.get_data(as_text=True)
    assert not Meeting.select().exists()
