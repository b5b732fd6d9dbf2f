"""Two-factor sign-in in a real browser: set-up at the first sign-in or, after the password
again, from the account page; a code from the app, a recovery code that works once; with and
without JavaScript."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from intranet.auth import second_factor
from tests import factories
from tests.conftest import make_app
from tests.e2e.test_shell import sign_in


@pytest.fixture
def live_app(tmp_path):
    """As in production: admins and reviewers must use a second factor."""
    app = make_app(tmp_path, SECOND_FACTOR_ROLES=["admin", "reviewer"])
    app.config["TESTING"] = False
    return app


def sign_out(page):
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")


def enter_code(page, code):
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Bestätigen").click()


def test_admin_sets_up_and_uses_the_second_factor(page, live_app, axe, console_errors):
    with live_app.app_context():
        factories.account("admin", email="admin@example.org", display_name="Ada Admin")

    sign_in(page, "admin@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    expect(page.locator("svg.segno")).to_be_visible()
    axe.check(page)
    # Not signed in yet: another address leads back to the sign-in.
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.goto("/login/setup")

    secret = page.locator("#second-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    # On the phone one holds: the key opens in the app, or is copied without spaces.
    opener = page.get_by_role("link", name="In der Authenticator-App öffnen")
    assert opener.get_attribute("href").startswith("otpauth://totp/")
    assert f"secret={secret}" in opener.get_attribute("href")
    expect(page.get_by_label("Der Schlüssel ohne Leerzeichen, zum Kopieren")).to_have_value(secret)
    expect(page.get_by_role("button", name="Schlüssel kopieren")).to_be_visible()
    page.get_by_label("Code aus der App").fill("123456" if totp.now() != "123456" else "654321")
    page.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(page.get_by_text("Dieser Code ist nicht korrekt.").first).to_be_visible()
    axe.check(page)
    page.get_by_label("Code aus der App").fill(totp.now())
    page.get_by_role("button", name="Zweiten Faktor einschalten").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    axe.check(page)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    # Kept without paper: downloaded as a text file (or printed, or copied).
    with page.expect_download() as info:
        page.get_by_role("link", name="Als Textdatei herunterladen").click()
    saved = info.value.path().read_text()
    assert all(code in saved for code in codes)
    expect(page.get_by_role("button", name="Drucken")).to_be_visible()
    expect(page.get_by_role("button", name="Codes kopieren")).to_be_visible()
    page.get_by_role("link", name="Ich habe die Codes aufbewahrt, weiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Ada Admin")
    sign_out(page)

    # With a code from the app (the next step's: the one used for the set-up is spent).
    sign_in(page, "admin@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bestätigen")
    axe.check(page)
    enter_code(page, totp.at(time.time() + 30))
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Ada Admin")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Konto").click()
    expect(page.get_by_role("heading", name="Zweiter Faktor bei der Anmeldung")).to_be_visible()
    axe.check(page)
    sign_out(page)

    # With a recovery code, once.
    sign_in(page, "admin@example.org")
    enter_code(page, codes[0])
    expect(page.get_by_role("status")).to_contain_text("Wiederherstellungscode")
    axe.check(page)
    sign_out(page)
    sign_in(page, "admin@example.org")
    enter_code(page, codes[0])
    expect(page.get_by_role("alert").first).to_contain_text("schon benutzt")
    axe.check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bestätigen")
    assert console_errors == []


def test_member_switches_it_on_from_the_account_page(page, live_app, axe, console_errors):
    with live_app.app_context():
        factories.account("member", email="mitglied@example.org")
    sign_in(page, "mitglied@example.org")
    page.goto("/account")
    section = page.locator("#second-factor")
    # The password comes first: an open session alone shows no key.
    section.get_by_label("Ihr Passwort").fill("falsch")
    section.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(page.get_by_text("Das Passwort ist nicht korrekt.").first).to_be_visible()
    expect(page.locator("#second-factor-secret")).to_have_count(0)
    axe.check(page)
    page.locator("#second-factor").get_by_label("Ihr Passwort").fill(factories.PASSWORD)
    page.locator("#second-factor").get_by_role("button", name="Zweiten Faktor einschalten").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    axe.check(page)
    secret = page.locator("#second-factor-secret").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="Ich habe die Codes aufbewahrt, weiter").click()
    expect(page.get_by_text("Eingeschaltet seit")).to_be_visible()
    assert console_errors == []


def test_second_step_works_without_javascript(browser, base_url, live_app):
    with live_app.app_context():
        account = factories.account("reviewer", email="pruefung@example.org")
        factor = second_factor.begin_setup(account)
        totp = pyotp.TOTP(second_factor.secret(factor))
        second_factor.confirm_setup(account, totp.at(time.time() - 30))
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, "pruefung@example.org", factories.PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bestätigen")
    enter_code(page, totp.now())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    context.close()
