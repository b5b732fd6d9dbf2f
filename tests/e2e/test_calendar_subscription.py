"""The calendar subscription on /account in a real browser: copy the address, subscribe
steps, and renewing only after a confirmation, with and without JavaScript."""

import re

from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_shell import sign_in

COPIED = "Die Adresse ist kopiert. Fügen Sie sie in Ihr Kalenderprogramm ein."


def make_member(live_app):
    with live_app.app_context():
        verein = factories.organization("Moscheeverein Beispiel", short_name="MVB")
        return factories.account(
            "member", verein, email="mitglied@example.org", display_name="Mia Mitglied"
        )


def feed_address(page) -> str:
    return page.get_by_label("Ihre Kalenderadresse").input_value()


def test_copy_and_renew_the_calendar_address(page, live_app, axe, console_errors):
    member = make_member(live_app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, member.email)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    page.get_by_role("button", name="Kalenderadresse erzeugen").click()
    address = page.get_by_label("Ihre Kalenderadresse")
    expect(address).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/calendar\.ics\?token="))
    first = feed_address(page)
    # A first address replaces nothing, so the message says nothing about an old one.
    expect(page.locator("#flashes")).to_contain_text("Ihre Kalenderadresse ist eingerichtet")
    expect(page.locator("#flashes")).not_to_contain_text("nicht mehr")
    expect(address).to_have_attribute("readonly", "")
    webcal = page.get_by_role("link", name="Im Kalenderprogramm öffnen (webcal)")
    expect(webcal).to_have_attribute("href", "webcal://" + first.split("://", 1)[1])
    axe.check(page)

    page.get_by_role("button", name="Adresse kopieren").click()
    expect(page.locator("#feed-url-copy-status")).to_have_text(COPIED)
    assert page.evaluate("() => navigator.clipboard.readText()") == first

    outlook = page.locator("details", has=page.get_by_text("Outlook", exact=True))
    expect(outlook.get_by_text("Aus dem Internet abonnieren", exact=False)).not_to_be_visible()
    page.get_by_text("Outlook", exact=True).click()
    expect(outlook.get_by_text("Aus dem Internet abonnieren", exact=False)).to_be_visible()
    page.get_by_text("iPhone und iPad", exact=True).click()
    page.get_by_text("Android", exact=True).click()
    expect(page.get_by_text("ICSx⁵", exact=False)).to_be_visible()
    page.get_by_text("Thunderbird", exact=True).click()
    axe.check(page)

    # Renewing without the confirmation keeps the address and says why, in place.
    page.get_by_role("button", name="Adresse erneuern").click()
    error = page.locator("#feed-renew-confirm-error")
    expect(error).to_contain_text("Bitte bestätigen Sie mit dem Kästchen")
    assert feed_address(page) == first
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    axe.check(page)
    page.get_by_label("Ja, neue Adresse erzeugen; die alte funktioniert dann nicht mehr.").check()
    page.get_by_role("button", name="Adresse erneuern").click()
    expect(page.locator("#flashes")).to_contain_text("Ihre Kalenderadresse ist neu")
    expect(address).not_to_have_value(first)
    expect(page.get_by_role("button", name="Adresse kopieren")).to_be_visible()
    assert page.request.get(first).status == 404
    assert page.request.get(feed_address(page)).status == 200
    axe.check(page)
    assert console_errors == []


def test_calendar_address_without_javascript(browser, base_url, live_app):
    member = make_member(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, member.email)
    page.goto("/account")
    page.get_by_role("button", name="Kalenderadresse erzeugen").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    first = feed_address(page)
    # No copy button without JavaScript: the address is selected in its read-only field.
    expect(page.get_by_role("button", name="Adresse kopieren")).to_be_hidden()
    page.get_by_label("Ihre Kalenderadresse").select_text()
    selected = page.evaluate(
        "() => { const f = document.getElementById('feed-url');"
        " return f.value.substring(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == first
    page.get_by_text("Thunderbird", exact=True).click()
    expect(page.get_by_text("Kalender suchen", exact=False)).to_be_visible()

    page.get_by_role("button", name="Adresse erneuern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalenderadresse erneuern")
    expect(page.locator("#feed-renew-confirm-error")).to_contain_text("Bitte bestätigen Sie")
    assert page.request.get(first).status == 200
    page.get_by_label("Ja, neue Adresse erzeugen; die alte funktioniert dann nicht mehr.").check()
    page.get_by_role("button", name="Adresse erneuern").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#flashes")).to_contain_text("Ihre Kalenderadresse ist neu")
    assert feed_address(page) != first
    assert page.request.get(first).status == 404
    context.close()


def test_confirmation_page_is_accessible(page, live_app, axe, console_errors):
    member = make_member(live_app)
    sign_in(page, member.email)
    page.goto("/account")
    page.get_by_role("button", name="Kalenderadresse erzeugen").click()
    expect(page.get_by_label("Ihre Kalenderadresse")).to_be_visible()
    # The page a browser without JavaScript lands on, reached here by a plain form post.
    page.evaluate("() => document.querySelector('.feed-renew').removeAttribute('hx-post')")
    page.evaluate("() => htmx.process(document.body)")
    page.locator(".feed-renew").evaluate("form => form.submit()")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalenderadresse erneuern")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Konto")).to_have_attribute("aria-current", "page")
    axe.check(page)
    page.set_viewport_size({"width": 390, "height": 800})
    axe.check(page)
    assert console_errors == []
