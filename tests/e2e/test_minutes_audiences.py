"""The minutes cycle as six people read it in a real browser: the coordination (KORA), the police
reviewer, two invited associations and an organisation that was not invited, plus a coordinator
of that organisation. Every restricted text carries its own marker word; no marker may reach
anyone outside its audience on any page, fragment, comparison, history, search hit, print view,
PDF, file or calendar file — and axe checks every page visited."""

import datetime as dt
import io
import re
import subprocess

import pytest
from playwright.sync_api import expect

from intranet.attachments import services as attachments
from intranet.core.accounts import Account
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, comments, files, workflow
from intranet.minutes import editing as minutes_editing
from intranet.minutes.models import ActionItem, Decision, MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.e2e.test_shell import sign_in

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# One word per restricted text, and who may read it.
SECTION = "Ordnerzahlgeheim"  # TOP 2, AMBER for the police (and the organiser)
REVIEW = "Ortsangabestreichen"  # the reviewer's return comment: coordinators and reviewers
VERSION = "Vorfassungvertraulich"  # an earlier AMBER version: cleared compare readers only
OBJECTION = "Einspruchzutopzwei"  # an objection on TOP 2: TOP 2's readers
FILE = "Anlagezutopzwei"  # a file of TOP 2: TOP 2's readers
REASON = "Eilfreigabegrund"  # the early-release reason: coordinators and reviewers

READERS = {
    SECTION: {"kora", "police"},
    OBJECTION: {"kora", "police"},
    FILE: {"kora", "police"},
    # The editorial circle: coordinators and reviewers who read the minutes, the GREEN minutes'
    # coordinator of an organisation that was not invited included.
    REVIEW: {"kora", "police", "outside_coordinator"},
    REASON: {"kora", "police", "outside_coordinator"},
    VERSION: {"kora", "police"},
}
EMAILS = {
    "kora": "koordination@example.org",
    "police": "pruefung@example.org",
    "mosque": "moschee@example.org",
    "club": "kulturverein@example.org",
    "outsider": "unbeteiligt@example.org",
    "outside_coordinator": "koordination-extern@example.org",
}


def cycle(app):
    """Planned, written, returned, approved, objected, answered and released early."""
    with app.app_context():
        kora = factories.organization("Beratungsstelle KORA", short_name="KORA")
        police = factories.organization("Polizeidirektion", short_name="PD")
        mosque = factories.organization("Moscheeverein", short_name="MV")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        outside = factories.organization("Nicht eingeladen e. V.", short_name="NE")
        people = {
            "kora": factories.account("coordinator", kora, email=EMAILS["kora"]),
            "police": factories.account("reviewer", police, email=EMAILS["police"]),
            "mosque": factories.account("member", mosque, email=EMAILS["mosque"]),
            "club": factories.account("member", club, email=EMAILS["club"]),
            "outsider": factories.account("member", outside, email=EMAILS["outsider"]),
            "outside_coordinator": factories.account(
                "coordinator", outside, email=EMAILS["outside_coordinator"]
            ),
        }
        start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
        meeting = factories.meeting(
            "Sicherheitsdialog", organization=kora, invited=[police, mosque, club], start=start,
            state="held",
        )  # fmt: skip
        AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
        AgendaItem.create(
            meeting=meeting, position=2, title="Ordnerdienst", label="amber", organization=police
        )
        coordinator, reviewer = people["kora"], people["police"]

        def ctx(account):
            return access.get_minutes_or_404(minutes.id, account=account)

        minutes = minutes_editing.start_minutes(load_context(meeting), coordinator)
        section = MinutesSection.get(
            (MinutesSection.minutes == minutes.id) & (MinutesSection.label == "amber")
        )
        minutes_editing.save_section(
            ctx(coordinator), coordinator, section.title, f"Es waren {SECTION}.", "amber",
            police.id, section=section,
        )  # fmt: skip
        saved = minutes_editing.save_draft(
            ctx(coordinator), f"Entwurf {VERSION}", "amber", False, ctx(coordinator).minutes.version,
            coordinator,
        )  # fmt: skip
        minutes_editing.save_draft(
            ctx(coordinator), "Das Lagebild ist ruhig.", "green", False, saved.version, coordinator,
            confirm_wider=True,
        )  # fmt: skip
        with app.test_request_context():
            owner = files.section_owner(ctx(coordinator), section, coordinator)
            attachments.add(owner, io.BytesIO(PDF), f"{FILE}.pdf", FILE, "green", coordinator)
        workflow.submit(ctx(coordinator), coordinator)
        workflow.return_to_draft(ctx(reviewer), reviewer, f"Bitte {REVIEW}.")
        workflow.submit(ctx(coordinator), coordinator)
        workflow.approve(ctx(reviewer), reviewer)
        objection = comments.add_comment(
            ctx(reviewer), "objection", f"{OBJECTION}: zwei, nicht drei", reviewer, section.id
        )
        comments.resolve_objection(ctx(coordinator), objection.id, "Berichtigt.", coordinator)
        workflow.release(ctx(coordinator), coordinator, f"Dringend: {REASON}")
        return minutes.id, meeting.id


def visible_text(page) -> str:
    return page.content()


