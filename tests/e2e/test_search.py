"""The site search in a real browser, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_shell import sign_in
from tests.factories import make_meeting, person


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        verein = factories.organization("Kulturverein Beispiel", short_name="KVB")
        member = factories.account("member", verein, email="mitglied@example.org")
        make_meeting("Präventionsrunde im Frühjahr", invited=[verein])
        person(verein, given_name="Ayşe", family_name="Özdemir", function="Vorsitz")
    return member


def test_search_from_the_navigation(page, world, axe, console_errors):
    sign_in(page, world.email)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Suche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suche")
    axe.check(page)
    page.get_by_label("Suchbegriff").fill("ozdemir")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("link", name="Ayşe Özdemir")).to_be_visible()
    page.get_by_label("Suchbegriff").fill("präventionsrunde")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("link", name="Präventionsrunde im Frühjahr")).to_be_visible()
    axe.check(page)
    assert console_errors == []


def test_search_without_javascript(browser, base_url, world):
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    sign_in(page, world.email)
    page.goto("/search")
    page.get_by_label("Suchbegriff").fill("Frühjahr")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("link", name="Präventionsrunde im Frühjahr")).to_be_visible()
    context.close()


def test_a_count_that_stopped_says_more_than(page, world, live_app, axe, monkeypatch):
    from intranet.core import fulltext

    monkeypatch.setattr(fulltext, "POOL", 2)
    with live_app.app_context():
        verein = world.organization
        for n in range(4):
            make_meeting(f"Präventionsrunde {n}", invited=[verein])
    sign_in(page, world.email)
    page.goto("/search?q=präventionsrunde")
    expect(page.get_by_text("Mehr als 2 Treffer gefunden.")).to_be_visible()
    expect(page.get_by_role("heading", name="Termine (mehr als 2)")).to_be_visible()
    expect(page.get_by_text("die 2 besten der neuesten Treffer")).to_be_visible()
    axe.check(page)
