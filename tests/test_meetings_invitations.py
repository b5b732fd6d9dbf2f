"""Inviting a series at once, the invitation text when mail is off, messages next to the action,
"select all" without JavaScript and where focus goes after adding an agenda item."""

import datetime as dt
import re

import pytest

from intranet.core import sharing, times
from intranet.meetings import access, mail
from intranet.meetings import planning as meetings_planning
from intranet.meetings.models import AgendaItem, Meeting, MeetingOrganization
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import deliver, form_data, make_meeting
from tests.test_meetings import plan_series


def section(page: str, section_id: str) -> str:
    """The HTML of one <section id=…> of the page."""
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def top_flashes(page: str) -> str:
    start = page.index('id="flashes"')
    return page[start : page.index("</div>", start)]


def invite(client, meeting, **data):
    return client.post(
        f"/meetings/{meeting.id}/state",
        data={"csrf_token": csrf_token(client), "action": "invite", **data},
    )


@pytest.fixture
def series(client, coordinator, org, other_org):
    """A monthly series of 12 planned in 2027; the 3rd is cancelled, the 8th was made RED by a
    colleague who alone is named on it (the coordinator must neither see nor touch it)."""
    colleague = factories.account("coordinator", org, email="kollegin@example.org")
    sign_in(client, coordinator)
    meetings = plan_series(client, invited=[str(other_org.id)])
    cancelled, secret = meetings[2], meetings[7]
    meetings_planning.cancel_meeting(cancelled, "Saal belegt", cancelled.version, coordinator)
    meetings_planning.update_meeting(
        access.load_context(secret),
        meetings_planning.MeetingData(
            title="Vertrauliche Runde",
            start_local=times.to_local(secret.start).replace(tzinfo=None),
            end_local=times.to_local(secret.end).replace(tzinfo=None),
            label=sharing.RED,
            person_ids=[colleague.id],
        ),
        secret.version,
        colleague,
    )
    return [Meeting.get_by_id(m.id) for m in meetings]


def test_the_series_invitation_offers_the_visible_occurrences(client, series):
    first, cancelled, secret = series[0], series[2], series[7]
    page = client.get(f"/meetings/{first.id}").get_data(as_text=True)
    planning = section(page, "planning")
    boxes = re.findall(r'name="occurrence" value="(\d+)"[^>]*>', planning)
    assert [int(b) for b in boxes] == [m.id for m in series if m.id != secret.id]
    assert "Vertrauliche Runde" not in page
    cancelled_box = re.search(rf'value="{cancelled.id}"[^>]*>', planning).group(0)
    assert "disabled" in cancelled_box
    assert re.search(rf'value="{first.id}"[^>]*checked', planning)
    assert "Einladung für die ganze Terminserie versenden" in planning


def test_inviting_the_whole_series_without_mail(client, series):
    first, cancelled, secret = series[0], series[2], series[7]
    secret_version = secret.version
    response = invite(client, first, scope="series")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith("#planning") and "invited=" in location
    invited = [m for m in series if m.id not in (cancelled.id, secret.id)]
    states = {m.id: (m.state, m.cancelled, m.version) for m in Meeting.select()}
    assert all(states[m.id][0] == "invited" for m in invited)
    assert states[cancelled.id][:2] == ("planned", True)
    assert states[secret.id] == ("planned", False, secret_version)  # never written

    page = client.get(location).get_data(as_text=True)
    planning = section(page, "planning")
    # The outcome is where the button was, not at the top of the page.
    assert 'role="status"' in planning and "data-focus-here" in planning
    assert (
        "10 Termine sind als eingeladen markiert, aber es wurde keine E-Mail versandt" in planning
    )
    assert "1 abgesagter Termin wurde übersprungen." in planning
    assert "1 Termin der Terminserie ist nicht für Sie freigegeben" in planning
    assert "als eingeladen markiert" not in top_flashes(page)
    # The text to copy: subject and body as a mail would have them, one date per occurrence.
    text = re.search(
        r'<textarea[^>]*id="invitation-text"[^>]*readonly>(.*?)</textarea>', planning, re.S
    )
    assert text, planning
    body = text.group(1)
    assert body.startswith("Betreff: Einladung: Forum (10 Termine)")
    assert "Sie sind zu diesen 10 Terminen eingeladen:" in body
    for meeting in invited:
        assert f"{times.to_local(meeting.start):%d.%m.%Y}" in body
        assert f"/meetings/{meeting.id}" in body
    assert f"/meetings/{cancelled.id}" not in body and f"/meetings/{secret.id}" not in body
    # The time zone is said once, not beside each of the ten dates.
    assert body.count("Alle Zeiten in Ortszeit Berlin.") == 1 and "UTC" not in body
    assert "Vertrauliche Runde" not in page
    assert 'data-copy-target="invitation-text"' in planning

    # Again: nothing left to invite; the page says why, nothing is written twice.
    page = client.get(invite(client, first, scope="series").headers["Location"]).get_data(
        as_text=True
    )
    assert "10 Termine waren schon eingeladen und wurden übersprungen." in page


