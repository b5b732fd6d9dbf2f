"""Typed text outlives the session: a form sent after the idle limit is kept for its account and
comes back on the form's page after signing in again; the warning's extend button; the hint."""

import datetime as dt
import json

import pytest

from intranet.auth.models import SavedForm
from intranet.meetings import access
from intranet.meetings.models import AgendaItem
from intranet.minutes import editing
from intranet.minutes.models import Minutes, MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

RESTORED = "Ihr Text wurde wiederhergestellt; bitte prüfen und speichern."
TYPED = "Neuer Absatz, geschrieben kurz vor der Pause."


@pytest.fixture
def minutes(app, org, other_org, coordinator):
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
    meeting = factories.meeting("Plenum", organization=org, invited=[other_org], start=start)
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    return editing.start_minutes(access.load_context(meeting), coordinator)


def editor_form(client, minutes, **values):
    data = {
        "csrf_token": csrf_token(client, f"/minutes/{minutes.id}/edit"),
        "body": TYPED,
        "label": "green",
        "version": str(minutes.version),
    }
    data.update(values)
    return data


def go_idle(client, minutes=61, seconds=0):
    with client.session_transaction() as session:
        session["seen_at"] -= minutes * 60 + seconds


def test_text_saved_after_the_idle_limit_comes_back_after_signing_in(client, coordinator, minutes):
    sign_in(client, coordinator)
    data = editor_form(client, minutes)
    go_idle(client)
    response = client.post(f"/minutes/{minutes.id}/edit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/minutes/{minutes.id}/edit"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Was Sie eingegeben haben, wurde aufbewahrt" in login_page
    assert Minutes.get_by_id(minutes.id).body != TYPED  # nothing was saved while signed out

    signed_in = sign_in(client, coordinator, next=f"/minutes/{minutes.id}/edit")
    assert signed_in.headers["Location"] == f"/minutes/{minutes.id}/edit"
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert RESTORED in editor
    assert f"\n{TYPED}</textarea>" in editor
    # Given back once: the next visit shows the saved draft again.
    again = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert TYPED not in again and RESTORED not in again
    assert SavedForm.select().count() == 0


def test_htmx_requests_are_kept_too_and_lead_back_to_the_editor(client, coordinator, minutes):
    """The live preview sends the whole editor; after the idle limit it is the first request."""
    sign_in(client, coordinator)
    data = editor_form(client, minutes)
    go_idle(client)
    response = client.post(
        f"/minutes/{minutes.id}/preview",
        data=data,
        headers={"HX-Request": "true", "HX-Target": "preview"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == f"/login?next=/minutes/{minutes.id}/edit"
    sign_in(client, coordinator, next=f"/minutes/{minutes.id}/edit")
    assert f"\n{TYPED}</textarea>" in client.get(f"/minutes/{minutes.id}/edit").get_data(
        as_text=True
    )


def test_another_account_on_the_same_browser_never_gets_the_text(client, org, coordinator, minutes):
    colleague = factories.account("coordinator", org, email="kollegin@example.org")
    sign_in(client, coordinator)
    data = editor_form(client, minutes)
    go_idle(client)
    client.post(f"/minutes/{minutes.id}/edit", data=data)

    sign_in(client, colleague, next=f"/minutes/{minutes.id}/edit")
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert client.get(f"/minutes/{minutes.id}/edit").status_code == 200
    assert TYPED not in editor and RESTORED not in editor
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    # Still kept for the person who typed it.
    sign_in(client, coordinator)
    assert TYPED in client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)


def test_text_older_than_an_hour_is_not_restored(client, coordinator, minutes):
    sign_in(client, coordinator)
    data = editor_form(client, minutes)
    go_idle(client)
    client.post(f"/minutes/{minutes.id}/edit", data=data)
    SavedForm.update(created_at=utcnow() - dt.timedelta(minutes=61)).execute()

    sign_in(client, coordinator)
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert TYPED not in editor and RESTORED not in editor
    assert SavedForm.select().count() == 0  # and forgotten


def test_passwords_and_csrf_tokens_are_never_kept(client, coordinator, minutes):
    sign_in(client, coordinator)
    data = editor_form(
        client,
        minutes,
        password="geheim-Passwort-1",
        new_password="noch-geheimer-2",
        **{"section-csrf_token": "anderer-token"},
    )
    go_idle(client)
    client.post(f"/minutes/{minutes.id}/edit", data=data)
    kept = SavedForm.get()
    names = {name for name, _value in json.loads(kept.fields)}
    assert names == {"body", "label", "version"}
    for secret in (data["csrf_token"], "geheim-Passwort-1", "noch-geheimer-2", "anderer-token"):
        assert secret not in kept.fields
    assert kept.account_id == coordinator.id and kept.path == f"/minutes/{minutes.id}/edit"


def test_a_post_without_the_csrf_token_keeps_nothing(client, coordinator, minutes):
    """Otherwise another site could plant text in someone's editor."""
    sign_in(client, coordinator)
    data = editor_form(client, minutes, csrf_token="falsch")
    go_idle(client)
    assert client.post(f"/minutes/{minutes.id}/edit", data=data).status_code == 400
    assert SavedForm.select().count() == 0


def test_forms_that_do_not_opt_in_are_not_kept(client, coordinator, minutes):
    sign_in(client, coordinator)
    data = {"csrf_token": csrf_token(client), "comment": "Ein Kommentar", "kind": "comment"}
    go_idle(client)
    client.post(f"/minutes/{minutes.id}/comments", data=data)
    assert SavedForm.select().count() == 0


def test_section_page_gets_its_text_back(client, coordinator, minutes):
    section = MinutesSection.get(MinutesSection.minutes == minutes.id)  # TOP 1 of the agenda
    path = f"/minutes/{minutes.id}/sections/{section.id}"
    sign_in(client, coordinator)
    data = {
        f"top{section.id}-csrf_token": csrf_token(client),
        f"top{section.id}-title": "TOP 1: Lagebild",
        f"top{section.id}-text": TYPED,
        f"top{section.id}-label": "green",
        f"top{section.id}-organization": "0",
    }
    go_idle(client)
    assert client.post(path, data=data).headers["Location"] == f"/login?next={path}"
    sign_in(client, coordinator)
    page = client.get(path).get_data(as_text=True)
    assert RESTORED in page and f"\n{TYPED}</textarea>" in page


def test_meeting_form_gets_its_text_back(client, org, coordinator):
    meeting = factories.meeting("Plenum", organization=org, description="Alt")
    path = f"/meetings/{meeting.id}/edit"
    sign_in(client, coordinator)
    page = client.get(path).get_data(as_text=True)
    assert 'name="title"' in page
    data = {
        "csrf_token": csrf_token(client, path),
        "title": "Plenum im Rathaus",
        "date": "2031-03-17",
        "start_time": "18:00",
        "end_time": "20:00",
        "description": TYPED,
        "label": "green",
        "organization": str(org.id),
        "version": str(meeting.version),
    }
    go_idle(client)
    client.post(path, data=data)
    sign_in(client, coordinator)
    page = client.get(path).get_data(as_text=True)
    assert RESTORED in page
    assert f"\n{TYPED}</textarea>" in page and 'value="Plenum im Rathaus"' in page


# --- The warning's button and the hint -----------------------------------------------------------


def test_extend_restarts_the_idle_timer(client, coordinator, minutes):
    sign_in(client, coordinator)
    token = csrf_token(client)
    go_idle(client, 0, seconds=50)
    page = client.get(f"/minutes/{minutes.id}/edit")
    assert 3540 <= int(page.headers["X-Session-Remaining"]) <= 3550
    go_idle(client, 59)
    response = client.post("/session/extend", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert 3590 <= response.get_json()["remaining"] <= 3600
    go_idle(client, 59)  # an hour after the last visit, but only 59 minutes after extending
    assert client.get(f"/minutes/{minutes.id}/edit").status_code == 200


def test_extend_needs_the_csrf_token_and_a_session(client, coordinator):
    sign_in(client, coordinator)
    token = csrf_token(client)
    assert client.post("/session/extend").status_code == 400
    go_idle(client)
    late = client.post("/session/extend", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert late.status_code == 401 and late.get_json() == {"remaining": 0}
    assert client.get("/account").status_code == 302  # too late is too late


def test_pages_carry_the_warning_and_long_forms_state_the_limit(client, coordinator, minutes):
    sign_in(client, coordinator)
    editor = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    assert 'role="alertdialog"' in editor and "Anmeldung verlängern" in editor
    assert (
        "Nach 60 Minuten ohne Aktivität endet die Anmeldung; speichern Sie zwischendurch." in editor
    )
