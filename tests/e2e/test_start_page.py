"""A member answers the next invitation from the start page: with htmx in place, without
JavaScript through the plain form, and on a phone-sized screen — axe on every page."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from intranet.meetings.models import Answer, Meeting, MeetingOrganization
from intranet.platform.db import utcnow
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


# --- The start page of a new member: to-dos first, short, one line per series change ----------


@pytest.fixture
def new_member_forum(live_app):
    """A new member of a mosque association, invited to an eleven-date series that was changed
    lately, with five sets of minutes released long before they joined and one after."""
    from intranet.meetings.models import Series

    with live_app.app_context():
        now = utcnow().replace(microsecond=0)
        verein = factories.organization("Moscheeverein Nord", short_name="MVN")
        stadt = factories.organization("Stadt", short_name="ST")
        old_minutes = []
        for i in range(5):
            old = factories.meeting(
                f"Runder Tisch {i + 1}", organization=stadt, invited=[verein],
                start=now - dt.timedelta(days=200 + 30 * i),
            )  # fmt: skip
            released_at = now - dt.timedelta(days=190 + 30 * i)
            old_minutes.append(factories.minutes(old, state="released", released_at=released_at).id)
        account = factories.account("member", verein, email="neu@example.org")
        series = Series.create(rrule="FREQ=WEEKLY;COUNT=11", first_start_local=now)
        for i in range(11):
            factories.meeting(
                "Sicherheitsdialog", organization=stadt, invited=[verein], series=series,
                start=now + dt.timedelta(days=7 * (i + 1)), sequence=1, updated_at=now,
            )  # fmt: skip
        answered = factories.meeting(
            "Stadtteilkonferenz", organization=stadt, invited=[verein],
            start=now + dt.timedelta(days=3),
        )  # fmt: skip
        Answer.create(meeting=answered, account=account, organization=verein, answer="yes")
        recent = factories.meeting(
            "Präventionsrat", organization=stadt, invited=[verein], start=now - dt.timedelta(days=5)
        )
        fresh = factories.minutes(
            recent, state="released", released_at=now + dt.timedelta(minutes=1)
        )
        circulating = factories.meeting(
            "Arbeitsgruppe Jugend", organization=stadt, invited=[verein],
            start=now - dt.timedelta(days=2),
        )  # fmt: skip
        factories.minutes(
            circulating, state="circulating", objection_deadline=now + dt.timedelta(days=6)
        )
        return {"fresh": fresh.id, "old": old_minutes}


def test_a_new_member_sees_the_to_dos_first_on_a_phone(
    browser, live_server, live_app, axe, new_member_forum
):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="de-DE"
    )
    page = context.new_page()
    sign_in(page, "neu@example.org")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"start page at 390 px: {height} px")
    page.screenshot(path="/tmp/shots-start/start-390-full.png", full_page=True)
    axe.check(page)
    confirm = page.get_by_role(
        "heading", name="Bitte bestätigen Sie die Kenntnisnahme", exact=False
    )
    confirm_y = confirm.bounding_box()["y"]
    print(f"read confirmations start at {confirm_y} px")
    # The to-dos start on the first screen; reading confirmations follow soon after.
    assert page.get_by_role("heading", name="Zu erledigen").bounding_box()["y"] < 400
    assert confirm_y < 1400  # was 2,446 px with the same data before the to-dos came first
    headings = page.locator("h2").all_inner_texts()
    assert headings.index("Zu erledigen") < headings.index("Ihre nächsten Termine")
    # Only the minutes released after the member joined ask to be confirmed.
    assert page.locator(f'a[href="/minutes/{new_member_forum["fresh"]}"]').count() == 1
    for old in new_member_forum["old"]:
        assert page.locator(f'a[href="/minutes/{old}"]').count() == 0
    # The series change is one line, not eleven.
    changes = page.locator("#start-changes li")
    expect(changes).to_have_count(1)
    expect(changes).to_contain_text("11 Termine")
    # Two or three meeting cards, and the way to all of them.
    assert 1 <= page.locator("#start-next .start-cards > li").count() <= 3
    expect(page.get_by_role("link", name="Alle Termine")).to_be_visible()
    # Answering from the to-do list is still one tap.
    page.get_by_role("button", name="Zusage").first.click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Antwort ist gespeichert: Zusage.")
    axe.check(page)
    assert height < 2800, height  # was 3,911 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
