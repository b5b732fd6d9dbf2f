"""The directory in a real browser: search as you type (also by organisation), the skip link
past the letters, own entry, vCard, CSV import."""

import re
from pathlib import Path

import vobject
from playwright.sync_api import expect

from intranet.directory import services
from tests import factories
from tests.e2e.test_shell import sign_in


def make_people(live_app):
    with live_app.app_context():
        kps = factories.organization(
            "Kommunale Präventionsstelle", short_name="KPS", kind="authority"
        )
        verein = factories.organization("Kulturverein Beispiel", short_name="KVB")
        member = factories.account(
            "member", verein, email="mitglied@example.org", display_name="Mia Mitglied"
        )
        coordinator = factories.account("coordinator", kps, email="koordination@example.org")
        for given, family, org in [
            ("Ayşe", "Özdemir", verein),
            ("Jörg", "Müller", kps),
            ("Anna", "Schmidt", kps),
            ("محمد", "الحسن", verein),
        ]:
            services.create_person(
                {
                    "organization": org,
                    "given_name": given,
                    "family_name": family,
                    "function": "Vorsitz",
                    "email": f"{len(family)}@example.org",
                    "email_visibility": "forum",
                }
            )
        own = services.create_person(
            {
                "organization": verein,
                "given_name": "Mia",
                "family_name": "Mitglied",
                "function": "Jugendarbeit",
                "account": member.id,
            }
        )
        return member, coordinator, own.id


def test_find_a_person_by_typing_with_and_without_umlauts(page, live_app, axe, console_errors):
    member, _coordinator, _own = make_people(live_app)
    sign_in(page, member.email)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kontakte"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakte")
    axe.check(page)
    results = page.locator("#contact-results")
    count = page.locator("#contact-count")
    box = page.get_by_label("Name, Funktion oder Organisation")

    box.press_sequentially("ozdem", delay=30)
    expect(results.get_by_role("link", name="Ayşe Özdemir")).to_be_visible()
    expect(results.get_by_role("link", name="Anna Schmidt")).to_have_count(0)
    expect(count).to_have_text("1 Person gefunden")
    expect(page).to_have_url(re.compile(r"q=ozdem"))

    box.fill("")
    box.press_sequentially("Müll", delay=30)
    expect(results.get_by_role("link", name="Jörg Müller")).to_be_visible()
    expect(results.get_by_role("link", name="Ayşe Özdemir")).to_have_count(0)
    box.fill("")
    box.press_sequentially("Muell", delay=30)
    expect(results.get_by_role("link", name="Jörg Müller")).to_be_visible()
    box.fill("")
    box.press_sequentially("الحس", delay=30)
    expect(results.get_by_role("link", name="محمد الحسن")).to_have_attribute("dir", "auto")
    axe.check(page)
    box.fill("")
    box.press_sequentially("niemand", delay=30)
    expect(count).to_have_text("0 Personen gefunden")
    expect(results).to_contain_text("Niemand gefunden")
    axe.check(page)
    assert console_errors == []


def test_edit_own_entry(page, live_app, axe, console_errors):
    member, _coordinator, own_id = make_people(live_app)
    sign_in(page, member.email)
    page.goto("/contacts")
    page.get_by_role("link", name="Eigenen Eintrag bearbeiten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mia Mitglied")
    axe.check(page)
    page.get_by_label("Funktion").fill("")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Bitte füllen Sie dieses Feld aus.").first).to_be_visible()
    axe.check(page)
    page.get_by_label("Funktion").fill("Jugendarbeit und Presse")
    page.get_by_label("Telefon (dienstlich)").fill("+49 351 123 456")
    page.get_by_label("Wer das dienstliche Telefon sehen darf").select_option("organization")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    expect(page).to_have_url(re.compile(rf"/contacts/{own_id}$"))
    expect(page.get_by_text("Jugendarbeit und Presse")).to_be_visible()
    expect(page.get_by_text("sichtbar für: Eigene Organisation")).to_be_visible()
    axe.check(page)
    assert console_errors == []


def test_download_a_vcard(page, live_app, axe, console_errors):
    member, _coordinator, _own = make_people(live_app)
    sign_in(page, member.email)
    page.goto("/contacts?q=ozdemir")
    page.locator("#contact-results").get_by_role("link", name="Ayşe Özdemir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ayşe Özdemir")
    axe.check(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="vCard herunterladen").click()
    card = vobject.readOne(Path(info.value.path()).read_text(encoding="utf-8"))
    assert card.fn.value == "Ayşe Özdemir"
    assert card.email.value == "7@example.org"
    assert console_errors == []


def test_import_csv_with_one_bad_row(page, live_app, axe, console_errors, tmp_path):
    _member, coordinator, _own = make_people(live_app)
    sign_in(page, coordinator.email)
    page.goto("/contacts")
    page.get_by_role("link", name="Kontakte aus CSV importieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakte aus CSV importieren")
    axe.check(page)
    csv_file = tmp_path / "kontakte.csv"
    csv_file.write_text(
        "Vorname;Nachname;Organisation;Funktion;E-Mail\r\n"
        "Zeynep;Kaya;KVB;Kasse;zeynep@example.org\r\n"
        "Karl;;KPS;Presse;\r\n",
        encoding="utf-8-sig",
    )
    page.get_by_label("CSV-Datei").set_input_files(str(csv_file))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import prüfen")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 Zeile enthält Fehler. Es wurde nichts importiert.")
    expect(alert).to_contain_text("Zeile 3: Der Nachname fehlt.")
    axe.check(page)
    page.get_by_role("button", name="Nur die 1 gültige Zeile importieren").click()
    expect(page.locator("#flashes")).to_contain_text("1 Eintrag importiert.")
    page.get_by_label("Name, Funktion oder Organisation").fill("kaya")
    page.get_by_role("button", name="Suchen").click()
    expect(page.locator("#contact-results").get_by_role("link", name="Zeynep Kaya")).to_be_visible()
    axe.check(page)
    assert console_errors == []


