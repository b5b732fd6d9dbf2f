"""Minutes in a real browser: draft, review with a return, circulation with an objection,
release and read confirmation — axe on every page; and the reading side without JavaScript."""

import datetime as dt
import re

from playwright.sync_api import expect

from intranet.meetings.models import AgendaItem, Attendance, Meeting
from intranet.minutes import access
from intranet.minutes.models import Minutes, MinutesVersion, ReadConfirmation
from intranet.platform.db import utcnow
from tests import factories
from tests.e2e.test_shell import login, switch


def forum(live_app):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        police = factories.organization("Polizeidirektion", short_name="PD")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account(
            "coordinator", kora, email="k@example.org", display_name="Katrin Koordination"
        )
        factories.account("reviewer", police, email="p@example.org", display_name="Paul Prüfung")
        factories.account("member", club, email="m@example.org", display_name="Mia Mitglied")
        start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
        meeting = factories.meeting(
            "Plenum", organization=kora, invited=[police, club], start=start, state="held"
        )
        AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
        Attendance.create(meeting=meeting, organization=club, status="present")
        return meeting.id


def open_minutes(page, axe):
    page.goto("/minutes")
    axe.check(page)
    page.get_by_role("link", name=re.compile("^Plenum")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll: Plenum")
    axe.check(page)


def test_minutes_from_draft_to_read_confirmation(page, live_app, axe, console_errors):
    meeting_id = forum(live_app)
    login(page, "k@example.org")
    page.goto(f"/meetings/{meeting_id}")
    expect(page.get_by_text("Noch kein Protokoll.")).to_be_visible()
    page.get_by_role("button", name="Protokoll beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll bearbeiten: Plenum")
    # The general part comes first, empty: the agenda items are parts of their own.
    body = page.locator("#general textarea[name=body]")
    expect(body).to_have_value("")
    expect(page.locator("section.agenda-editor h3").first).to_contain_text("Lagebild")
    axe.check(page)

    # The live preview follows the typing (htmx), the draft is saved as version 2.
    body.fill("### Ergebnisse\n\nDas Lagebild ist **ruhig**.")
    expect(page.locator("#preview strong")).to_have_text("ruhig")
    page.locator("#general").get_by_role("button", name="Text speichern").click()
    expect(page.locator("#general .save-status")).to_contain_text("Gespeichert um")
    axe.check(page)
    page.get_by_role("link", name="Zurück zum Protokoll").click()
    page.get_by_role("button", name="Zur Prüfung geben").click()
    expect(page.get_by_role("status")).to_contain_text("Das Protokoll liegt jetzt zur Prüfung vor.")
    axe.check(page)

    # The police liaison returns it with a comment; a comment is required.
    switch(page, "p@example.org")
    open_minutes(page, axe)
    page.get_by_role("button", name="Mit Kommentar zurückgeben").click()
    expect(page.get_by_text("Eine Rückgabe braucht einen Kommentar")).to_be_visible()
    axe.check(page)
    page.get_by_label("Was muss geändert werden?").fill("Bitte die Anwesenheit ergänzen.")
    page.get_by_role("button", name="Mit Kommentar zurückgeben").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokollarchiv")

    # The coordinator sees why, fixes the text and submits again.
    switch(page, "k@example.org")
    open_minutes(page, axe)
    # The return comment stands at the top of the minutes and of the editor, not only in the
    # history further down.
    note = page.locator(".kern-alert").filter(has_text="Bitte die Anwesenheit ergänzen.")
    expect(note).to_be_visible()
    page.get_by_role("link", name="Entwurf bearbeiten").click()
    expect(note).to_be_visible()
    page.locator("#general textarea[name=body]").fill(
        "### Ergebnisse\n\nAnwesend: alle Organisationen.\n\nDas Lagebild ist **ruhig**."
    )
    page.locator("#general").get_by_role("button", name="Text speichern").click()
    expect(page.locator("#general .save-status")).to_contain_text("Gespeichert um")
    page.get_by_role("link", name="Zurück zum Protokoll").click()
    page.get_by_role("button", name="Zur Prüfung geben").click()
    expect(page.get_by_role("status")).to_contain_text("zur Prüfung vor")

    # The reviewer sees what changed and approves: the minutes circulate.
    switch(page, "p@example.org")
    open_minutes(page, axe)
    page.get_by_role("link", name="Fassungen vergleichen").click()
    expect(page.get_by_text("hinzugefügt:").first).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Zurück zum Protokoll").click()
    page.get_by_role("button", name="Billigen und in Umlauf geben").click()
    # First whom it reaches (in place of the steps), then the step itself.
    check = page.locator("#steps")
    expect(check.get_by_role("heading", name="Vor dem Umlauf prüfen")).to_be_visible()
    expect(check).to_contain_text("Kulturverein Elbe: 1 Person")
    expect(check.get_by_role("heading", name="Vor dem Umlauf prüfen")).to_be_focused()
    axe.check(page)
    page.get_by_role("button", name="Jetzt billigen und in Umlauf geben").click()
    expect(page.get_by_role("status")).to_contain_text("im Umlauf")
    expect(page.get_by_text("Einspruchsfrist bis")).to_be_visible()

    # A participant objects.
    switch(page, "m@example.org")
    open_minutes(page, axe)
    page.get_by_label("Einspruch (verhindert").check()
    page.get_by_label("Ihr Text").fill("Der Verein war vollständig vertreten.")
    page.get_by_role("button", name="Senden").click()
    expect(page.get_by_role("status")).to_contain_text("Ihr Einspruch ist festgehalten")
    axe.check(page)

    # The coordinator resolves the objection and releases early, with a reason.
    switch(page, "k@example.org")
    open_minutes(page, axe)
    expect(page.get_by_text("1 offener Einspruch verhindert die Freigabe.")).to_be_visible()
    page.get_by_label("Wie wurde der Einspruch geklärt?").fill("Im Text so festgehalten.")
    page.get_by_role("button", name="Einspruch klären").click()
    expect(page.get_by_role("status")).to_contain_text("Der Einspruch ist geklärt")
    page.get_by_label("Kommentar zur Freigabe").fill("Die Stadt braucht den Stand vor der Frist.")
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("heading", name="Vor der Freigabe prüfen")).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("Die Stadt braucht den Stand vor der Frist.")
    axe.check(page)
    page.get_by_role("button", name="Jetzt freigeben").click()
    # The checksum is there for those who need to prove the text, one click away.
    page.get_by_text("Prüfsumme anzeigen").click()
    expect(page.locator(".checksum")).to_be_visible()
    axe.check(page)

    # The participant confirms reading, in place.
    switch(page, "m@example.org")
    open_minutes(page, axe)
    page.get_by_role("button", name="Zur Kenntnis genommen").click()
    expect(page.get_by_text("Sie haben bestätigt")).to_be_visible()
    axe.check(page)

    # … and takes the released minutes along as an accessible PDF, or prints them.
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Als PDF herunterladen")).click()
    pdf = info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-") and info.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="Druckansicht").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protokoll")
    axe.check(page)
    with live_app.app_context():
        minutes = Minutes.get()
        assert minutes.state == "released" and len(minutes.released_sha256) == 64
        assert ReadConfirmation.select().count() == 1
        steps = [e.action for e in access.WORKFLOW.history(minutes.id)]
        assert steps == ["start", "submit", "return", "submit", "approve", "resolve", "release"]
    assert console_errors == []


