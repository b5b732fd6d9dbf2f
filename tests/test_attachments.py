"""Attachments: what is accepted, where it is stored, who may download it, how it is served."""

import io
import os
import stat
import zipfile
from urllib.parse import quote

import pytest

from intranet.attachments import services
from intranet.attachments.models import Attachment
from intranet.core.areas import registry
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem
from tests.conftest import csrf_token, sign_in
from tests.factories import PDF, make_meeting, upload
from tests.test_meetings import VISIBLE, world  # noqa: F401 (fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office_file(*parts, mimetype=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype is not None:
            archive.writestr("mimetype", mimetype)
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture
def meeting(app, org):
    return make_meeting("Plenum", "green", organization=org)


def test_a_coordinator_adds_a_file_that_readers_download(client, coordinator, member, meeting):
    sign_in(client, coordinator)
    response = upload(client, f"meeting:{meeting.id}", PDF, "Lagebild März.pdf", name="Lagebild")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    stored = Attachment.get()
    assert (stored.file_name, stored.mime_type, stored.size) == (
        "Lagebild März.pdf",
        "application/pdf",
        len(PDF),
    )
    assert len(stored.sha256) == 64 and stored.storage_key not in stored.file_name

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'href="/attachments/{stored.id}"' in page and "Lagebild" in page
    download = client.get(f"/attachments/{stored.id}")
    assert download.status_code == 200 and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Lagebild März.pdf')}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.mimetype == "application/pdf"


@pytest.mark.parametrize(
    "content, filename",
    [
        (b"<html><script>alert(1)</script></html>", "bericht.pdf"),  # HTML posing as PDF
        (b"GIF89a<script>alert(1)</script>", "bild.png"),  # GIF/script polyglot named PNG
        (PDF, "bericht.html"),  # a type that is not accepted at all
        (PDF, "bericht"),  # no extension
        (PDF, "bericht.svg"),
        (office_file("[Content_Types].xml"), "text.docx"),  # a ZIP without a Word document
        (office_file("[Content_Types].xml", "word/document.xml"), "tabelle.xlsx"),
        (office_file(mimetype="application/zip"), "text.odt"),
        (b"PK\x03\x04 not really a zip", "text.docx"),
        (b"", "leer.pdf"),
    ],
)
def test_files_whose_content_does_not_match_their_type_are_refused(
    client, coordinator, meeting, content, filename
):
    sign_in(client, coordinator)
    response = upload(client, f"meeting:{meeting.id}", content, filename)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'class="kern-error"' in body
    assert not Attachment.select().exists()
    assert not list((services.storage_root()).rglob("*")) or all(
        p.is_dir() for p in services.storage_root().rglob("*")
    )


@pytest.mark.parametrize(
    "content, filename, mime",
    [
        (PNG, "foto.PNG", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "foto.jpeg", "image/jpeg"),
        (office_file(mimetype="application/vnd.oasis.opendocument.text"), "text.odt",
         "application/vnd.oasis.opendocument.text"),
        (office_file("[Content_Types].xml", "word/document.xml"), "text.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (office_file("[Content_Types].xml", "xl/workbook.xml"), "liste.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        # A PDF that also carries HTML is a PDF: it is only ever served as a sandboxed download.
        (PDF + b"<html><script>alert(1)</script></html>", "poly.pdf", "application/pdf"),
    ],
)  # fmt: skip
def test_accepted_types(client, coordinator, meeting, content, filename, mime):
    sign_in(client, coordinator)
    assert upload(client, f"meeting:{meeting.id}", content, filename).status_code == 303
    assert Attachment.get().mime_type == mime


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/absolute/path/Bericht.pdf", "Bericht.pdf"),
        ("...pdf", "datei.pdf"),
        ("\u202egnp.pdf", "gnp.pdf"),  # right-to-left override
        ("a" * 400 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_path_tricks_in_file_names(client, coordinator, meeting, raw, expected):
    sign_in(client, coordinator)
    assert upload(client, f"meeting:{meeting.id}", PDF, raw).status_code == 303
    stored = Attachment.get()
    assert stored.file_name == expected
    path = services.stored_path(stored)
    assert path.parent.parent == services.storage_root() and path.name == stored.storage_key
    assert "\r" not in client.get(f"/attachments/{stored.id}").headers["Content-Disposition"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),  # as old browsers sent paths
        ("C:\\Users\\x\\Bericht.pdf", "Bericht.pdf"),
        ("Bericht\x00.pdf", "Bericht.pdf"),
        ("Bericht\r\nX-Injected: 1.pdf", "BerichtX-Injected: 1.pdf"),
        ("  . Bericht .pdf", "Bericht.pdf"),
        ("", "datei"),
    ],
)
def test_file_name_cleaning(raw, expected):
    assert services.clean_file_name(raw) == expected


def test_files_are_private_to_the_service_user(client, coordinator, meeting):
    old = os.umask(0o022)
    try:
        sign_in(client, coordinator)
        assert upload(client, f"meeting:{meeting.id}", PDF, "a.pdf").status_code == 303
    finally:
        os.umask(old)
    path = services.stored_path(Attachment.get())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(services.storage_root().stat().st_mode) == 0o700


def test_oversized_files_are_refused_with_a_message(app, client, coordinator, meeting):
    app.config["ATTACHMENT_MAX_MB"] = 1
    sign_in(client, coordinator)
    response = upload(client, f"meeting:{meeting.id}", PDF + b"0" * (1024 * 1024), "gross.pdf")
    assert response.status_code == 422
    assert "1 MB" in response.get_data(as_text=True)
    assert not Attachment.select().exists()
    assert not [p for p in services.storage_root().rglob("*") if p.is_file()]
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    too_big = upload(client, f"meeting:{meeting.id}", PDF + b"0" * (3 * 1024 * 1024), "riesig.pdf")
    assert too_big.status_code == 413