def test_inviting_chosen_occurrences_ignores_ids_outside_what_one_may_see(client, series, org):
    first, second, fourth, secret = series[0], series[1], series[3], series[7]
    elsewhere = make_meeting("Andere Runde", organization=org)
    response = invite(
        client,
        first,
        scope="chosen",
        occurrence=[str(second.id), str(fourth.id), str(secret.id), str(elsewhere.id), "x"],
    )
    assert response.status_code == 303
    states = {m.id: m.state for m in Meeting.select()}
    assert states[second.id] == states[fourth.id] == "invited"
    assert states[first.id] == states[secret.id] == states[elsewhere.id] == "planned"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Einladung: Forum (2 Termine)" in page
    # Nothing chosen: a message, no change.
    page = client.get(invite(client, first, scope="chosen").headers["Location"]).get_data(
        as_text=True
    )
    assert "Bitte wählen Sie mindestens einen Termin." in section(page, "planning")
    assert Meeting.get_by_id(first.id).state == "planned"


def test_the_text_to_copy_never_shows_what_the_address_names_but_one_may_not_see(
    client, series, org, member
):
    first, second, secret = series[0], series[1], series[7]
    meetings_planning.invite(
        secret, factories.account("coordinator", org, email="dritte@example.org")
    )
    elsewhere = make_meeting("Andere Runde", organization=org, state="invited")
    # Only invited occurrences of this series that the reader may see.
    page = client.get(
        f"/meetings/{first.id}?invited={secret.id}&invited={elsewhere.id}&invited={second.id}"
    ).get_data(as_text=True)
    assert "invitation-text" not in page  # the second is still planned, the rest is not ours
    invite(client, second, scope="this")
    page = client.get(
        f"/meetings/{first.id}?invited={secret.id}&invited={elsewhere.id}&invited={second.id}"
    ).get_data(as_text=True)
    text = section(page, "planning")
    assert "Betreff: Einladung: Forum" in text and f"/meetings/{second.id}" in text
    assert f"/meetings/{secret.id}" not in text and "Andere Runde" not in text
    # Odd numbers in the address are no meeting, never an error.
    for odd in ("99999999999999999999", "-1", "0", "abc", "1e5", "٣"):
        response = client.get(f"/meetings/{first.id}?invited={odd}")
        assert response.status_code == 200 and "invitation-text" not in response.get_data(
            as_text=True
        )
    # People who do not plan see no planning section at all.
    sign_in(client, member)
    page = client.get(f"/meetings/{second.id}?invited={second.id}").get_data(as_text=True)
    assert "invitation-text" not in page and 'id="planning"' not in page


