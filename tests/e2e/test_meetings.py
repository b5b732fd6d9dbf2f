"""The calendar in a real browser: plan a series, answer an invitation in place, reorder the
agenda, cancel an occurrence, move between months with and without JavaScript — axe on every
page."""

import datetime as dt
import re

from playwright.sync_api import expect

from intranet.meetings.models import AgendaItem, Meeting, MeetingOrganization
from tests import factories
from tests.e2e.test_shell import sign_in


def test_coordinator_plans_a_series_and_cancels_one_occurrence(page, live_app, axe, console_errors):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account(
            "coordinator",
            kora,
            email="koordination@example.org",
            display_name="Katrin Koordination",
        )
    sign_in(page, "koordination@example.org")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Termine"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalender")
    axe.check(page)
    page.get_by_role("link", name="Termin planen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin planen")
    axe.check(page)

    # First an impossible time: the spring gap.
    page.get_by_label("Titel", exact=True).fill("Sicherheitsdialog – Plenum")
    page.get_by_label("Datum", exact=True).fill("2027-03-28")
    page.get_by_label("Beginn", exact=True).fill("02:30")
    page.get_by_label("Ende", exact=True).fill("04:00")
    page.get_by_role("button", name="Termin anlegen").click()
    expect(page.get_by_text("Diese Uhrzeit gibt es nicht").first).to_be_visible()
    expect(page.get_by_label("Titel", exact=True)).to_have_value("Sicherheitsdialog – Plenum")
    axe.check(page)

    page.get_by_label("Datum", exact=True).fill("2027-01-20")
    page.get_by_label("Beginn", exact=True).fill("18:00")
    page.get_by_label("Ende", exact=True).fill("20:00")
    page.get_by_label("Wiederholung").select_option("monthly_weekday")
    page.get_by_label("Wiederholen bis").fill("2027-12-31")
    page.get_by_label("Raum").fill("Großer Saal")
    page.get_by_label("Kulturverein Elbe").check()
    page.get_by_role("button", name="Termin anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Terminserie angelegt: 12 Termine")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sicherheitsdialog – Plenum")
    expect(page.get_by_text("jeden 3. Mittwoch im Monat")).to_be_visible()
    axe.check(page)

    # Cancel the March occurrence alone.
    page.goto("/calendar?month=2027-03")
    axe.check(page)
    page.get_by_role("link", name=re.compile("18:00 Sicherheitsdialog")).click()
    expect(page.get_by_text("Mittwoch, 17. März 2027")).to_be_visible()
    page.get_by_text("Diesen Termin absagen").click()
    page.get_by_label("Grund der Absage").fill("Ostern: der Saal ist belegt.")
    page.get_by_role("button", name="Termin absagen").click()
    expect(page.get_by_text("Dieser Termin ist abgesagt.")).to_be_visible()
    # In the notice and in the history below.
    expect(page.get_by_text("Ostern: der Saal ist belegt.")).to_have_count(2)
    axe.check(page)
    page.goto("/calendar?month=2027-04")
    expect(page.get_by_role("link", name=re.compile("abgesagt"))).to_have_count(0)
    with live_app.app_context():
        assert Meeting.select().where(Meeting.cancelled == True).count() == 1  # noqa: E712
    assert console_errors == []


