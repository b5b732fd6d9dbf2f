"""First run, sign-in, navigation and sign-out in German, as a person does it in a browser."""

import re

import pytest
from playwright.sync_api import expect

from intranet.auth.services import issue_setup_token
from tests import factories

PASSPHRASE = "Wolken über der Elbe am Abend"


def sign_in(page, email, password=factories.PASSWORD):
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def login(page, email):
    """Sign in and wait until the page says so."""
    sign_in(page, email)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def switch(page, email):
    """Sign out and in again as someone else."""
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    login(page, email)


def test_first_run_setup_navigation_and_logout(page, live_app, axe, console_errors):
    with live_app.app_context():
        token = issue_setup_token()

    page.goto(f"/setup/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Intranet einrichten")
    axe.check(page)
    page.get_by_label("Name").fill("Erika Muster")
    page.get_by_label("E-Mail-Adresse").fill("admin@example.org")
    page.get_by_label("Passwort", exact=True).fill(PASSPHRASE)
    page.get_by_label("Passwort wiederholen").fill("etwas anderes")
    page.get_by_role("button", name="Konto für die Administration anlegen").click()
    expect(page.get_by_text("Die beiden Passwörter stimmen nicht überein.").first).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Erika Muster")
    axe.check(page)
    page.get_by_label("Passwort", exact=True).fill(PASSPHRASE)
    page.get_by_label("Passwort wiederholen").fill(PASSPHRASE)
    page.get_by_role("button", name="Konto für die Administration anlegen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Erika Muster")
    axe.check(page)

    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    navigation.get_by_role("link", name="Verwaltung").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    axe.check(page)
    for link, heading in [
        ("Konten", "Konten"),
        ("Organisationen", "Organisationen"),
        ("Einstellungen", "Einstellungen"),
        ("Audit-Protokoll", "Audit-Protokoll"),
        ("Barriere-Meldungen", "Barriere-Meldungen"),
    ]:
        page.get_by_role("navigation", name="Verwaltung").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe.check(page)

    page.get_by_role("navigation", name="Verwaltung").get_by_role(
        "link", name="Organisationen"
    ).click()
    page.get_by_role("link", name="Neue Organisation").click()
    axe.check(page)
    page.get_by_label("Name").fill("Landespolizei Beispiel")
    page.get_by_role("radio", name="Behörde").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Landespolizei Beispiel")
    axe.check(page)

    page.get_by_role("navigation", name="Verwaltung").get_by_role("link", name="Konten").click()
    page.get_by_role("link", name="Neues Konto").click()
    axe.check(page)
    page.get_by_label("Name").fill("Paul Prüfer")
    page.get_by_label("E-Mail-Adresse").fill("pruefer@example.org")
    page.get_by_label("Organisation").select_option(label="Landespolizei Beispiel")
    page.get_by_role("group", name="Rolle").get_by_label("Prüfende", exact=True).check()
    page.get_by_label("Ich lege ein erstes Passwort fest").check()
    page.get_by_label("Erstes Passwort", exact=True).fill("kurz")
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.locator(".kern-error").first).to_be_visible()
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("pruefer@example.org")
    axe.check(page)
    page.get_by_label("Erstes Passwort", exact=True).fill(PASSPHRASE)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_role("cell", name="pruefer@example.org")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name="Paul Prüfer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Paul Prüfer")
    axe.check(page)
    page.get_by_role("textbox", name="Neues Passwort").fill("Regen über der Heide am Morgen")
    page.get_by_role("button", name="Neues Passwort setzen").click()
    expect(page.get_by_role("status")).to_contain_text("Neues Passwort für Paul Prüfer gesetzt")
    paul_passphrase = "Regen über der Heide am Morgen"

    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    navigation.get_by_role("link", name="Konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    axe.check(page)

    page.get_by_role("link", name="Barrierefreiheit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erklärung zur Barrierefreiheit")
    axe.check(page)

    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("abgemeldet")
    axe.check(page)

    sign_in(page, "pruefer@example.org", "falsches Passwort hier")
    expect(page.get_by_role("alert").first).to_contain_text("nicht korrekt")
    axe.check(page)
    sign_in(page, "pruefer@example.org", paul_passphrase)
    # The password the admin typed is replaced first.
    expect(page.get_by_role("heading", level=1)).to_have_text("Eigenes Passwort wählen")
    page.get_by_label("Neues Passwort", exact=True).fill(PASSPHRASE + " im Herbst")
    page.get_by_label("Neues Passwort wiederholen").fill(PASSPHRASE + " im Herbst")
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Paul Prüfer")
    expect(page.get_by_role("link", name="Verwaltung")).to_have_count(0)
    assert console_errors == []


def test_boosted_forms_carry_the_csrf_token(page, live_app, axe, console_errors):
    with live_app.app_context():
        account = factories.account(
            "member", email="mitglied@example.org", display_name="Mia Mitglied"
        )
    sign_in(page, account.email)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Konto").click()
    page.get_by_label("Aktuelles Passwort").fill(factories.PASSWORD)
    page.get_by_label("Neues Passwort", exact=True).fill(PASSPHRASE)
    page.get_by_label("Neues Passwort wiederholen").fill(PASSPHRASE)
    page.get_by_role("button", name="Passwort ändern").click()
    expect(page.get_by_role("status")).to_contain_text("Passwort wurde geändert")
    axe.check(page)
    assert console_errors == []


@pytest.mark.parametrize("javascript", [False])
def test_everything_works_without_javascript(browser, base_url, live_app, javascript):
    with live_app.app_context():
        factories.account("admin", email="admin@example.org", display_name="Ada Admin")
    context = browser.new_context(java_script_enabled=javascript, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, "admin@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Ada Admin")
    page.get_by_role("link", name="Verwaltung").first.click()
    page.get_by_role("link", name="Einstellungen").click()
    page.get_by_label("Internetadresse des Impressums").fill("https://www.example.org/impressum")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("link", name="Impressum")).to_have_attribute(
        "href", "https://www.example.org/impressum"
    )
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    context.close()


def test_language_switch_on_boosted_pages_sets_lang_and_follows_the_account(
    page, browser, base_url, live_app, axe, console_errors
):
    """WCAG 3.1.1: boosted navigation swaps only the body, yet <html lang> must change at once."""
    with live_app.app_context():
        account = factories.account("member", email="sprache@example.org", display_name="Sam")
    sign_in(page, account.email)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    nav.get_by_role("link", name="Termine").click()  # a boosted page, not a fresh load
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalender")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    axe.check(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Contacts"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # A second device: the choice was stored on the account.
    other = browser.new_page(base_url=base_url)
    sign_in(other, account.email)  # the sign-in page is German until the account is known
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.get_by_role("button", name="Deutsch")).to_be_visible()
    other.get_by_role("button", name="Deutsch").click()
    expect(other.locator("html")).to_have_attribute("lang", "de")
    other.close()
    assert console_errors == []


def test_a_new_page_starts_at_its_top_at_once(page, live_app, console_errors):
    """Opened from the end of a long page, the next page shows its top, without gliding up
    (WCAG 2.3.3), on a phone-sized screen."""
    page.set_viewport_size({"width": 390, "height": 400})
    with live_app.app_context():
        account = factories.account("member", email="lang@example.org")
    sign_in(page, account.email)
    page.goto("/calendar")
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 100
    # The footer's link is where the reader is: at the end of the page.
    page.get_by_role("contentinfo").get_by_role("link", name="Barrierefreiheit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Barrierefreiheit")
    assert page.evaluate("window.scrollY") == 0
    assert console_errors == []
