"""The whole record in a real browser, clicked through: a meeting series is planned, its minutes
template set, the agenda written, attendance recorded, the minutes started from the template,
framed, given a decision, reviewed, circulated, signed off by an organisation and released —
ending in the PDF a Sitzungsdienst would file, read as text and checked with `pdfua`. axe on
every page visited."""

import datetime as dt
import re
import subprocess

import pytest
from playwright.sync_api import expect

from intranet.core import times
from intranet.minutes.models import Minutes
from tests import factories
from tests.e2e.test_shell import login, switch

pdfua = pytest.importorskip("pdfua")

TEMPLATE = "### Begrüßung\n\nDie Vorsitzende begrüßt die Anwesenden.\n\n### Verschiedenes"


def test_plan_to_released_pdf(page, live_app, axe, console_errors, tmp_path):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle KORA", short_name="KORA")
        police = factories.organization("Polizeidirektion", short_name="PD")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("coordinator", kora, email="k@example.org", display_name="Katrin Kern")
        factories.account("reviewer", police, email="p@example.org", display_name="Paul Prüfer")
        factories.account("member", club, email="m@example.org", display_name="Mia Mitglied")
    # Yesterday evening: attendance can be recorded, the minutes written.
    day = times.to_local(dt.datetime.now(dt.UTC).replace(tzinfo=None)).date() - dt.timedelta(days=1)

    # 1. Plan: a weekly series of two meetings, two organisations invited.
    login(page, "k@example.org")
    page.goto("/meetings/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin planen")
    axe.check(page)
    page.get_by_label("Titel", exact=True).fill("Plenum")
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Beginn", exact=True).fill("18:00")
    page.get_by_label("Ende", exact=True).fill("20:00")
    page.get_by_label("Wiederholung").select_option("weekly")
    page.get_by_label("Wiederholen bis").fill((day + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Raum").fill("Ratssaal")
    page.get_by_label("Polizeidirektion").check()
    page.get_by_label("Kulturverein Elbe").check()
    page.get_by_role("button", name="Termin anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Terminserie angelegt: 2 Termine")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plenum")
    meeting_url = page.url
    axe.check(page)

    # 2. The series' minutes template.
    page.get_by_role("link", name="Vorlage für die Protokolle der Terminserie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vorlage für die Protokolle der Terminserie"
    )
    axe.check(page)
    page.get_by_label("Vorlage für das Protokoll").fill(TEMPLATE)
    page.screenshot(path=tmp_path / "vorlage-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    axe.check(page)
    page.screenshot(path=tmp_path / "vorlage-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("button", name="Vorlage speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Vorlage für die Protokolle")

    # 3. Agenda.
    for title in ("Lagebild", "Ordnerdienst beim Stadtfest"):
        if not page.get_by_label("Titel des TOP").is_visible():
            page.get_by_text("Tagesordnungspunkt hinzufügen").click()
        page.get_by_label("Titel des TOP").fill(title)
        page.get_by_role("button", name="TOP hinzufügen").click()
        expect(page.locator("li.agenda__item", has_text=title)).to_be_focused()
    axe.check(page)

    # 4. Attendance.
    page.get_by_role("link", name="Anwesenheit erfassen").click()
    axe.check(page)
    page.get_by_label("Anwesenheit: Beratungsstelle KORA").select_option("present")
    page.get_by_label("Anwesenheit: Polizeidirektion").select_option("present")
    page.get_by_label("Anwesenheit: Kulturverein Elbe").select_option("excused")
    page.get_by_role("button", name="Anwesenheit speichern").click()
    expect(page.get_by_text("Kulturverein Elbe: entschuldigt")).to_be_visible()
    axe.check(page)

    # 5. Minutes: the series' template as the general part, then each agenda item as its own
    # part (not listed again in the text); the frame; a decision on TOP 1.
    page.get_by_role("button", name="Protokoll beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll bearbeiten: Plenum")
    general = page.locator("#general")
    expect(general.get_by_role("heading")).to_have_text(
        "Allgemeines (vor den Tagesordnungspunkten)"
    )
    expect(general.get_by_role("textbox")).to_have_value(TEMPLATE + "\n")
    expect(page.locator("section.agenda-editor h3")).to_have_text(
        ["TOP 1: Lagebild", "TOP 2: Ordnerdienst beim Stadtfest"]
    )
    axe.check(page)
    page.get_by_label("Vorsitz").fill("Katrin Kern")
    page.get_by_role("textbox", name=re.compile(r"^Protokoll")).fill("Paula Protokoll")
    page.get_by_label("Tatsächlicher Beginn").fill("18:05")
    page.get_by_label("Tatsächliches Ende").fill("19:50")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Protokoll gespeichert")
    # The decision is added in place, in TOP 1's own part of the editor.
    item = page.locator("section.agenda-editor").filter(
        has=page.get_by_role("heading", name="TOP 1: Lagebild")
    )
    item.get_by_label("Beschluss", exact=True).fill("Das Lagebild wird quartalsweise erstellt.")
    item.get_by_label("Ergebnis").select_option("unanimous")
    item.get_by_role("button", name="Beschluss hinzufügen").click()
    expect(item.locator(".decision-list")).to_contain_text(
        "Das Lagebild wird quartalsweise erstellt."
    )
    expect(item.locator(".save-status")).to_contain_text("Beschluss hinzugefügt")
    axe.check(page)
    with live_app.app_context():
        minutes_id = Minutes.get().id
    page.goto(f"/minutes/{minutes_id}")
    page.get_by_role("button", name="Zur Prüfung geben").click()
    expect(page.get_by_role("status")).to_contain_text("zur Prüfung vor")
    axe.check(page)

    # 6. Review: the police liaison approves; the minutes circulate.
    switch(page, "p@example.org")
    page.goto(f"/minutes/{minutes_id}")
    axe.check(page)
    page.get_by_role("button", name="Billigen und in Umlauf geben").click()
    # First whom it reaches, then the step itself.
    check = page.locator("#steps")
    expect(check.get_by_role("heading", name="Vor dem Umlauf prüfen")).to_be_visible()
    expect(check).to_contain_text("Kulturverein Elbe")
    axe.check(page)
    page.get_by_role("button", name="Jetzt billigen und in Umlauf geben").click()
    expect(page.get_by_role("status")).to_contain_text("im Umlauf")
    expect(page.get_by_text("Einspruchsfrist bis")).to_be_visible()
    axe.check(page)

    # 7. Sign-off: the association consents for its organisation.
    switch(page, "m@example.org")
    page.goto(f"/minutes/{minutes_id}")
    page.get_by_role("button", name="Für Kulturverein Elbe zustimmen").click()
    expect(page.get_by_text(re.compile("zugestimmt am")).first).to_be_visible()
    axe.check(page)

    # 8. Release (early, with a reason) and the PDF.
    switch(page, "k@example.org")
    page.goto(f"/minutes/{minutes_id}")
    page.get_by_label("Kommentar zur Freigabe").fill("Die Stadt braucht den Stand vor dem Fest.")
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("heading", name="Vor der Freigabe prüfen")).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("Die Stadt braucht den Stand vor dem Fest.")
    axe.check(page)
    page.get_by_role("button", name="Jetzt freigeben").click()
    expect(page.get_by_role("heading", name="Freigabevermerk")).to_be_visible()
    axe.check(page)
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Als PDF herunterladen")).click()
    path = tmp_path / "protokoll.pdf"
    path.write_bytes(info.value.path().read_bytes())
    page.goto(meeting_url)
    axe.check(page)

    report = pdfua.validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    with live_app.app_context():
        minutes = Minutes.get_by_id(minutes_id)
        citation = f"{minutes.number_year}/{minutes.number:02d}"
        checksum = minutes.released_sha256
    flat = re.sub(r"\s+", " ", text)
    for expected in (
        "Protokoll: Plenum",
        f"Plenum {citation}",
        "Ratssaal",
        "Vorsitz",
        "Katrin Kern",
        "Paula Protokoll",
        "18:05",
        "TOP 1: Lagebild",
        "TOP 2: Ordnerdienst beim Stadtfest",
        f"Beschluss {citation}-1",
        "einstimmig",
        "Begrüßung",
        "Freigabevermerk",
        "Paul Prüfer",
        "Die Stadt braucht den Stand vor dem Fest.",
        "zugestimmt am",
        "Zustimmung durch Fristablauf",
    ):
        assert expected in flat, expected
    # The attendance once: each organisation's line appears a single time.
    assert flat.count("Kulturverein Elbe: entschuldigt") == 1
    assert flat.count("Polizeidirektion: anwesend") == 1
    pages = [p for p in text.split("\f") if p.strip()]
    assert pages and all(checksum in re.sub(r"\s+", "", p) for p in pages)
    assert console_errors == []
