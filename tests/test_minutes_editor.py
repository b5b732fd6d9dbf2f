"""The minutes editor: one place per agenda item with its text, decisions and action items,
text boxes as tall as their text, saving in place (htmx) or the whole page back at the item,
and no silent overwrite when two people save the same item."""

import datetime as dt
import re

import pytest

from intranet.meetings import access as meetings_access
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, editing
from intranet.minutes.models import Decision, Minutes, MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

HTMX = {"HX-Request": "true"}
LONG = "\n".join(
    f"Beitrag {n}: Die Lage im Viertel ist ruhig, die Streife bleibt." for n in range(30)
)


@pytest.fixture
def minutes(app, org, other_org, coordinator):
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
    meeting = factories.meeting("Plenum", organization=org, invited=[other_org], start=start)
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    AgendaItem.create(meeting=meeting, position=2, title="Verschiedenes")
    return editing.start_minutes(meetings_access.load_context(meeting), coordinator)


def first_section(minutes):
    return (
        MinutesSection.select()
        .where(MinutesSection.minutes == minutes.id)
        .order_by(MinutesSection.position)
        .first()
    )


def text_data(client, section, text, version=None):
    prefix = f"top{section.id}"
    return {
        f"{prefix}-csrf_token": csrf_token(client),
        f"{prefix}-title": section.title,
        f"{prefix}-text": text,
        f"{prefix}-label": section.label,
        f"{prefix}-organization": "0",
        f"{prefix}-version": str(section.version if version is None else version),
    }


def test_each_item_shows_its_text_in_a_box_as_tall_as_the_text(client, coordinator, minutes):
    section = first_section(minutes)
    context = access.get_minutes_or_404(minutes.id, account=coordinator)
    editing.save_section(context, coordinator, section.title, LONG, "green", None, section)
    sign_in(client, coordinator)
    page = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    box = re.search(rf'<textarea[^>]*name="top{section.id}-text"[^>]*>', page).group(0)
    assert "data-autogrow" in box and int(re.search(r'rows="(\d+)"', box).group(1)) >= 30
    assert "Beitrag 29" in page
    # Decisions and action items are added under the item, on the same page.
    assert (
        f'action="/minutes/{minutes.id}/sections/{section.id}/decisions#top-{section.id}"' in page
    )
    assert f'action="/minutes/{minutes.id}/sections/{section.id}/tasks#top-{section.id}"' in page


def test_saving_an_item_in_place_answers_with_that_item_and_the_time(client, coordinator, minutes):
    section = first_section(minutes)
    sign_in(client, coordinator)
    path = f"/minutes/{minutes.id}/sections/{section.id}"
    headers = {**HTMX, "HX-Target": f"top-{section.id}-text"}
    response = client.post(path, data=text_data(client, section, "Ruhig."), headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="top-{section.id}-text"' in body and "Ruhig." in body
    assert re.search(
        rf'id="top-{section.id}-status" hx-swap-oob="innerHTML">Gespeichert um \d\d:\d\d', body
    )
    # The next save of the same person builds on the version the answer carries.
    again = client.post(
        path, data=text_data(client, section, "Ruhig, dann laut.", 2), headers=headers
    )
    assert again.status_code == 200
    assert MinutesSection.get_by_id(section.id).text == "Ruhig, dann laut."


def test_without_javascript_a_save_comes_back_to_the_same_item(client, coordinator, minutes):
    section = first_section(minutes)
    sign_in(client, coordinator)
    response = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}", data=text_data(client, section, "Ruhig.")
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/minutes/{minutes.id}/edit#top-{section.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    status = re.search(rf'id="top-{section.id}-status"[^>]*>([^<]*)<', page).group(1)
    assert status.startswith("Gespeichert um ")


def test_two_people_saving_the_same_item_never_overwrite_each_other(
    client, coordinator, minutes, org
):
    section = first_section(minutes)
    colleague = factories.account("coordinator", org, email="kollegin@example.org")
    sign_in(client, colleague)
    first = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}",
        data=text_data(client, section, "Text der Kollegin"),
        headers={**HTMX, "HX-Target": f"top-{section.id}-text"},
    )
    assert first.status_code == 200
    sign_in(client, coordinator)  # loaded the item before the colleague saved (version 1)
    late = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}",
        data=text_data(client, section, "Mein Text", version=1),
        headers={**HTMX, "HX-Target": f"top-{section.id}-text"},
    )
    body = late.get_data(as_text=True)
    assert late.status_code == 409 and "in der Zwischenzeit gespeichert" in body
    assert "Mein Text</textarea>" in body and "Text der Kollegin" in body  # theirs, in the diff
    assert MinutesSection.get_by_id(section.id).text == "Text der Kollegin"
    # Saving again after seeing the difference is a deliberate choice, and works.
    version = re.search(rf'name="top{section.id}-version"[^>]*value="(\d+)"', body).group(1)
    again = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}",
        data=text_data(client, section, "Mein Text", version=int(version)),
    )
    assert again.status_code == 303 and MinutesSection.get_by_id(section.id).text == "Mein Text"