def test_search_without_javascript(browser, base_url, live_app):
    member, _coordinator, _own = make_people(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, member.email)
    page.goto("/contacts")
    page.get_by_label("Name, Funktion oder Organisation").fill("Ozdemir")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/contacts\?q=Ozdemir"))
    expect(
        page.locator("#contact-results").get_by_role("link", name="Ayşe Özdemir")
    ).to_be_visible()
    expect(page.locator("#contact-count")).to_have_text("1 Person gefunden")
    context.close()


def test_organisation_and_privacy_pages_are_accessible(page, live_app, axe, console_errors):
    make_people(live_app)
    with live_app.app_context():
        admin = factories.account("admin", email="admin@example.org", display_name="Ada Admin")
    sign_in(page, admin.email)
    page.goto("/contacts?q=ozdemir")
    page.locator("#contact-results").get_by_role("link", name="KVB").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kulturverein Beispiel")
    expect(page.get_by_role("link", name="Ayşe Özdemir")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Ayşe Özdemir").click()
    page.get_by_role("link", name="Datenschutz (DSGVO)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Datenschutz")
    axe.check(page)
    page.get_by_role("link", name="Verarbeitungsverzeichnis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verzeichnis der Verarbeitungstätigkeiten (Art. 30 DSGVO)"
    )
    axe.check(page)
    page.goto("/contacts/retention")
    axe.check(page)
    assert console_errors == []


def test_find_people_by_organisation_and_skip_the_letters(page, live_app, axe, console_errors):
    member, _coordinator, _own = make_people(live_app)
    sign_in(page, member.email)
    page.goto("/contacts")
    results = page.locator("#contact-results")
    box = page.get_by_label("Name, Funktion oder Organisation")
    box.press_sequentially("Präventionsst", delay=30)
    expect(results.get_by_role("link", name="Jörg Müller")).to_be_visible()
    expect(results.get_by_role("link", name="Anna Schmidt")).to_be_visible()
    expect(results.get_by_role("link", name="Ayşe Özdemir")).to_have_count(0)
    expect(page.locator("#contact-count")).to_have_text("2 Personen gefunden")
    box.fill("")
    box.press_sequentially("KVB", delay=30)
    expect(results.get_by_role("link", name="Ayşe Özdemir")).to_be_visible()
    expect(results.get_by_role("link", name="Jörg Müller")).to_have_count(0)
    # Hidden fields read "für Sie nicht sichtbar", in the list as on the page.
    expect(results).to_contain_text("für Sie nicht sichtbar")
    axe.check(page)

    # Keyboard: from the search button the next stop is the skip link, which shows itself
    # and jumps over the 27 letter links to the results.
    skip = page.get_by_role("link", name="Buchstabenleiste überspringen, zu den Ergebnissen")
    expect(skip).not_to_be_in_viewport()
    page.get_by_role("button", name="Suchen").focus()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    axe.check(page)
    page.keyboard.press("Enter")
    expect(results).to_be_focused()
    page.keyboard.press("Tab")  # the table's scrollable region, then its first link
    page.keyboard.press("Tab")
    expect(results.get_by_role("link", name="Mia Mitglied")).to_be_focused()
    assert console_errors == []


def test_organisation_search_and_skip_link_without_javascript(browser, base_url, live_app):
    member, _coordinator, _own = make_people(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, member.email)
    page.goto("/contacts")
    page.get_by_label("Name, Funktion oder Organisation").fill("Kommunale")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/contacts\?q=Kommunale"))
    results = page.locator("#contact-results")
    expect(results.get_by_role("link", name="Jörg Müller")).to_be_visible()
    expect(results.get_by_role("link", name="Mia Mitglied")).to_have_count(0)
    page.get_by_role("button", name="Suchen").focus()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Buchstabenleiste überspringen, zu den Ergebnissen")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contact-results$"))
    expect(results).to_be_focused()
    context.close()


def test_own_entry_form_shows_groups_and_no_consent(page, live_app, axe, console_errors):
    member, _coordinator, own_id = make_people(live_app)
    sign_in(page, member.email)
    page.goto(f"/contacts/{own_id}/edit")
    name_group = page.get_by_role("group", name="Name")
    expect(name_group.get_by_label("Anrede")).to_be_visible()
    # The legend stands above the first label, not on the same line.
    legend = name_group.locator("legend").bounding_box()
    label = name_group.locator("label[for=form_of_address]").bounding_box()
    assert label["y"] >= legend["y"] + legend["height"] - 1
    expect(page.get_by_role("group", name="So ist die Person erreichbar")).to_be_visible()
    expect(page.get_by_text("Nachweis der Einwilligung")).to_have_count(0)
    expect(page.get_by_label("Einwilligung erteilt am")).to_have_count(0)
    axe.check(page)
    page.set_viewport_size({"width": 390, "height": 800})
    legend = name_group.locator("legend").bounding_box()
    label = name_group.locator("label[for=form_of_address]").bounding_box()
    assert label["y"] >= legend["y"] + legend["height"] - 1
    axe.check(page)
    assert console_errors == []