def test_member_answers_an_invitation_in_place(page, live_app, axe, console_errors):
    with live_app.app_context():
        host = factories.organization("Beratungsstelle", short_name="KORA")
        guest = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("member", guest, email="mitglied@example.org", display_name="Mia")
        start = dt.datetime(2027, 2, 17, 17, 0)
        meeting = Meeting.create(
            title="Plenum", start=start, end=start + dt.timedelta(hours=2),
            organization=host, state="invited",
        )  # fmt: skip
        MeetingOrganization.create(meeting=meeting, organization=guest)
        meeting_id = meeting.id
    sign_in(page, "mitglied@example.org")
    page.goto(f"/meetings/{meeting_id}")
    axe.check(page)
    url = page.url
    page.get_by_role("button", name="Zusage").click()
    expect(page.get_by_text("Ihre Antwort: Zusage.")).to_be_visible()
    expect(page.get_by_role("button", name="Zusage")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status")).to_contain_text("Ihre Antwort ist gespeichert")
    expect(page.get_by_role("button", name="Zusage")).to_be_focused()
    assert page.url == url  # no reload, no navigation
    axe.check(page)
    page.get_by_role("button", name="Vielleicht").click()
    expect(page.get_by_text("Ihre Antwort: Vielleicht.")).to_be_visible()
    expect(page.get_by_text("Zusagen: 0, Absagen: 0, Vielleicht: 1")).to_be_visible()
    assert console_errors == []


def test_coordinator_reorders_the_agenda_without_reloading(page, live_app, axe, console_errors):
    with live_app.app_context():
        host = factories.organization("Beratungsstelle", short_name="KORA")
        factories.account("coordinator", host, email="k@example.org")
        start = dt.datetime(2027, 2, 17, 17, 0)
        meeting = Meeting.create(
            title="Plenum", start=start, end=start + dt.timedelta(hours=2), organization=host
        )
        for n, title in enumerate(["Begrüßung", "Lagebild", "Verschiedenes"], 1):
            AgendaItem.create(meeting=meeting, position=n, title=title)
        meeting_id = meeting.id
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{meeting_id}")
    agenda = page.locator("#agenda ol")
    page.get_by_role("button", name="Nach oben: Verschiedenes").click()
    expect(agenda.locator("li").nth(1)).to_contain_text("TOP 2: Verschiedenes")
    expect(page.get_by_role("button", name="Nach oben: Verschiedenes")).to_be_focused()
    page.keyboard.press("Enter")  # again, by keyboard
    expect(agenda.locator("li").nth(0)).to_contain_text("TOP 1: Verschiedenes")
    axe.check(page)
    page.get_by_text("Tagesordnungspunkt hinzufügen").click()
    page.get_by_label("Titel des TOP").fill("Neuer Punkt")
    page.get_by_role("button", name="TOP hinzufügen").click()
    expect(agenda.locator("li").nth(3)).to_contain_text("TOP 4: Neuer Punkt")
    axe.check(page)
    page.get_by_role("link", name="Bearbeiten: Neuer Punkt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tagesordnungspunkt bearbeiten")
    axe.check(page)
    page.get_by_label("Titel des TOP").fill("Neuer Punkt (vertraulich)")
    expect(page.get_by_label("Öffentlicher TOP")).to_have_count(0)  # the label alone decides
    page.get_by_label("Einstufung des TOP").select_option("clear")
    page.get_by_role("button", name="Speichern").click()
    expect(agenda.locator("li").nth(3)).to_contain_text("Öffentlich (TLP:CLEAR)")
    assert console_errors == []


def test_months_with_javascript(page, live_app, axe, console_errors):
    with live_app.app_context():
        factories.account("member", factories.organization("Verein"), email="m@example.org")
    sign_in(page, "m@example.org")
    page.goto("/calendar?month=2027-01")
    expect(page.get_by_role("heading", level=2, name="Januar 2027")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Februar 2027 →").click()
    expect(page.get_by_role("heading", level=2, name="Februar 2027")).to_be_focused()
    expect(page).to_have_url(re.compile(r"month=2027-02$"))
    axe.check(page)
    page.get_by_role("link", name="Januar 2027").first.click()
    expect(page.get_by_role("heading", level=2, name="Januar 2027")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=2, name="Februar 2027")).to_be_visible()
    assert console_errors == []


def test_months_and_answers_without_javascript(browser, base_url, live_app):
    with live_app.app_context():
        guest = factories.organization("Verein")
        factories.account("member", guest, email="m@example.org")
        start = dt.datetime(2027, 2, 17, 17, 0)
        meeting = Meeting.create(
            title="Plenum", start=start, end=start + dt.timedelta(hours=2), state="invited"
        )
        MeetingOrganization.create(meeting=meeting, organization=guest)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, "m@example.org")
    page.goto("/calendar?month=2027-01")
    page.get_by_role("link", name="Februar 2027 →").click()
    expect(page).to_have_url(re.compile(r"month=2027-02$"))
    expect(page.get_by_role("heading", level=2, name="Februar 2027")).to_be_visible()
    page.get_by_role("link", name=re.compile("Plenum")).click()
    page.get_by_role("button", name="Absage").click()
    expect(page.get_by_text("Ihre Antwort: Absage.")).to_be_visible()
    context.close()


