"""Phones and narrow windows: tables become cards with labels, the column that matters stays on
screen without scrolling sideways; long headings wrap; letter links are big enough to tap;
headings of the minutes are not smaller than what they head."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from intranet.demo import create_organizations
from intranet.directory import services
from intranet.minutes.models import ActionItem, Decision, MinutesSection
from tests import factories

WIDTHS = [320, 390, 1280]
PHONE = "+49 351 400 1234"
LONG_NAME = "Integrations- und Ausländerbeauftragte der Stadt Dresden"


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        organizations = create_organizations(dt.date(2024, 1, 1))
        city = next(o for o in organizations if o.name == LONG_NAME)
        factories.account("member", city, email="mitglied@example.org", display_name="Mitglied")
        factories.account("admin", email="verwaltung@example.org", display_name="Verwaltung")
        factories.account("coordinator", city, email="koordination@example.org")
        for number in range(3):
            services.create_person(
                {
                    "organization": city,
                    "given_name": "Ayşegül",
                    "family_name": f"Özdemir-Schneiderhan{number}",
                    "function": "Integrationsbeauftragte",
                    "phone": PHONE,
                    "phone_visibility": "forum",
                    "email": f"aysegul.oezdemir{number}@example.org",
                    "email_visibility": "forum",
                }
            )
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
        meeting = factories.meeting(
            "Fachgespräch Jugendschutz und Radikalisierungsprävention",
            organization=city,
            start=start,
            end=start + dt.timedelta(hours=2),
        )
        minutes = factories.minutes(meeting, state="released", released_at=meeting.start)
        section = MinutesSection.create(minutes=minutes, position=1, title="Lagebild")
        Decision.create(section=section, position=1, text="Das Forum tagt künftig monatlich.")
        ActionItem.create(section=section, text="Einladung an alle Vereine", responsible="KORA")
        later = factories.meeting("Plenum", organization=city, start=start + dt.timedelta(days=7))
        draft = factories.minutes(later)
        MinutesSection.create(minutes=draft, position=1, title="Lagebild")
    return {"city": city.id, "minutes": minutes.id, "draft": draft.id}


def signed_in(browser, live_server, width, email):
    """A new browser window `width` px wide, signed in as `email`."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, locale="de-DE"
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state("networkidle")
    return context, page


def no_sideways_scroll(page, width):
    """Neither the page nor any table region scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    regions = page.evaluate(
        """() => [...document.querySelectorAll('.kern-table-responsive')]
            .map((r) => r.scrollWidth - r.clientWidth)"""
    )
    assert all(extra <= 1 for extra in regions), regions


@pytest.mark.parametrize("width", WIDTHS)
def test_phone_numbers_are_on_screen_at_every_width(browser, live_server, world, axe, width):
    context, page = signed_in(browser, live_server, width, "mitglied@example.org")
    page.goto("/contacts")
    phone = page.get_by_role("link", name=PHONE).first
    expect(phone).to_be_visible()
    box = phone.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
    no_sideways_scroll(page, width)
    header = page.locator("#contact-results thead")
    cell = page.locator("td[data-label='Kontakt']").first
    if width < 600:
        # A card: the column's name stands above each value, the header row is out of sight.
        assert header.bounding_box()["height"] <= 1
        label = cell.evaluate("(td) => getComputedStyle(td, '::before').content")
        assert label == '"Kontakt"'
    else:
        assert header.bounding_box()["height"] > 10
        assert cell.evaluate("(td) => getComputedStyle(td).display") == "table-cell"
    axe.check(page)
    # Letters of the A–Z list are targets of at least 24 × 24 px (WCAG 2.5.8).
    sizes = page.locator(".letter-nav a").evaluate_all(
        "(links) => links.map((a) => [a.getBoundingClientRect().width, a.getBoundingClientRect().height])"
    )
    assert len(sizes) == 27 and all(w >= 24 and h >= 24 for w, h in sizes), sizes

    # The organisation: its long name wraps inside the screen, its contact comes first.
    page.goto(f"/organizations/{world['city']}")
    heading = page.get_by_role("heading", level=1)
    assert heading.evaluate("(h) => h.scrollWidth <= h.clientWidth")
    assert heading.bounding_box()["x"] + heading.bounding_box()["width"] <= width
    no_sideways_scroll(page, width)
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        "So erreichen Sie Integrationsbeauftragte"
    )
    axe.check(page)

    # The list of upcoming meetings: the date column stays on screen.
    page.goto("/meetings")
    expect(page.locator("td[data-label='Datum']").first).to_be_visible()
    no_sideways_scroll(page, width)
    axe.check(page)

    # The minutes: "Beschlüsse" and "Aufgaben" are not smaller than the text under them.
    page.goto(f"/minutes/{world['minutes']}")
    for name, content in (("Beschlüsse", ".decision-list li"), ("Aufgaben", "h4 + ul li")):
        heading = page.get_by_role("heading", name=name, exact=True)
        heading_size = heading.evaluate("(h) => parseFloat(getComputedStyle(h).fontSize)")
        text_size = page.locator(content).last.evaluate(
            "(li) => parseFloat(getComputedStyle(li).fontSize)"
        )
        title_size = page.locator(".minutes-section h3").first.evaluate(
            "(h) => parseFloat(getComputedStyle(h).fontSize)"
        )
        assert text_size < heading_size <= title_size, (name, text_size, heading_size, title_size)
    no_sideways_scroll(page, width)
    axe.check(page)

    # The archive and the decision register: whether minutes are released, and a decision's
    # result, are on screen without swiping.
    page.goto("/minutes")
    state = page.locator("td[data-label='Status']").first
    expect(state).to_be_visible()
    assert state.bounding_box()["x"] + state.bounding_box()["width"] <= width
    # The caption ("5 Protokolle") runs across the cards, not squeezed into a narrow column.
    caption, table = page.locator("#archive-caption"), page.locator("#archive-list table")
    assert caption.bounding_box()["width"] >= table.bounding_box()["width"] - 2
    no_sideways_scroll(page, width)
    axe.check(page)
    page.goto("/decisions")
    expect(page.locator("td[data-label='Ergebnis']").first).to_be_visible()
    no_sideways_scroll(page, width)
    axe.check(page)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_minutes_editor_fits_the_screen(browser, live_server, world, axe, width):
    """The hint beside the vote counts is long; it wraps instead of pushing the page sideways.
    The coordinator's table of read confirmations on the minutes page fits too."""
    context, page = signed_in(browser, live_server, width, "koordination@example.org")
    page.goto(f"/minutes/{world['draft']}/edit")
    expect(page.get_by_text("optional, bei einer Abstimmung mit Mehrheit").first).to_be_attached()
    no_sideways_scroll(page, width)
    axe.check(page)
    # The coordinator's table of read confirmations per organisation fits as well.
    page.goto(f"/minutes/{world['minutes']}")
    expect(page.locator("#summary-caption")).to_be_attached()
    no_sideways_scroll(page, width)
    axe.check(page)
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_the_audit_log_is_readable_on_a_phone(browser, live_server, world, axe, width):
    context, page = signed_in(browser, live_server, width, "verwaltung@example.org")
    page.goto("/admin/audit")
    expect(page.locator("td[data-label='Ereignis']").first).to_be_visible()
    no_sideways_scroll(page, width)
    axe.check(page)
    context.close()
