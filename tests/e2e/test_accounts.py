"""Bringing people in, in a real browser: an invitation link through to the second factor, a
password the administration typed that must be replaced, and a deactivation that reaches a
session in another browser."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import make_app
from tests.e2e.test_second_factor import enter_code, sign_out
from tests.e2e.test_shell import sign_in

PASSWORD = "Nebel zieht über die Dresdner Heide"


@pytest.fixture
def live_app(tmp_path):
    """Reviewers must use a second factor; the admin of these tests signs in with a password."""
    app = make_app(tmp_path, SECOND_FACTOR_ROLES=["reviewer"])
    app.config["TESTING"] = False
    return app


def heading(page):
    return page.get_by_role("heading", level=1)


def test_invited_reviewer_sets_password_and_second_factor(
    browser, page, base_url, live_app, axe, console_errors
):
    with live_app.app_context():
        factories.account("admin", email="admin@example.org", display_name="Ada Admin")
        factories.organization("Polizeidirektion Dresden")

    sign_in(page, "admin@example.org")
    page.goto("/admin/accounts/new")
    axe.check(page)
    page.get_by_label("Name", exact=True).fill("Paula Prüfer")
    page.get_by_label("E-Mail-Adresse").fill("paula@example.org")
    page.get_by_label("Organisation").select_option(label="Polizeidirektion Dresden")
    role = page.get_by_role("group", name="Rolle")
    expect(role.get_by_text("Verbindungsstelle der Polizei")).to_be_visible()
    role.get_by_label("Prüfende", exact=True).check()
    expect(page.get_by_label("Einladungslink (empfohlen)")).to_be_checked()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(heading(page)).to_have_text("Einladungslink für Paula Prüfer")
    axe.check(page)
    link = page.get_by_label("Link für Paula Prüfer").input_value()
    page.get_by_role("button", name="Link kopieren").click()
    expect(page.locator("#password-link-copy-status")).to_have_text("Link kopiert")
    assert re.fullmatch(rf"{re.escape(base_url)}/set-password/[\w-]{{43}}", link)
    # A ready message goes with the link: copied, or opened in the admin's mail program.
    message = page.get_by_label("Nachricht an Paula Prüfer (Betreff und Text)")
    expect(message).to_have_value(
        re.compile(r"^Betreff: Ihr Konto im Intranet .*" + re.escape(link), re.S)
    )
    page.locator("#link-message-copy").click()
    expect(page.locator("#link-message-copy-status")).to_have_text("Der Text ist kopiert.")
    mailto = page.get_by_role("link", name="Im Mailprogramm öffnen")
    expect(mailto).to_have_attribute("href", re.compile(r"^mailto:paula@example\.org\?subject=Ihr"))

    # The invited person, in a browser of their own.
    context = browser.new_context(base_url=base_url, locale="de-DE")
    person = context.new_page()
    person.goto(link)
    expect(heading(person)).to_have_text("Willkommen im Intranet")
    axe.check(person)
    person.get_by_label("Passwort", exact=True).fill(PASSWORD)
    person.get_by_label("Passwort wiederholen").fill(PASSWORD + " ")
    person.get_by_role("button", name="Passwort festlegen").click()
    expect(person.get_by_text("Die beiden Passwörter stimmen nicht überein.").first).to_be_visible()
    axe.check(person)
    person.get_by_label("Passwort", exact=True).fill(PASSWORD)
    person.get_by_label("Passwort wiederholen").fill(PASSWORD)
    person.get_by_role("button", name="Passwort festlegen").click()

    # The role requires a second factor: its set-up follows, as after a password sign-in.
    expect(heading(person)).to_have_text("Zweiten Faktor einrichten")
    secret = person.locator("#second-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    person.get_by_label("Code aus der App").fill(totp.now())
    person.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(heading(person)).to_have_text("Ihre Wiederherstellungscodes")
    codes = person.locator("#recovery-codes li").all_inner_texts()
    person.get_by_role("link", name="Ich habe die Codes aufbewahrt, weiter").click()
    expect(heading(person)).to_have_text("Willkommen, Paula Prüfer")
    axe.check(person)
    sign_out(person)

    # The link is spent.
    person.goto(link)
    expect(heading(person)).to_have_text("Dieser Link funktioniert nicht mehr")
    expect(person.get_by_text("abgelaufen oder wurde schon benutzt")).to_be_visible()
    axe.check(person)

    # Signing in again: password, then a code from the app (the next step's).
    sign_in(person, "paula@example.org", PASSWORD)
    expect(heading(person)).to_have_text("Anmeldung bestätigen")
    enter_code(person, totp.at(time.time() + 30))
    expect(heading(person)).to_have_text("Willkommen, Paula Prüfer")
    sign_out(person)

    # A recovery code works once.
    sign_in(person, "paula@example.org", PASSWORD)
    enter_code(person, codes[0])
    expect(heading(person)).to_have_text("Willkommen, Paula Prüfer")
    sign_out(person)
    sign_in(person, "paula@example.org", PASSWORD)
    enter_code(person, codes[0])
    expect(person.get_by_role("alert").first).to_contain_text("schon benutzt")
    expect(heading(person)).to_have_text("Anmeldung bestätigen")
    context.close()
    assert console_errors == []


def test_typed_password_is_replaced_before_anything_else(page, live_app, axe, console_errors):
    with live_app.app_context():
        factories.account("admin", email="admin@example.org", display_name="Ada Admin")

    sign_in(page, "admin@example.org")
    page.goto("/admin/accounts/new")
    page.get_by_label("Name", exact=True).fill("Otto Ohnemail")
    page.get_by_label("E-Mail-Adresse").fill("otto@example.org")
    page.get_by_label("Ich lege ein erstes Passwort fest").check()
    page.get_by_label("Erstes Passwort", exact=True).fill("Wolken über der Elbe am Abend")
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Das Konto für Otto Ohnemail wurde angelegt")
    sign_out(page)

    sign_in(page, "otto@example.org", "Wolken über der Elbe am Abend")
    expect(heading(page)).to_have_text("Eigenes Passwort wählen")
    axe.check(page)
    page.goto("/calendar")  # any other page leads back here
    expect(page).to_have_url(re.compile(r"/account/choose-password$"))
    expect(heading(page)).to_have_text("Eigenes Passwort wählen")
    page.get_by_label("Neues Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(heading(page)).to_have_text("Willkommen, Otto Ohnemail")
    axe.check(page)
    assert console_errors == []


def test_deactivation_signs_the_person_out_elsewhere(browser, page, base_url, live_app, axe):
    with live_app.app_context():
        factories.account("admin", email="admin@example.org", display_name="Ada Admin")
        factories.account("member", email="mira@example.org", display_name="Mira Mitglied")

    elsewhere = browser.new_context(base_url=base_url, locale="de-DE")
    member = elsewhere.new_page()
    sign_in(member, "mira@example.org")
    expect(heading(member)).to_have_text("Willkommen, Mira Mitglied")

    sign_in(page, "admin@example.org")
    page.goto("/admin/accounts")
    page.get_by_role("button", name="Deaktivieren Mira Mitglied").click()
    expect(page.get_by_role("status")).to_contain_text("kann sich nicht mehr anmelden")
    axe.check(page)

    member.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kontakte"
    ).click()
    expect(heading(member)).to_have_text("Anmelden")
    expect(member).to_have_url(re.compile(r"/login"))
    axe.check(member)
    elsewhere.close()