def test_a_decision_is_added_in_place_without_touching_the_text(client, coordinator, minutes):
    section = first_section(minutes)
    sign_in(client, coordinator)
    response = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}/decisions",
        data={"csrf_token": csrf_token(client), f"decision{section.id}-text": "Streife bleibt."},
        headers={**HTMX, "HX-Target": f"top-{section.id}-entries"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="top-{section.id}-entries"' in body
    assert "Streife bleibt." in body and "Beschluss hinzugefügt." in body
    # Only the entries come back: the text box (maybe with unsaved typing) stays as it is, and
    # the form is empty for the next decision.
    assert f'name="top{section.id}-text"' not in body
    assert re.search(rf'<textarea[^>]*name="decision{section.id}-text"[^>]*>\s*</textarea>', body)
    assert Decision.get().text == "Streife bleibt."
    removal = f"/minutes/{minutes.id}/sections/{section.id}/decisions/{Decision.get().id}/delete"
    assert f'hx-post="{removal}"' in body
    refused = client.post(
        f"/minutes/{minutes.id}/sections/{section.id}/decisions",
        data={"csrf_token": csrf_token(client), f"decision{section.id}-text": ""},
        headers={**HTMX, "HX-Target": f"top-{section.id}-entries"},
    )
    assert refused.status_code == 422 and f'id="top-{section.id}-entries"' in refused.get_data(
        as_text=True
    )


def test_a_stale_save_of_an_item_raises_a_conflict(coordinator, minutes):
    section = first_section(minutes)
    context = access.get_minutes_or_404(minutes.id, account=coordinator)
    editing.save_section(context, coordinator, section.title, "eins", "green", None, section, 1)
    with pytest.raises(access.Conflict):
        editing.save_section(context, coordinator, section.title, "zwei", "green", None, section, 1)
    assert MinutesSection.get_by_id(section.id).text == "eins"


# --- The general part before the agenda items ---------------------------------------------------


def general_data(client, minutes, text, version=None):
    return {
        "csrf_token": csrf_token(client, f"/minutes/{minutes.id}/edit"),
        "body": text,
        "version": str(minutes.version if version is None else version),
    }


def test_the_general_part_stands_before_the_items_in_the_same_flow(client, coordinator, minutes):
    sign_in(client, coordinator)
    page = client.get(f"/minutes/{minutes.id}/edit").get_data(as_text=True)
    general = page.index('id="general-heading"')
    box = re.search(r'<textarea[^>]*name="body"[^>]*>', page).group(0)
    assert "data-autogrow" in box
    # One text box for the general text, after the record form and before TOP 1; the agenda is
    # not written into it a second time.
    assert page.count('name="body"') == 1 and general < page.index(box)
    assert page.index(box) < page.index(f'id="top-{first_section(minutes).id}-heading"')
    assert "- TOP 1: Lagebild" not in page


def test_saving_the_general_part_in_place_answers_with_it_and_the_new_version(
    client, coordinator, minutes
):
    sign_in(client, coordinator)
    headers = {**HTMX, "HX-Target": "general-text"}
    response = client.post(
        f"/minutes/{minutes.id}/general",
        data=general_data(client, minutes, "Begrüßung durch den Vorsitz."),
        headers=headers,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="general-text"' in body and "Begrüßung durch den Vorsitz." in body
    assert re.search(r'id="general-status" hx-swap-oob="innerHTML">Gespeichert um \d\d:\d\d', body)
    saved = Minutes.get_by_id(minutes.id)
    assert saved.body == "Begrüßung durch den Vorsitz." and saved.version == minutes.version + 1
    # The record form above builds on the new version, so saving it is no conflict with oneself.
    assert f'id="version" name="version" value="{saved.version}" hx-swap-oob="true"' in body
    record = client.post(
        f"/minutes/{minutes.id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/minutes/{minutes.id}/edit"),
            "chair": "R. Vorsitz",
            "label": "green",
            "version": str(saved.version),
        },
    )
    assert record.status_code == 303
    again = Minutes.get_by_id(minutes.id)
    assert again.chair == "R. Vorsitz" and again.body == "Begrüßung durch den Vorsitz."


def test_the_general_part_without_javascript_comes_back_to_it(client, coordinator, minutes):
    sign_in(client, coordinator)
    response = client.post(
        f"/minutes/{minutes.id}/general", data=general_data(client, minutes, "Allgemeines.")
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/minutes/{minutes.id}/edit#general"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="general-status" aria-live="polite">Gespeichert um', page)


def test_a_second_saver_of_the_general_part_gets_409_and_overwrites_nothing(
    client, coordinator, minutes
):
    sign_in(client, coordinator)
    stale = general_data(client, minutes, "Mein Text")
    first = client.post(
        f"/minutes/{minutes.id}/general", data=general_data(client, minutes, "Ihr Text")
    )
    assert first.status_code == 303
    headers = {**HTMX, "HX-Target": "general-text"}
    second = client.post(f"/minutes/{minutes.id}/general", data=stale, headers=headers)
    body = second.get_data(as_text=True)
    assert second.status_code == 409 and "<html" not in body
    assert "in der Zwischenzeit gespeichert" in body and "Mein Text</textarea>" in body
    assert re.search(r"entfernt:</span> <del>Ihr Text</del>", body)
    assert Minutes.get_by_id(minutes.id).body == "Ihr Text"