def test_feed_address_on_the_account_page(page, live_app, axe, console_errors):
    with live_app.app_context():
        factories.account("member", factories.organization("Verein"), email="m@example.org")
    sign_in(page, "m@example.org")
    page.goto("/account")
    axe.check(page)
    page.get_by_role("button", name="Kalenderadresse erzeugen").click()
    field = page.get_by_label("Ihre Kalenderadresse")
    expect(field).to_have_value(re.compile(r"/calendar\.ics\?token="))
    first = field.input_value()
    page.get_by_label("Ja, neue Adresse erzeugen; die alte funktioniert dann nicht mehr.").check()
    page.get_by_role("button", name=re.compile("Adresse erneuern")).click()
    expect(field).not_to_have_value(first)
    axe.check(page)
    assert console_errors == []


def test_edit_following_occurrences_and_record_attendance(page, live_app, axe, console_errors):
    from intranet.meetings import answers as meetings_answers
    from intranet.meetings import planning as meetings_planning

    with live_app.app_context(), live_app.test_request_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        guest = factories.organization("Kulturverein Elbe", short_name="KVE")
        coordinator = factories.account("coordinator", kora, email="k@example.org")
        made = meetings_planning.create_meeting(
            meetings_planning.MeetingData(
                title="Plenum",
                start_local=dt.datetime(2027, 1, 20, 18, 0),
                end_local=dt.datetime(2027, 1, 20, 20, 0),
                organization_id=kora.id,
                invited_ids=[guest.id],
                repeat="monthly_weekday",
                repeat_until=dt.date(2027, 6, 30),
            ),
            coordinator,
        )
        third_id = made[2].id
        # Attendance only from a meeting's start on: record it for one that has begun.
        begun = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(hours=1)
        past = factories.meeting(
            "Arbeitsgruppe", organization=kora, invited=[guest], start=begun, state="invited"
        )
        past_id = past.id
        meetings_answers.give_answer(past, factories.account("member", guest), "yes")
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{third_id}")
    page.get_by_role("link", name="Termin bearbeiten").click()
    axe.check(page)
    page.get_by_label("Beginn", exact=True).fill("17:00")
    page.get_by_label("Ende", exact=True).fill("19:00")
    page.get_by_label("diesen und alle folgenden Termine der Terminserie").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Der Termin wurde gespeichert.")
    expect(page.get_by_text("17:00–19:00")).to_be_visible()
    with live_app.app_context():
        hours = [
            m.start.hour for m in Meeting.select().where(Meeting.series.is_null(False))
            .order_by(Meeting.start)
        ]  # fmt: skip
    assert hours == [17, 17, 16, 15, 15, 15]  # UTC: 18:00 CET twice, then 17:00 CET/CEST

    page.goto(f"/meetings/{past_id}")
    page.get_by_role("link", name="Anwesenheit erfassen").click()
    axe.check(page)
    # The answers preset the form (the guest accepted); without an answer, nothing is preset.
    guest_status = page.get_by_label("Anwesenheit: Kulturverein Elbe")
    expect(guest_status).to_have_value("present")
    expect(guest_status).to_have_accessible_description("aus den Antworten")
    expect(page.get_by_label("Anwesenheit: Beratungsstelle")).to_have_value("")
    page.get_by_label("Anwesenheit: Beratungsstelle").select_option("present")
    guest_status.select_option("excused")  # it was different: still a choice
    page.get_by_label("Namen (freiwillig): Beratungsstelle").fill("Frau Beispiel")
    page.get_by_role("button", name="Anwesenheit speichern").click()
    expect(page.get_by_text("Kulturverein Elbe: entschuldigt")).to_be_visible()
    expect(page.get_by_text("Beratungsstelle: anwesend (Frau Beispiel)")).to_be_visible()
    expect(page.get_by_text("Anwesenheit erfasst: durchgeführt")).to_be_visible()
    axe.check(page)
    assert console_errors == []


