"""The warning before the session ends, in a real browser: it appears shortly before the idle
limit, takes the focus, and its button keeps the person signed in; axe finds nothing."""

import time

import pytest
from playwright.sync_api import expect

from intranet.core.accounts import Account
from intranet.meetings import access
from intranet.meetings.models import Meeting
from intranet.minutes import editing
from tests.conftest import make_app
from tests.e2e.test_minutes import forum, login

# Short limits, so that the warning comes within seconds: 24 s without activity, a warning 8 s
# before. Under a minute, ordinary requests do not restart the idle timer (it moves in whole
# minutes), so only the warning's button can keep this session alive.
IDLE_MINUTES = 0.4
WARNING_SECONDS = 8


@pytest.fixture
def live_app(tmp_path):
    app = make_app(
        tmp_path, SESSION_IDLE_MINUTES=IDLE_MINUTES, SESSION_WARNING_SECONDS=WARNING_SECONDS
    )
    app.config["TESTING"] = False
    return app


def test_warning_before_the_idle_limit_extends_the_session(page, live_app, axe, console_errors):
    meeting_id = forum(live_app)
    with live_app.app_context():
        coordinator = Account.get(Account.email == "k@example.org")
        context = access.load_context(Meeting.get_by_id(meeting_id))
        minutes = editing.start_minutes(context, coordinator)
    login(page, "k@example.org")
    signed_in_at = time.monotonic()
    page.goto(f"/minutes/{minutes.id}/edit")
    axe.check(page)
    body = page.locator("textarea[name=body]")
    body.fill("Ein Absatz, der nicht verloren gehen soll.")

    dialog = page.get_by_role("alertdialog", name="Ihre Anmeldung endet bald")
    expect(dialog).to_be_visible(timeout=20_000)
    expect(dialog).to_contain_text("Ohne Aktivität endet Ihre Anmeldung in 1 Minute.")
    extend = dialog.get_by_role("button", name="Anmeldung verlängern")
    expect(extend).to_be_focused()
    axe.check(page)

    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#session-status")).to_have_text("Ihre Anmeldung wurde verlängert.")
    expect(body).to_be_focused()  # back where the person was typing
    axe.check(page)

    # Past the limit that applied before the button was pressed: still signed in.
    page.wait_for_timeout(
        max(0, (IDLE_MINUTES * 60 + 2 - (time.monotonic() - signed_in_at)) * 1000)
    )
    page.locator("#general").get_by_role("button", name="Text speichern").click()
    expect(page.locator("#general .save-status")).to_contain_text("Gespeichert um")
    expect(body).to_have_value("Ein Absatz, der nicht verloren gehen soll.")
    assert console_errors == []
