"""The minutes editor in a real browser: three agenda items written in a row, each with a
decision added in place — with JavaScript without a single page load, without JavaScript each
form back at its own item. axe on every page; the text box grows with its text."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from intranet.meetings.models import AgendaItem
from intranet.minutes.models import Decision, Minutes, MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.e2e.test_shell import sign_in

TITLES = ("Lagebild", "Schulweg", "Verschiedenes")
TEXT = "\n".join(
    f"Beitrag {n}: Die Lage ist ruhig, die Streife bleibt wie besprochen." for n in range(12)
)


def forum(live_app):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("coordinator", kora, email="k@example.org")
        start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
        meeting = factories.meeting(
            "Plenum", organization=kora, invited=[club], start=start, state="held"
        )
        for n, title in enumerate(TITLES, 1):
            AgendaItem.create(meeting=meeting, position=n, title=title)
        return meeting.id


def start_minutes(page, meeting_id):
    sign_in(page, "k@example.org")
    page.goto(f"/meetings/{meeting_id}")
    page.get_by_role("button", name="Protokoll beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll bearbeiten: Plenum")


class Loads:
    """Whole pages the browser asked for (documents and boosted pages), not fragments."""

    def __init__(self, page):
        self.count = 0
        page.on("request", self.seen)

    def seen(self, request):
        if request.resource_type == "document" or request.headers.get("hx-boosted"):
            self.count += 1


def write_items(page):
    """Text, save, a decision, add — for each item; returns the clicks on buttons."""
    clicks = 0
    for n, title in enumerate(TITLES):
        item = page.locator("section.agenda-editor").nth(n)
        item.get_by_label("Erläuterung").fill(f"Zu {title}:\n{TEXT}")
        item.get_by_role("button", name="Text speichern").click()
        expect(item.locator(".save-status")).to_contain_text("Gespeichert um")
        item = page.locator("section.agenda-editor").nth(n)
        item.get_by_label("Beschluss", exact=True).fill(f"Beschluss zu {title}")
        item.get_by_role("button", name="Beschluss hinzufügen").click()
        expect(item.locator(".decision-list")).to_contain_text(f"Beschluss zu {title}")
        expect(item.locator(".save-status")).to_contain_text("Beschluss hinzugefügt")
        expect(item.get_by_label("Beschluss", exact=True)).to_have_value("")
        clicks += 2
    return clicks


def assert_saved(live_app):
    with live_app.app_context():
        texts = [s.text for s in MinutesSection.select().order_by(MinutesSection.position)]
        assert [t.split(":")[0] for t in texts] == [f"Zu {t}" for t in TITLES]
        assert sorted(d.text for d in Decision.select()) == sorted(
            f"Beschluss zu {t}" for t in TITLES
        )


def test_three_items_in_a_row_with_decisions_added_in_place(page, live_app, axe, console_errors):
    start_minutes(page, forum(live_app))
    axe.check(page)
    loads = Loads(page)
    clicks = write_items(page)
    # Six saves, not one of them a page load: every item stays open where it was.
    assert loads.count == 0 and clicks == 6
    first = page.locator("section.agenda-editor").first
    # The box holds all 13 lines of the text (KERN's fixed box was 96 px high).
    assert first.get_by_label("Erläuterung").bounding_box()["height"] > 13 * 20
    axe.check(page)
    assert_saved(live_app)

    # After a reload the boxes are sized to their text by the server alone.
    page.reload()
    assert first.get_by_label("Erläuterung").bounding_box()["height"] > 13 * 20
    assert console_errors == []


def test_three_items_in_a_row_without_javascript(browser, base_url, live_app):
    meeting_id = forum(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    start_minutes(page, meeting_id)
    loads = Loads(page)
    for n, title in enumerate(TITLES):
        item = page.locator("section.agenda-editor").nth(n)
        item.get_by_label("Erläuterung").fill(f"Zu {title}:\n{TEXT}")
        item.get_by_role("button", name="Text speichern").click()
        # The whole page comes back, at the same item, with the answer beside it.
        expect(page).to_have_url(re.compile(r"/edit#top-\d+$"))
        item = page.locator("section.agenda-editor").nth(n)
        expect(item.locator(".save-status")).to_contain_text("Gespeichert um")
        expect(item.get_by_role("heading", name=title)).to_be_in_viewport()
        assert item.get_by_label("Erläuterung").bounding_box()["height"] > 13 * 20
        item.get_by_label("Beschluss", exact=True).fill(f"Beschluss zu {title}")
        item.get_by_role("button", name="Beschluss hinzufügen").click()
        item = page.locator("section.agenda-editor").nth(n)
        expect(item.locator(".save-status")).to_contain_text("Beschluss hinzugefügt")
        expect(item.locator(".decision-list")).to_contain_text(f"Beschluss zu {title}")
    # Each form posts once and shows the page again (a redirect): two requests, one page.
    assert loads.count == 12
    assert_saved(live_app)
    context.close()


def read_order(page):
    """The editor's parts as a reader meets them, top to bottom."""
    return page.locator("#general h2, section.agenda-editor h3").all_inner_texts()