def test_coordinator_withdraws_a_cancellation(page, live_app, axe, console_errors):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        factories.account("coordinator", kora, email="k@example.org", display_name="Kim Koch")
        start = dt.datetime(2027, 3, 17, 17, 0)
        meeting = factories.meeting("Plenum", organization=kora, start=start, state="invited")
        AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
        meeting_id = meeting.id
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{meeting_id}")
    expect(page.get_by_text("Anwesenheit", exact=True)).to_have_count(0)  # nothing yet to say
    page.get_by_text("Diesen Termin absagen").click()
    page.get_by_label("Grund der Absage").fill("Der Saal ist belegt.")
    page.get_by_role("button", name="Termin absagen").click()
    expect(page.get_by_text("Dieser Termin ist abgesagt.")).to_be_visible()
    expect(page.get_by_role("button", name="Nach oben: Lagebild")).to_have_count(0)
    axe.check(page)
    page.get_by_role("button", name="Absage zurücknehmen").click()
    expect(page.locator("#flashes")).to_contain_text("Die Absage ist zurückgenommen")
    expect(page.get_by_text("Dieser Termin ist abgesagt.")).to_have_count(0)
    history = page.get_by_role("region", name="Verlauf")
    expect(history).to_contain_text("Absage zurückgenommen")
    expect(history).to_contain_text("Kim Koch")
    expect(history).to_contain_text("Der Saal ist belegt.")
    axe.check(page)
    with live_app.app_context():
        assert Meeting.get_by_id(meeting_id).state == "invited"
    assert console_errors == []


def _coordinator_with_series(live_app, until=dt.date(2027, 4, 30)):
    from intranet.meetings import planning as meetings_planning

    with live_app.app_context(), live_app.test_request_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        guest = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.organization("Jugendhilfe Dresden", short_name="JHD")
        coordinator = factories.account("coordinator", kora, email="k@example.org")
        made = meetings_planning.create_meeting(
            meetings_planning.MeetingData(
                title="Plenum",
                start_local=dt.datetime(2027, 1, 20, 18, 0),
                end_local=dt.datetime(2027, 1, 20, 20, 0),
                organization_id=kora.id,
                invited_ids=[guest.id],
                repeat="monthly_weekday",
                repeat_until=until,
            ),
            coordinator,
        )
        meetings_planning.cancel_meeting(made[1], "Ferien", made[1].version, coordinator)
        return [m.id for m in made]


def test_adding_an_agenda_item_moves_focus_to_it(page, live_app, axe, console_errors):
    ids = _coordinator_with_series(live_app)
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{ids[0]}")
    page.get_by_text("Tagesordnungspunkt hinzufügen").click()
    # Invalid first: the error summary takes the focus, the notes stay as typed.
    page.get_by_label("Erläuterung").fill("Bitte mit Zahlen")
    page.get_by_role("button", name="TOP hinzufügen").click()
    summary = page.locator("#agenda [role=alert]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Titel des TOP")
    expect(page.get_by_label("Erläuterung")).to_have_value("Bitte mit Zahlen")
    axe.check(page)
    page.get_by_label("Titel des TOP").fill("Lagebild")
    page.get_by_role("button", name="TOP hinzufügen").click()
    new_item = page.locator("li.agenda__item", has_text="Lagebild")
    expect(new_item).to_be_focused()
    expect(new_item).to_be_in_viewport()
    with live_app.app_context():
        item_id = AgendaItem.get(AgendaItem.title == "Lagebild").id
    expect(new_item).to_have_id(f"item-{item_id}")
    axe.check(page)
    assert console_errors == []


def test_three_agenda_items_in_a_row_each_keep_their_own_notes(page, live_app, axe):
    ids = _coordinator_with_series(live_app)
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{ids[0]}")
    page.get_by_text("Tagesordnungspunkt hinzufügen").click()
    for title, notes in (("Lagebild", "Zahlen"), ("Ordnerdienst", "Plan"), ("Verschiedenes", "")):
        if not page.get_by_label("Titel des TOP").is_visible():
            page.get_by_text("Tagesordnungspunkt hinzufügen").click()
        # After each item the form starts empty: nothing of the last item carries over.
        expect(page.get_by_label("Titel des TOP")).to_have_value("")
        expect(page.get_by_label("Erläuterung")).to_have_value("")
        page.get_by_label("Titel des TOP").fill(title)
        if notes:
            page.get_by_label("Erläuterung").fill(notes)
        page.get_by_role("button", name="TOP hinzufügen").click()
        expect(page.locator("li.agenda__item", has_text=title)).to_be_focused()
    axe.check(page)
    with live_app.app_context():
        saved = {i.title: i.description for i in AgendaItem.select()}
    assert saved == {"Lagebild": "Zahlen", "Ordnerdienst": "Plan", "Verschiedenes": ""}


