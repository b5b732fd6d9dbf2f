"""Mail delivery state in a real browser: the coordinator sees which invitation failed and
sends it again; the admin finds it in the list of mails. Both pages pass axe."""

import re

from playwright.sync_api import expect

from intranet.core import outbox
from intranet.meetings import series
from tests import factories
from tests.e2e.test_shell import sign_in
from tests.factories import free_port, make_meeting
from tests.test_outbox import RefusingInbox, start_smtp


def test_failed_invitation_shows_on_the_meeting_page_and_in_the_admin_list(
    page, live_app, axe, console_errors
):
    port = free_port()
    live_app.config.update(MAIL_SERVER=f"127.0.0.1:{port}", MAIL_FROM="intranet@example.org")
    inbox = RefusingInbox("weg@example.org")
    controller = start_smtp(inbox, port)
    try:
        with live_app.test_request_context():
            organiser = factories.organization("Kommunale Präventionsstelle")
            guest = factories.organization("Kulturverein")
            coordinator = factories.account(
                "coordinator", organiser, email="k@example.org", display_name="Kim Koordination"
            )
            factories.account("member", guest, email="da@example.org")
            factories.account("member", guest, email="weg@example.org")
            admin = factories.account("admin", email="admin@example.org")
            meeting = make_meeting("Plenum", organization=organiser, invited=[guest])
            series.invite_occurrences(meeting, coordinator, "this")
            outbox.deliver_due()

        sign_in(page, coordinator.email)
        page.goto(f"/meetings/{meeting.id}")
        delivery = page.locator("#delivery")
        expect(delivery).to_contain_text("2 von 3 Einladungen zugestellt, 1 fehlgeschlagen")
        expect(delivery).to_contain_text("weg@example.org")
        axe.check(page)
        delivery.get_by_role("button", name="Fehlgeschlagene E-Mails erneut senden").click()
        expect(page.locator("#delivery")).to_contain_text("1 E-Mail wird erneut versandt.")
        expect(page.locator("#delivery")).to_contain_text("1 wartet noch auf den Versand")
        axe.check(page)
        page.context.clear_cookies()

        sign_in(page, admin.email)
        page.goto("/admin/")
        page.get_by_role("link", name="E-Mails", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("E-Mails")
        axe.check(page)
        page.get_by_label("Status", exact=True).select_option(label="wartet")
        expect(page).to_have_url(re.compile(r"state=queued"))
        rows = page.locator("#mail-list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("weg@example.org")
        expect(rows.first).to_contain_text("Einladung: Plenum")
        axe.check(page)
    finally:
        controller.stop()
    assert console_errors == []