def test_amber_strict_items_take_no_files(client, coordinator, org):
    strict = make_meeting("Streng", "amber_strict", organization=org)
    sign_in(client, coordinator)
    response = upload(client, f"meeting:{strict.id}", PDF, "a.pdf")
    assert response.status_code == 422
    assert "TLP:AMBER+STRICT" in response.get_data(as_text=True)
    green = make_meeting("Grün", "green", organization=org)
    assert (
        upload(client, f"meeting:{green.id}", PDF, "a.pdf", label="amber_strict").status_code == 422
    )


def test_a_file_of_an_item_that_became_strict_is_listed_but_not_downloadable(
    client, coordinator, org
):
    meeting = make_meeting("Später streng", "amber", organization=org)
    sign_in(client, coordinator)
    upload(client, f"meeting:{meeting.id}", PDF, "a.pdf", label="amber")
    meeting.label = "amber_strict"
    meeting.save()
    stored = Attachment.get()
    assert client.get(f"/attachments/{stored.id}").status_code == 404
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "a.pdf" in page and f'href="/attachments/{stored.id}"' not in page


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_download_follows_the_item_and_the_file_label(app, client, world, who):  # noqa: F811
    meetings, accounts = world
    files = {}
    for key, meeting in meetings.items():
        if meeting.label == "amber_strict":
            continue
        audience = load_context(meeting).audience
        owner = services.Owner("meeting", meeting.id, meeting.title, "/", audience, may_edit=True)
        for file_label in ("green", "red"):
            attachment = services.add(
                owner, io.BytesIO(PDF), f"{key}.pdf", "", file_label, accounts["admin"]
            )
            files[(key, file_label)] = attachment
    sign_in(client, accounts[who])
    for (key, file_label), attachment in files.items():
        # A file labelled RED narrows to the persons named on its item; only the RED meeting names any.
        allowed = key in VISIBLE[who] and (
            file_label == "green" or (key == "red" and who == "named")
        )
        response = client.get(f"/attachments/{attachment.id}")
        assert response.status_code == (200 if allowed else 404), (who, key, file_label)


def test_agenda_item_files_follow_the_item_label(client, coordinator, member, org, other_org):
    meeting = make_meeting("Plenum", "green", organization=org, invited=[other_org])
    item = AgendaItem.create(
        meeting=meeting, position=1, title="Intern", label="amber", organization=org
    )
    sign_in(client, coordinator)
    assert upload(client, f"agenda_item:{item.id}", PDF, "intern.pdf").status_code == 303
    stored = Attachment.get()
    assert f'href="/attachments/{stored.id}"' in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True
    )
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)  # other_org: invited, but the AMBER item names only the organiser
    assert client.get(f"/attachments/{stored.id}").status_code == 404
    assert f"/attachments/{stored.id}" not in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "owner",
    [
        "meeting:999999",
        "agenda_item:1",
        "nothing:1",
        "meeting:abc",
        "",
        "meeting:99999999999999999999",
    ],
)
def test_unknown_owners_are_404(client, coordinator, owner):
    sign_in(client, coordinator)
    assert client.get(f"/attachments/new?owner={owner}").status_code == 404


def test_members_neither_add_nor_remove_files(client, coordinator, member, meeting):
    sign_in(client, coordinator)
    upload(client, f"meeting:{meeting.id}", PDF, "a.pdf")
    stored = Attachment.get()
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)
    assert client.get(f"/attachments/new?owner=meeting:{meeting.id}").status_code == 404
    assert upload(client, f"meeting:{meeting.id}", PDF, "b.pdf").status_code == 404
    token = csrf_token(client)
    assert (
        client.post(f"/attachments/{stored.id}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert Attachment.select().count() == 1


def test_removing_a_file_needs_confirmation_and_deletes_it(client, coordinator, meeting):
    sign_in(client, coordinator)
    upload(client, f"meeting:{meeting.id}", PDF, "a.pdf")
    stored = Attachment.get()
    path = services.stored_path(stored)
    assert client.get(f"/attachments/{stored.id}/delete").status_code == 200
    assert path.exists()
    token = csrf_token(client)
    response = client.post(f"/attachments/{stored.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert not Attachment.select().exists() and not path.exists()


def test_anonymous_requests_go_to_the_sign_in(client, meeting):
    assert client.get("/attachments/1").status_code == 302
    assert client.get(f"/attachments/new?owner=meeting:{meeting.id}").status_code == 302


def test_erasure_keeps_the_file_without_the_uploader(client, coordinator, meeting):
    sign_in(client, coordinator)
    upload(client, f"meeting:{meeting.id}", PDF, "a.pdf")
    registry().account_erasing.send(coordinator, pseudonym="Person X")
    assert Attachment.get().created_by_id is None


def test_removing_an_agenda_item_removes_its_files(client, coordinator, meeting):
    item = AgendaItem.create(meeting=meeting, position=1, title="TOP", label="green")
    sign_in(client, coordinator)
    upload(client, f"agenda_item:{item.id}", PDF, "a.pdf")
    path = services.stored_path(Attachment.get())
    token = csrf_token(client)
    response = client.post(
        f"/meetings/{meeting.id}/agenda/{item.id}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert not Attachment.select().exists() and not path.exists()
