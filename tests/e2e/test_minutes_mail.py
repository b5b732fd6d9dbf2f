"""The minutes cycle in Chromium with mail on, against a real SMTP server in the test process
(aiosmtpd): the reviewer, the authors and the members each receive exactly the mails of their
steps, in their language, and the mails about TLP:RED minutes carry no title."""

import datetime as dt
import email
import email.policy
import socket
from collections import Counter

from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from intranet.core import outbox
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem
from intranet.minutes import editing
from intranet.platform.db import utcnow
from tests import factories
from tests.e2e.test_shell import sign_in

SECRET_TITLE = "Fallkonferenz Nordstern"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.extend((rcpt, message) for rcpt in envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def forum(live_app):
    """A GREEN plenary and a RED case conference, both held, each with draft minutes."""
    with live_app.app_context(), live_app.test_request_context():
        kora = factories.organization("Beratungsstelle", short_name="KORA")
        police = factories.organization("Polizeidirektion", short_name="PD")
        club = factories.organization("Kulturverein Elbe", short_name="KVE")
        kim = factories.account("coordinator", kora, email="k@example.org",
                                display_name="Katrin Koordination")  # fmt: skip
        paul = factories.account("reviewer", police, email="p@example.org",
                                 display_name="Paul Prüfung")  # fmt: skip
        mia = factories.account("member", club, email="m@example.org", display_name="Mia Mitglied")
        factories.account("member", club, email="e@example.org", display_name="Eve English",
                          language="en")  # fmt: skip
        start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
        plenary = factories.meeting("Plenum", organization=kora, invited=[police, club],
                                    start=start, state="held")  # fmt: skip
        secret = factories.meeting(SECRET_TITLE, "red", organization=kora,
                                   persons=[kim, paul, mia], start=start, state="held")  # fmt: skip
        ids = []
        for meeting in (plenary, secret):
            AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
            ids.append(editing.start_minutes(load_context(meeting), kim).id)
        return ids


def switch(page, email_address):
    page.context.clear_cookies()
    sign_in(page, email_address)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def delivered(live_app, inbox):
    """Deliver what is queued, as the background thread would; the new mails by recipient."""
    before = len(inbox.messages)
    with live_app.app_context():
        outbox.deliver_due()
    return Counter((rcpt, message["Subject"]) for rcpt, message in inbox.messages[before:])


def test_minutes_cycle_mails_those_concerned_in_their_language(page, live_app, axe):
    port = free_port()
    live_app.config.update(MAIL_SERVER=f"127.0.0.1:{port}", MAIL_FROM="intranet@example.org")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        plenary, secret = forum(live_app)

        switch(page, "k@example.org")
        for minutes_id in (plenary, secret):
            page.goto(f"/minutes/{minutes_id}")
            page.get_by_role("button", name="Zur Prüfung geben").click()
            expect(page.get_by_role("status")).to_contain_text("zur Prüfung vor")
        axe.check(page)
        # The only reviewer hears of both; the RED one without its title.
        assert delivered(live_app, inbox) == Counter({
            ("p@example.org", "Protokoll zur Prüfung: Plenum"): 1,
            ("p@example.org", "Ein Protokoll wartet auf Ihre Prüfung"): 1,
        })  # fmt: skip

        switch(page, "p@example.org")
        circulated = Counter()
        for minutes_id in (plenary, secret):
            page.goto(f"/minutes/{minutes_id}")
            page.get_by_role("button", name="Billigen und in Umlauf geben").click()
            # The check says that mails will go out; none leaves before the final button.
            expect(page.get_by_role("heading", name="Vor dem Umlauf prüfen")).to_be_visible()
            expect(page.locator("#steps")).to_contain_text("mit dem Link")
            axe.check(page)
            assert delivered(live_app, inbox) == Counter()
            page.get_by_role("button", name="Jetzt billigen und in Umlauf geben").click()
            expect(page.get_by_role("status")).to_contain_text("im Umlauf")
            expect(page.get_by_text("Einspruchsfrist bis")).to_be_visible()
            circulated += delivered(live_app, inbox)
        axe.check(page)
        # Everyone who may read them, in their language; the RED one only to the persons named.
        assert circulated == Counter({
            ("k@example.org", "Protokoll im Umlauf: Plenum"): 1,
            ("m@example.org", "Protokoll im Umlauf: Plenum"): 1,
            ("e@example.org", "Minutes in circulation: Plenum"): 1,
            ("k@example.org", "Ein Protokoll ist im Umlauf"): 1,
            ("m@example.org", "Ein Protokoll ist im Umlauf"): 1,
        })  # fmt: skip

        switch(page, "m@example.org")
        page.goto(f"/minutes/{plenary}")
        page.get_by_label("Einspruch (verhindert").check()
        page.get_by_label("Ihr Text").fill("Der Verein war vollständig vertreten.")
        page.get_by_role("button", name="Senden").click()
        expect(page.get_by_role("status")).to_contain_text("Ihr Einspruch ist festgehalten")
        axe.check(page)
        # The author hears of the objection, not its text.
        assert delivered(live_app, inbox) == Counter({
            ("k@example.org", "Einspruch zum Protokoll: Plenum"): 1,
        })  # fmt: skip

        switch(page, "k@example.org")
        page.goto(f"/minutes/{plenary}")
        page.get_by_label("Wie wurde der Einspruch geklärt?").fill("Im Text so festgehalten.")
        page.get_by_role("button", name="Einspruch klären").click()
        expect(page.get_by_role("status")).to_contain_text("Der Einspruch ist geklärt")
        page.get_by_label("Kommentar zur Freigabe").fill("Die Stadt braucht den Stand.")
        page.get_by_role("button", name="Freigeben").click()
        expect(page.get_by_role("heading", name="Vor der Freigabe prüfen")).to_be_visible()
        axe.check(page)
        assert delivered(live_app, inbox) == Counter()
        page.get_by_role("button", name="Jetzt freigeben").click()
        expect(page.get_by_text("Prüfsumme anzeigen")).to_be_visible()
        axe.check(page)
        # The members at once; the reviewer chose (by default) the daily summary for this.
        assert delivered(live_app, inbox) == Counter({
            ("m@example.org", "Protokoll freigegeben: Plenum"): 1,
            ("e@example.org", "Minutes released: Plenum"): 1,
        })  # fmt: skip

        # The reviewer finds the choices on their account page and turns invitations off.
        switch(page, "p@example.org")
        page.goto("/account")
        choices = page.locator("#notifications")
        expect(choices).to_contain_text("Sie sind die einzige prüfende Person")
        axe.check(page)
        choices.get_by_role("group", name="Einladungen zu Terminen").get_by_text(
            "Keine Mail"
        ).click()
        choices.get_by_role("button", name="Auswahl speichern").click()
        expect(
            page.get_by_text("Ihre Auswahl für Benachrichtigungen ist gespeichert.")
        ).to_be_visible()
        expect(
            page.get_by_role("group", name="Einladungen zu Terminen").get_by_label("Keine Mail")
        ).to_be_checked()
        axe.check(page)

        for _rcpt, message in inbox.messages:
            whole = message.as_string()
            assert SECRET_TITLE not in whole and "vollständig vertreten" not in whole
            assert "Die Stadt braucht" not in whole
    finally:
        controller.stop()
