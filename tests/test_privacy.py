"""The shared DSGVO pieces: the record's own address (and its old endpoint name), and the
files a person uploaded in the Art. 15 export."""

import json

import pytest
from flask import url_for

from tests.conftest import sign_in
from tests.factories import PDF, make_meeting, upload


def test_the_record_keeps_its_address_and_its_old_endpoint_name(app, client, admin):
    with app.test_request_context():
        assert url_for("privacy.record") == "/privacy/record"
        assert url_for("directory.privacy_record") == "/privacy/record"
    sign_in(client, admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/privacy/record"' in page  # the admin's navigation links to it
    assert "Verzeichnis der Verarbeitungstätigkeiten" in client.get("/privacy/record").get_data(
        as_text=True
    )


def test_the_record_sends_anonymous_visitors_to_the_sign_in(client):
    response = client.get("/privacy/record")
    assert response.status_code == 302
    assert "/login?next=/privacy/record" in response.headers["Location"]
    response = client.get("/privacy/record", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("by", ["account", "entry"])
def test_export_lists_uploaded_files_and_withholds_names_the_admin_may_not_see(
    client, org, coordinator, admin, by
):
    from tests.factories import person

    entry = person(org, account=coordinator.id) if by == "entry" else None
    open_meeting = make_meeting("Plenum", "green", organization=org)
    closed_meeting = make_meeting("Lage im Stadtteil", "amber", organization=org)
    sign_in(client, coordinator)
    upload(client, f"meeting:{open_meeting.id}", PDF, "lagebild.pdf", name="Lagebild März")
    upload(
        client,
        f"meeting:{closed_meeting.id}",
        PDF,
        "plan.pdf",
        label="amber",
        name="Einsatzplan Nord",
    )
    upload(client, f"meeting:{open_meeting.id}", PDF, "red.pdf", label="red", name="Quellen")
    client.post("/logout", data={})
    sign_in(client, admin)  # an admin outside the organisation: sees only the green file
    url = (
        f"/contacts/{entry.id}/privacy.json"
        if entry
        else f"/admin/accounts/{coordinator.id}/privacy.json"
    )
    body = client.get(url).get_data(as_text=True)
    assert "Einsatzplan Nord" not in body and "Quellen" not in body
    shown, withheld, red = json.loads(body)["attachments_uploaded"]
    assert shown["name"] == "Lagebild März" and shown["label"] == "TLP:GREEN"
    assert set(shown) >= {"attachment_id", "uploaded_at_utc"}
    assert "name" not in withheld and withheld["label"] == "TLP:AMBER"
    assert "angemeldet" in withheld["note"]
    assert "name" not in red and red["label"] == "TLP:RED"


def test_export_holds_the_notification_choices_summary_entries_and_what_was_told_once(
    client, app, org, coordinator, member, admin
):
    from intranet.core import notifications
    from intranet.core.models import DigestEntry, MailOnce
    from intranet.platform.db import utcnow

    open_meeting = make_meeting("Plenum", "green", organization=org)
    closed_meeting = make_meeting("Lage im Stadtteil", "amber", organization=org)
    with app.test_request_context():
        notifications.save(member, {"invitations": "daily"}, 18, 30)
    for meeting in (open_meeting, closed_meeting):
        DigestEntry.create(account=member.id, topic="invitations", about=f"meeting:{meeting.id}",
                           subject=f"Einladung: {meeting.title}", link="http://localhost/")  # fmt: skip
    MailOnce.create(account=member.id, key=f"reminder:meeting:{open_meeting.id}", at=utcnow())
    sign_in(client, admin)  # of no organisation: may not see the AMBER meeting
    body = client.get(f"/admin/accounts/{member.id}/privacy.json").get_data(as_text=True)
    told = json.loads(body)["notifications"]
    assert told["chosen"] and told["choices"]["invitations"] == "daily"
    assert told["digest_hour"] == 18 and told["alarm_minutes"] == 30
    shown, withheld = told["kept_for_summary"]
    assert shown["subject"] == "Einladung: Plenum" and shown["topic"] == "invitations"
    assert "subject" not in withheld and withheld["about"] == f"meeting:{closed_meeting.id}"
    assert "Lage im Stadtteil" not in body
    assert [o["occasion"] for o in told["told_once"]] == [f"reminder:meeting:{open_meeting.id}"]
