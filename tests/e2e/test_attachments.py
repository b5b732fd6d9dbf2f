"""Files in a real browser: a coordinator adds a PDF to a meeting, a wrong file is refused with
the message next to the field, a member downloads it — axe on every page."""

import datetime as dt
import re

from playwright.sync_api import expect

from intranet.meetings.models import Meeting
from intranet.platform.db import utcnow
from tests import factories
from tests.e2e.test_shell import sign_in

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_file_is_added_refused_and_downloaded(page, live_app, axe, console_errors, tmp_path):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        verein = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("coordinator", kora, email="koordination@example.org")
        factories.account("member", verein, email="mitglied@example.org")
        start = utcnow() + dt.timedelta(days=7)
        meeting = Meeting.create(
            title="Plenum", start=start, end=start + dt.timedelta(hours=2), label="green"
        )
    good = tmp_path / "Lagebild März.pdf"
    good.write_bytes(PDF)
    fake = tmp_path / "bild.png"
    fake.write_bytes(b"<html>kein Bild</html>")

    sign_in(page, "koordination@example.org")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.goto(f"/meetings/{meeting.id}")
    page.get_by_role("link", name=re.compile("^Datei hinzufügen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datei hinzufügen")
    axe.check(page)

    page.get_by_label("Datei", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="Datei hochladen").click()
    expect(page.locator(".kern-error").first).to_contain_text("passt nicht zu ihrer Art")
    axe.check(page)

    page.get_by_label("Datei", exact=True).set_input_files(str(good))
    page.get_by_label("Titel").fill("Lagebild")
    page.get_by_role("button", name="Datei hochladen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Datei wurde hinzugefügt.")
    expect(page.get_by_role("link", name="Lagebild", exact=True)).to_be_visible()
    axe.check(page)

    page.context.clear_cookies()
    sign_in(page, "mitglied@example.org")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.goto(f"/meetings/{meeting.id}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Lagebild", exact=True).click()
    download = info.value
    assert download.suggested_filename == "Lagebild März.pdf"
    assert download.path().read_bytes() == PDF
    expect(page.get_by_role("link", name=re.compile("^Datei hinzufügen"))).to_have_count(0)
    axe.check(page)
    assert console_errors == []