def test_adding_an_agenda_item_without_javascript_goes_to_it(browser, base_url, live_app):
    ids = _coordinator_with_series(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{ids[0]}")
    page.get_by_text("Tagesordnungspunkt hinzufügen").click()
    page.get_by_role("button", name="TOP hinzufügen").click()
    expect(page).to_have_url(re.compile(r"/agenda#add-item$"))
    expect(page.locator("#add-item [role=alert]")).to_be_in_viewport()
    page.get_by_label("Titel des TOP").fill("Lagebild")
    page.get_by_role("button", name="TOP hinzufügen").click()
    expect(page).to_have_url(re.compile(r"#item-\d+$"))
    expect(page.locator("li.agenda__item", has_text="Lagebild")).to_be_in_viewport()
    context.close()


def test_series_invitation_with_mail_off_shows_the_text_by_the_button(
    page, live_app, axe, console_errors
):
    ids = _coordinator_with_series(live_app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{ids[0]}")
    planning = page.locator("#planning")
    expect(planning.get_by_label(re.compile("20. Jan. 2027"))).to_be_checked()
    expect(planning.get_by_label(re.compile("abgesagt"))).to_be_disabled()
    axe.check(page)
    page.get_by_role("button", name="Einladung für die ganze Terminserie versenden").click()
    status = planning.get_by_role("status").first
    expect(status).to_contain_text("3 Termine sind als eingeladen markiert")
    expect(status).to_contain_text("1 abgesagter Termin wurde übersprungen.")
    expect(status).to_be_focused()
    expect(status).to_be_in_viewport()
    # The header stays where it is, the top flash area says nothing.
    expect(page.locator("#flashes")).to_have_text(re.compile(r"^\s*$"))
    text = planning.get_by_label(re.compile("Einladungstext zum Kopieren"))
    expect(text).to_have_value(re.compile(r"^Betreff: Einladung: Plenum \(3 Termine\)"))
    expect(text).to_have_attribute("readonly", "")
    planning.get_by_role("button", name="Text kopieren").click()
    expect(planning.get_by_text("Der Text ist kopiert.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").startswith("Betreff: Einladung")
    axe.check(page)
    assert console_errors == []


def test_select_all_invited_organisations(page, live_app, axe, console_errors, browser, base_url):
    _coordinator_with_series(live_app)
    sign_in(page, "k@example.org")
    page.goto("/meetings/new")
    page.get_by_label("Titel", exact=True).fill("Plenum extra")
    invited = page.locator("#invited-list")
    invited.get_by_role("button", name="Alle auswählen: Eingeladene Organisationen").click()
    for name in ("Beratungsstelle", "Kulturverein Elbe", "Jugendhilfe Dresden"):
        expect(invited.get_by_label(name)).to_be_checked()
    expect(page.get_by_label("Titel", exact=True)).to_have_value("Plenum extra")
    axe.check(page)
    invited.get_by_role("button", name="Keine: Eingeladene Organisationen").click()
    expect(invited.locator("input:checked")).to_have_count(0)
    assert console_errors == []

    # Without JavaScript the form comes back with all ticked and the title kept.
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    plain = context.new_page()
    sign_in(plain, "k@example.org")
    plain.goto("/meetings/new")
    plain.get_by_label("Titel", exact=True).fill("Plenum ohne Skript")
    plain.locator("#invited-list").get_by_role(
        "button", name="Alle auswählen: Eingeladene Organisationen"
    ).click()
    expect(plain).to_have_url(re.compile(r"/meetings/new#invited-list$"))
    expect(plain.locator("#invited-list input:checked")).to_have_count(3)
    expect(plain.get_by_label("Titel", exact=True)).to_have_value("Plenum ohne Skript")
    context.close()


def test_boosted_navigation_keeps_the_header_in_view(page, live_app, console_errors):
    ids = _coordinator_with_series(live_app)
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{ids[0]}")
    page.get_by_role("link", name="Termin bearbeiten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin bearbeiten")
    expect(page.locator(".site-header")).to_be_in_viewport()
    expect(page.locator("#main")).to_be_focused()
    assert console_errors == []