def test_reading_and_confirming_without_javascript(browser, base_url, live_app):
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        factories.account("member", club, email="m@example.org")
        factories.account("coordinator", kora, email="k@example.org")
        start = utcnow().replace(microsecond=0) - dt.timedelta(days=30)
        meeting = factories.meeting("Plenum", organization=kora, invited=[club], start=start)
        released = factories.minutes(meeting, "released", body="Das Lagebild ist *ruhig*.")
        MinutesVersion.create(minutes=released, number=1, body=released.body)
        other = factories.meeting("AG", organization=kora, start=start)
        draft = factories.minutes(other, "draft", body="Entwurf")
        MinutesVersion.create(minutes=draft, number=1, body=draft.body)
        year = start.year
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    login(page, "m@example.org")
    page.goto("/minutes")
    page.get_by_label("Jahr").select_option(str(year))
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(rf"year={year}"))
    page.get_by_role("link", name="Plenum").click()
    expect(page.locator(".markdown em")).to_have_text("ruhig")
    page.get_by_role("button", name="Zur Kenntnis genommen").click()
    expect(page.get_by_text("Sie haben bestätigt")).to_be_visible()

    # The coordinator's preview works as a plain submit button.
    switch(page, "k@example.org")
    page.goto(f"/minutes/{draft.id}/edit")
    page.locator("textarea[name=body]").fill("Ein **neuer** Text")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.locator("#preview strong")).to_have_text("neuer")
    expect(page.locator("textarea[name=body]")).to_have_value("Ein **neuer** Text")
    context.close()


def test_circulating_is_checked_on_a_page_of_its_own_without_javascript(
    browser, base_url, live_app
):
    meeting_id = forum(live_app)
    with live_app.app_context():
        minutes = factories.minutes(Meeting.get_by_id(meeting_id), "in_review", body="Text")
        MinutesVersion.create(minutes=minutes, number=1, body=minutes.body)
    context = browser.new_context(java_script_enabled=False, base_url=base_url, locale="de-DE")
    page = context.new_page()
    login(page, "p@example.org")
    page.goto(f"/minutes/{minutes.id}")
    page.get_by_role("link", name=re.compile("Nächste Schritte weiter unten")).click()
    page.get_by_role("button", name="Billigen und in Umlauf geben").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Vor dem Umlauf prüfen")
    expect(page.locator("#steps")).to_contain_text("Beratungsstelle")
    # Going back changes nothing.
    page.get_by_role("link", name="Zurück, ohne den Schritt zu gehen").click()
    with live_app.app_context():
        assert Minutes.get_by_id(minutes.id).state == "in_review"
    page.get_by_role("button", name="Billigen und in Umlauf geben").click()
    page.get_by_role("button", name="Jetzt billigen und in Umlauf geben").click()
    expect(page.get_by_text("Einspruchsfrist bis")).to_be_visible()
    with live_app.app_context():
        assert Minutes.get_by_id(minutes.id).state == "circulating"
    context.close()
