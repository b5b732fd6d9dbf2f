"""The audit log in a real browser: the admin finds who read a TLP:RED meeting."""

import re

from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_shell import sign_in
from tests.factories import make_meeting


def test_admin_filters_the_log_and_finds_the_read_of_a_red_meeting(
    page, live_app, axe, console_errors
):
    with live_app.app_context():
        police = factories.organization("Polizeidirektion Dresden", short_name="PD")
        reviewer = factories.account(
            "reviewer", police, email="verbindung@example.org", display_name="Paul Prüfer"
        )
        admin = factories.account("admin", email="admin@example.org", display_name="Ada Admin")
        meeting = make_meeting("Vertrauliche Lage", label="red", persons=[reviewer])

    sign_in(page, reviewer.email)
    page.goto(f"/meetings/{meeting.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vertrauliche Lage")
    page.context.clear_cookies()

    sign_in(page, admin.email)
    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit-Protokoll")
    axe.check(page)
    page.get_by_label("Person (Name oder E-Mail)").press_sequentially("verbindung", delay=30)
    expect(page).to_have_url(re.compile(r"person=verbindung"))
    rows = page.locator("#audit-list tbody tr")
    expect(rows.filter(has_text="Termin angesehen")).to_have_count(1)
    row = rows.filter(has_text="Termin angesehen")
    expect(row).to_contain_text("Paul Prüfer")
    expect(row).to_contain_text(f"Termin Nr. {meeting.id}")  # the admin may not read the title
    expect(page.locator("#audit-list")).not_to_contain_text("Vertrauliche Lage")
    page.get_by_label("Ereignis").select_option(label="Anmeldung erfolgreich")
    expect(page).to_have_url(re.compile(r"action=login\.succeeded"))
    expect(rows).to_have_count(1)
    axe.check(page)
    assert console_errors == []