def test_no_marker_leaves_its_audience(page, live_app, axe, console_errors, tmp_path):
    minutes_id, meeting_id = cycle(live_app)
    for who, email in EMAILS.items():
        sign_in(page, email)
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        seen = []

        page.goto(f"/meetings/{meeting_id}")
        axe.check(page)
        seen.append(visible_text(page))
        page.goto(f"/minutes/{minutes_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll: Sicherheitsdialog")
        axe.check(page)
        html = visible_text(page)
        seen.append(html)
        if who not in READERS[SECTION]:
            expect(page.get_by_text("TOP 2 – für Sie nicht freigegeben")).to_be_visible()
        compare = page.request.get(f"/minutes/{minutes_id}/compare?a=2&b=3")
        if compare.ok:
            page.goto(f"/minutes/{minutes_id}/compare?a=2&b=3")
            axe.check(page)
            seen.append(visible_text(page))
        for word in READERS:
            # Asked in lower case: the page repeats the query as typed, a hit shows the text.
            query = word.lower()
            seen.append(page.request.get(f"/search?q={query}").text())
            fragment = page.request.get(
                f"/search?q={query}", headers={"HX-Request": "true", "HX-Target": "results"}
            )
            seen.append(fragment.text())
        seen.append(page.request.get(f"/meetings/{meeting_id}.ics").text())
        print_view = page.request.get(f"/minutes/{minutes_id}/print")
        seen.append(print_view.text())
        pdf = page.request.get(f"/minutes/{minutes_id}.pdf")
        if pdf.ok:
            path = tmp_path / f"{who}.pdf"
            path.write_bytes(pdf.body())
            seen.append(
                subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
            )
        for link in re.findall(r'href="(/attachments/\d+)"', html):
            seen.append(page.request.get(link).headers.get("content-disposition", ""))
        everything = "\n".join(seen)
        for word, readers in READERS.items():
            if who not in readers:
                assert word not in everything, (who, word)
        if who == "police":  # the reviewer of TOP 2 reads all of it
            assert SECTION in everything and OBJECTION in everything and REVIEW in everything
        page.get_by_role("button", name="Abmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert console_errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_reviewer_is_told_why_they_cannot_approve(page, live_app, axe, width):
    page.set_viewport_size({"width": width, "height": 900})
    with live_app.app_context():
        kora = factories.organization("Beratungsstelle KORA")
        police = factories.organization("Polizeidirektion")
        mosque = factories.organization("Moscheeverein")
        coordinator = factories.account("coordinator", kora, email=EMAILS["kora"])
        factories.account("reviewer", police, email=EMAILS["police"], display_name="Paul Prüfung")
        factories.account("reviewer", kora, email="k2@example.org", display_name="Kim Kontrolle")
        meeting = factories.meeting(
            "Runde", organization=kora, invited=[police, mosque],
            start=utcnow() - dt.timedelta(days=1), state="held",
        )  # fmt: skip
        AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
        AgendaItem.create(
            meeting=meeting, position=2, title="Gemeinde intern", label="amber", organization=mosque
        )
        minutes = minutes_editing.start_minutes(load_context(meeting), coordinator)
        workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    sign_in(page, EMAILS["police"])
    page.goto(f"/minutes/{minutes.id}")
    notice = page.locator(".kern-alert").filter(
        has_text="Sie können dieses Protokoll nicht billigen"
    )
    expect(notice).to_contain_text("TOP 2")
    expect(notice).to_contain_text("Kim Kontrolle")
    expect(page.get_by_role("button", name="Billigen und in Umlauf geben")).to_have_count(0)
    expect(page.get_by_text("TOP 2 – für Sie nicht freigegeben")).to_be_visible()
    axe.check(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_record_pages_pass_axe(page, live_app, axe, console_errors, width):
    """The decision register, the action items, carrying an item, editing a decision and the
    editor with the record's frame, as the coordinator sees them on a desk and on a phone."""
    page.set_viewport_size({"width": width, "height": 900})
    minutes_id, meeting_id = cycle(live_app)
    with live_app.app_context():
        coordinator = Account.get(Account.email == EMAILS["kora"])
        later = factories.meeting(
            "Sicherheitsdialog", organization=coordinator.organization,
            start=utcnow() + dt.timedelta(days=30),
        )  # fmt: skip
        section = MinutesSection.select().where(MinutesSection.minutes == minutes_id).first()
        task = ActionItem.create(section=section, text="Dienstplan abstimmen", responsible="KORA")
        AgendaItem.create(meeting=later, position=1, title="Lagebild")
        draft = minutes_editing.start_minutes(load_context(later), coordinator)
        draft_section = MinutesSection.select().where(MinutesSection.minutes == draft.id).first()
        context = access.get_minutes_or_404(draft.id, account=coordinator)
        minutes_editing.add_decision(
            context, draft_section, minutes_editing.DecisionData("Quartalsweise", "majority", 9, 1, 0),
            coordinator,
        )  # fmt: skip
        decision_id = Decision.get().id
    sign_in(page, EMAILS["kora"])
    for path in (
        "/decisions",
        "/minutes/actions?state=open",
        f"/minutes/actions/{task.id}/carry",
        f"/minutes/{draft.id}/edit",
        f"/minutes/{draft.id}/sections/{draft_section.id}",
        f"/minutes/{draft.id}/sections/{draft_section.id}/decisions/{decision_id}/edit",
    ):
        response = page.goto(path)
        assert response.ok, path
        axe.check(page)
    expect(page.get_by_label("Stimmen dafür")).to_have_value("9")
    assert console_errors == []
