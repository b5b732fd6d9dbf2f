"""Tables on the main pages never break a word letter by letter, on a phone or a desktop: a
table wider than the screen scrolls sideways inside its own region instead."""

import pytest

from intranet.demo import create_organizations
from tests import factories
from tests.e2e.test_shell import sign_in
from tests.factories import make_meeting, person

# (a break after a hyphen or dash, as in "Özdemir-Schneider", is where a line may end).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.kern-table th, .kern-table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s\\-\u2013\u2014]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""

PAGES = [
    ("member", "/meetings"),
    ("member", "/contacts"),
    ("member", "/minutes"),
    ("admin", "/admin/accounts"),
    ("admin", "/admin/organizations"),
]


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        organizations = create_organizations(__import__("datetime").date(2024, 1, 1))
        city = next(o for o in organizations if "Ausländerbeauftragte" in o.name)
        factories.account("member", city, email="mitglied@example.org", display_name="Mitglied")
        factories.account("admin", email="verwaltung@example.org", display_name="Verwaltung")
        for number in range(3):
            meeting = make_meeting(
                f"Fachgespräch Jugendschutz und Radikalisierungsprävention {number}",
                organization=city,
            )
            factories.minutes(meeting, state="released", released_at=meeting.start)
            person(city, given_name="Ayşegül", family_name=f"Özdemir-Schneiderhan{number}",
                   function="Integrationsbeauftragte", email=f"aysegul.oezdemir{number}@example.org")  # fmt: skip
    return {"member": "mitglied@example.org", "admin": "verwaltung@example.org"}


@pytest.mark.parametrize("width", [390, 1280])
def test_no_table_breaks_a_word(browser, live_server, world, width):
    for role in ("member", "admin"):
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": 900}, locale="de-DE"
        )
        page = context.new_page()
        sign_in(page, world[role])
        page.wait_for_load_state("networkidle")
        for who, path in PAGES:
            if who != role:
                continue
            page.goto(path)
            assert page.locator(".kern-table").count() > 0, path
            assert page.evaluate(BROKEN_WORDS) == [], (width, path)
            # The page itself never scrolls sideways; only a table's own region may.
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, path)
        context.close()