def test_single_meeting_without_mail_says_so_and_offers_the_text(client, coordinator, org):
    meeting = make_meeting("Plenum", organization=org)
    sign_in(client, coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'name="occurrence"' not in page  # no series: the plain button
    response = invite(client, meeting)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    planning = section(page, "planning")
    assert "Der Termin ist als eingeladen markiert, aber es wurde keine E-Mail versandt" in planning
    assert "Betreff: Einladung: Plenum" in planning
    assert Meeting.get_by_id(meeting.id).state == "invited"


def test_the_text_to_copy_is_for_the_planner_the_caller_names(app, org):
    """With nobody signed in too (a command, a job): the caller names the planner, whose
    language the text is in."""
    meeting = make_meeting("Plenum", organization=org)
    planner = factories.account("coordinator", org, email="planung@example.org", language="en")
    with app.test_request_context():
        subject, text = mail.invitation_text([meeting], planner)
    assert subject == "Invitation: Plenum"
    assert f"/meetings/{meeting.id}" in text


def test_series_invitation_is_one_mail_per_person_listing_every_date(mail_app, smtp):  # noqa: F811
    _controller, inbox = smtp
    organiser = factories.organization("Veranstalter")
    guest = factories.organization("Gast")
    coordinator = factories.account("coordinator", organiser, email="k@example.org")
    factories.account("member", guest, email="gast@example.org")
    client = mail_app.test_client()
    sign_in(client, coordinator)
    meetings = plan_series(
        client, organization=str(organiser.id), invited=[str(guest.id)], repeat_until="2027-04-30"
    )
    assert len(meetings) == 4
    meetings_planning.cancel_meeting(meetings[1], "Ferien", meetings[1].version, coordinator)
    # The last occurrence invites one more organisation: its people hear of that date only.
    late = factories.organization("Später dabei")
    factories.account("member", late, email="spaet@example.org")
    MeetingOrganization.create(meeting=meetings[3], organization=late)
    response = invite(client, meetings[0], scope="series")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    planning = section(page, "planning")
    assert "Einladung zu 3 Terminen versandt. E-Mails an 3 Personen sind unterwegs." in planning
    assert "1 abgesagter Termin wurde übersprungen." in planning
    assert "invitation-text" not in page  # mail went out: nothing to copy
    deliver()
    by_recipient = {tuple(r): m for r, m in inbox.messages}
    assert sorted(by_recipient) == [
        ("gast@example.org",),
        ("k@example.org",),
        ("spaet@example.org",),
    ]
    message = by_recipient[("gast@example.org",)]
    assert message["Subject"] == "Einladung: Forum (3 Termine)"
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 3 and all(p.get_param("method") == "REQUEST" for p in calendars)
    body = message.get_body(("plain",)).get_content()
    for meeting in (meetings[0], meetings[2], meetings[3]):
        assert f"/meetings/{meeting.id}" in body
    assert f"/meetings/{meetings[1].id}" not in body
    single = by_recipient[("spaet@example.org",)]
    assert single["Subject"] == "Einladung: Forum"  # one date: the ordinary invitation


# --- Messages next to the action ---------------------------------------------------------------


def test_cancel_and_attendance_confirm_in_their_section(client, coordinator, org, other_org):
    meeting = make_meeting(organization=org, invited=[other_org], start=utcnow())
    sign_in(client, coordinator)
    token = csrf_token(client)
    response = client.post(
        f"/meetings/{meeting.id}/attendance",
        data={"csrf_token": token, "rows-0-organization_id": str(org.id), "rows-0-status": "present",
              "rows-1-organization_id": str(other_org.id), "rows-1-status": "excused"},
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#attendance")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Anwesenheit wurde gespeichert" in section(page, "attendance")
    assert "Die Anwesenheit wurde gespeichert" not in top_flashes(page)

    other = make_meeting(organization=org)
    response = client.post(
        f"/meetings/{other.id}/cancel",
        data={"csrf_token": token, "reason": "Krankheit", "version": str(other.version)},
    )
    assert response.headers["Location"].endswith("#planning")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    planning = section(page, "planning")
    assert "Der Termin ist abgesagt" in planning and 'tabindex="-1" data-focus-here' in planning
    assert "Der Termin ist abgesagt" not in top_flashes(page)
    # The next visit shows the cancelled meeting without an empty planning section.
    assert 'id="planning"' not in client.get(f"/meetings/{other.id}").get_data(as_text=True)


# --- "Select all" without JavaScript -----------------------------------------------------------


@pytest.mark.parametrize("path_of", [lambda m: "/meetings/new", lambda m: f"/meetings/{m.id}/edit"])
def test_select_all_and_none_without_javascript_keep_what_was_typed(
    client, coordinator, org, other_org, path_of
):
    third = factories.organization("Dritter Verein")
    meeting = make_meeting("Alt", organization=org)
    path = path_of(meeting)
    sign_in(client, coordinator)
    count = Meeting.select().count()
    data = form_data(client, path, title="Neuer Titel", room="Saal 7", version=str(meeting.version))
    data["select_invited"] = "all"
    response = client.post(path, data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for organization in (org, other_org, third):
        assert re.search(
            rf'name="invited"[^>]*value="{organization.id}"[^>]*checked', page
        ) or re.search(rf'checked[^>]*name="invited"[^>]*value="{organization.id}"', page), (
            organization.name
        )
    assert 'value="Neuer Titel"' in page and 'value="Saal 7"' in page
    assert "kern-error" not in page  # not sent yet: no complaints
    assert Meeting.select().count() == count and Meeting.get_by_id(meeting.id).title == "Alt"
    data["select_invited"] = "none"
    page = client.post(path, data={**data, "invited": [str(org.id)]}).get_data(as_text=True)
    assert not re.search(r'name="invited"[^>]*checked', page) and not re.search(
        r'checked[^>]*name="invited"', page
    )
    assert 'value="Neuer Titel"' in page


def test_select_all_buttons_are_in_the_form(client, coordinator):
    sign_in(client, coordinator)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert re.search(
        r'<button[^>]*name="select_invited" value="all"[^>]*data-check-all="invited-list"', page
    )
    assert re.search(r'<button[^>]*name="select_invited" value="none"', page)
    assert 'id="invited-list"' in page


# --- Focus after adding an agenda item ----------------------------------------------------------


def test_adding_an_agenda_item_leads_to_it_with_and_without_htmx(client, coordinator, org):
    meeting = make_meeting(organization=org)
    sign_in(client, coordinator)
    token = csrf_token(client)
    data = {"csrf_token": token, "item-title": "Lagebild", "item-organization": "0",
            "item-label": "green"}  # fmt: skip
    response = client.post(f"/meetings/{meeting.id}/agenda", data=data)
    item = AgendaItem.get(AgendaItem.title == "Lagebild")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}#item-{item.id}")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'id="item-{item.id}" tabindex="-1">' in page  # the anchor's target takes focus

    response = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={**data, "item-title": "Verschiedenes"},
        headers={"HX-Request": "true", "HX-Target": "agenda"},
    )
    new = AgendaItem.get(AgendaItem.title == "Verschiedenes")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="item-{new.id}" tabindex="-1" data-focus-here' in body
    assert f'id="item-{item.id}" tabindex="-1">' in body  # only the new one is marked


def test_an_invalid_agenda_item_leads_to_the_error_summary(client, coordinator, org):
    meeting = make_meeting(organization=org)
    sign_in(client, coordinator)
    data = {"csrf_token": csrf_token(client), "item-title": "  ", "item-organization": "0",
            "item-label": "green", "item-description": "Notiz bleibt"}  # fmt: skip
    response = client.post(
        f"/meetings/{meeting.id}/agenda",
        data=data,
        headers={"HX-Request": "true", "HX-Target": "agenda"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(
        r'class="kern-alert kern-alert--danger" role="alert" tabindex="-1" data-focus-here', body
    )
    assert "Notiz bleibt" in body and AgendaItem.select().count() == 0
    # Without JavaScript: the page comes back scrolled to the form and its summary.
    response = client.post(f"/meetings/{meeting.id}/agenda", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'action="/meetings/{meeting.id}/agenda#add-item"' in page
    assert 'id="add-item" open' in page


# --- Counts and the word for a series ------------------------------------------------------------


def test_counts_use_the_right_plural(client, coordinator, member, other_org):
    make_meeting("Einzeln", invited=[other_org])
    sign_in(client, member)
    page = client.get("/meetings").get_data(as_text=True)
    assert "1 Termin<" in page and "1 Termine" not in page
    sign_in(client, coordinator)
    response = client.post(
        "/meetings/new",
        data=form_data(client, title="Kurz", date="2027-01-20", repeat="weekly",
                       repeat_until="2027-01-21"),
        follow_redirects=True,
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Terminserie angelegt: 1 Termin." in page


def test_series_is_called_terminserie_everywhere():
    """The README glossary's word: no "Terminreihe", no bare "Serie" in the German catalogue."""
    from pathlib import Path

    catalogue = Path(__file__).parent.parent / "translations/de/LC_MESSAGES/messages.po"
    german = [
        line
        for line in catalogue.read_text(encoding="utf-8").splitlines()
        if line.startswith("msgstr")
    ]
    assert not [line for line in german if "Terminreihe" in line or "Reihe " in line]
    assert not [line for line in german if re.search(r"(?<!Termin)[Ss]erie\b", line)]


def test_one_meeting_s_invitation_names_the_time_zone_once_and_the_offset_only_when_ambiguous(
    client, coordinator, org, other_org
):
    sign_in(client, coordinator)
    plain = factories.meeting(
        "Plenum",
        organization=org,
        invited=[other_org],
        start=times.to_utc(dt.datetime(2027, 1, 20, 18)),
    )
    autumn = factories.meeting(
        "Nachtstreife", organization=org, invited=[other_org],
        start=times.to_utc(dt.datetime(2027, 10, 31, 2, 30)),
    )  # fmt: skip
    texts = {}
    for meeting in (plain, autumn):
        location = invite(client, meeting).headers["Location"]
        planning = section(client.get(location).get_data(as_text=True), "planning")
        texts[meeting.id] = re.search(
            r'<textarea[^>]*id="invitation-text"[^>]*readonly>(.*?)</textarea>', planning, re.S
        ).group(1)
    assert "20.01.2027 18:00–20:00\n" in texts[plain.id] and "UTC" not in texts[plain.id]
    assert texts[plain.id].count("Alle Zeiten in Ortszeit Berlin.") == 1
    # The autumn hour that happens twice: the offset says which one.
    assert "31.10.2027 02:30–03:30 (UTC+02:00)" in texts[autumn.id]
    page = client.get(f"/meetings/{plain.id}").get_data(as_text=True)
    assert "(Berliner Zeit)" in page
    assert "UTC+01:00" not in page
