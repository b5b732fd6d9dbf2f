"""A member answers the next invitation from the start page: with htmx in place, without
JavaScript through the plain form, and on a phone-sized screen — axe on every page."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from intranet.db import utcnow
from intranet.meetings.models import Answer, Meeting, MeetingOrganization
from tests import factories
from tests.e2e.test_shell import sign_in


@pytest.fixture
def invitation(live_app):
    with live_app.app_context():
        verein = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("member", verein, email="mitglied@example.org")
        start = utcnow() + dt.timedelta(days=9)
        meeting = Meeting.create(
            title="Plenum im Rathaus", start=start, end=start + dt.timedelta(hours=2), label="green"
        )
        MeetingOrganization.create(meeting=meeting, organization=verein)
    return meeting


def answer_from_start_page(page, axe, meeting):
    """`axe` is None without JavaScript: axe itself needs it (the same pages are checked with it)."""
    sign_in(page, "mitglied@example.org")
    card = page.locator(f"#answer-card-{meeting.id}")
    expect(card).to_contain_text("Sie haben noch nicht geantwortet.")
    if axe:
        axe.check(page)
    card.get_by_role("button", name="Zusage").click()
    expect(page.locator(f"#answer-card-{meeting.id}")).to_contain_text("Ihre Antwort: Zusage.")
    expect(page.get_by_role("status")).to_contain_text("Ihre Antwort ist gespeichert: Zusage.")
    if axe:
        axe.check(page)


def test_answer_in_place_with_javascript(page, live_app, axe, console_errors, invitation):
    answer_from_start_page(page, axe, invitation)
    assert page.url.endswith("/")
    with live_app.app_context():
        assert Answer.get().answer == "yes"
    assert console_errors == []


def test_answer_without_javascript(browser, live_server, live_app, invitation):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    answer_from_start_page(page, None, invitation)
    assert page.url.rstrip("/") == live_server
    with live_app.app_context():
        assert Answer.get().answer == "yes"
    context.close()


def test_answer_on_a_phone(browser, live_server, live_app, axe, invitation):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="de-DE"
    )
    page = context.new_page()
    answer_from_start_page(page, axe, invitation)
    # Nothing on the start page is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