@pytest.mark.parametrize("width", [1280, 390])
def test_general_part_first_and_saved_in_place(page, live_app, axe, console_errors, width):
    page.set_viewport_size({"width": width, "height": 900})
    start_minutes(page, forum(live_app))
    # One document: the general part, then TOP 1, 2, 3; the agenda is not listed in the text.
    assert read_order(page) == ["Allgemeines (vor den Tagesordnungspunkten)"] + [
        f"TOP {n}: {t}" for n, t in enumerate(TITLES, 1)
    ]
    general = page.locator("#general")
    box = general.get_by_label("Erläuterung")
    expect(box).to_have_value("")
    axe.check(page)
    loads = Loads(page)
    box.fill(f"Begrüßung.\n{TEXT}")
    general.get_by_role("button", name="Text speichern").click()
    expect(general.locator(".save-status")).to_contain_text("Gespeichert um")
    assert general.get_by_label("Erläuterung").bounding_box()["height"] > 13 * 20
    # The record form above builds on the new version: saving it is no conflict.
    page.get_by_label("Vorsitz").fill("Katrin Kern")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Protokoll gespeichert")
    assert loads.count == 1  # only the record form loads the page
    page.screenshot(path=f"/tmp/shots-bodybox/general-js-{width}.png", full_page=True)
    axe.check(page)
    with live_app.app_context():
        minutes = Minutes.get()
        assert minutes.body.startswith("Begrüßung.") and minutes.chair == "Katrin Kern"
    assert console_errors == []


def test_general_part_without_javascript(browser, base_url, live_app, axe):
    meeting_id = forum(live_app)
    context = browser.new_context(
        java_script_enabled=False, base_url=base_url, locale="de-DE",
        viewport={"width": 390, "height": 900},
    )  # fmt: skip
    page = context.new_page()
    start_minutes(page, meeting_id)
    general = page.locator("#general")
    general.get_by_label("Erläuterung").fill("Begrüßung durch den Vorsitz.")
    general.get_by_role("button", name="Vorschau").click()
    expect(page.locator("#preview")).to_contain_text("Begrüßung durch den Vorsitz.")
    page.locator("#general").get_by_role("button", name="Text speichern").click()
    expect(page).to_have_url(re.compile(r"/edit#general$"))
    expect(page.locator("#general .save-status")).to_contain_text("Gespeichert um")
    expect(page.locator("#general").get_by_label("Erläuterung")).to_have_value(
        "Begrüßung durch den Vorsitz."
    )
    # axe is a script, and this window runs none: the page as served is checked in a window that
    # runs scripts, at the same address (so its style sheets load) and the same width.
    served, address = page.content(), page.url
    checker = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 900})
    check_page = checker.new_page()
    check_page.goto("/healthz")
    check_page.set_content(served)
    check_page.evaluate("(address) => history.replaceState(null, '', address)", address)
    axe.check(check_page)
    checker.close()
    context.close()
