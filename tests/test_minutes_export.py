"""Minutes leaving the intranet and being found: PDF and print view, full-text search, files —
each only as far as the reader's role, the state and the labels allow."""

import io
import subprocess

import pytest

from intranet.attachments.models import Attachment
from intranet.minutes import editing, workflow
from intranet.minutes.models import Minutes, MinutesSection
from tests.conftest import csrf_token, sign_in
from tests.factories import PDF, upload
from tests.test_minutes import ctx, held, started, to_circulating  # noqa: F401 (fixture)


def released(minutes, coordinator, reviewer, reason="Frist abgekürzt"):
    to_circulating(minutes, coordinator, reviewer)
    workflow.release(ctx(minutes, coordinator), coordinator, reason)
    return Minutes.get_by_id(minutes.id)


@pytest.fixture
def minutes(held, coordinator):  # noqa: F811
    document = started(held, coordinator)
    context = ctx(document, coordinator)
    editing.save_draft(
        context, "Das Lagebild zur Moscheesicherheit wurde vorgestellt.", "green", False,
        document.version, coordinator,
    )  # fmt: skip
    geheim = MinutesSection.get(MinutesSection.title.contains("Fallbesprechung"))
    editing.save_section(
        ctx(document, coordinator), coordinator, geheim.title, "Vertrauliche Einzelfallberatung",
        "amber", None, section=geheim,
    )  # fmt: skip
    return Minutes.get_by_id(document.id)


def pdf_text(response, tmp_path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(response.data)
    return subprocess.run(
        ["pdftotext", path, "-"], capture_output=True, text=True, check=True
    ).stdout


def test_released_minutes_export_as_pdf_with_what_the_reader_may_see(
    client, minutes, coordinator, reviewer, member, tmp_path
):
    released(minutes, coordinator, reviewer)
    sign_in(client, member)  # other_org: invited, but not named on the AMBER section
    response = client.get(f"/minutes/{minutes.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    text = pdf_text(response, tmp_path)
    assert "Moscheesicherheit" in text
    assert "anwesend (A. Beispiel)" in text.split("\nText\n")[0]  # names, without Chatham House
    assert "Alle im Forum (TLP:GREEN)" in text
    assert "Einzelfallberatung" not in text
    assert Minutes.get_by_id(minutes.id).released_sha256 in text.replace("\n", "")
    page = client.get(f"/minutes/{minutes.id}/print")
    assert page.status_code == 200 and "Moscheesicherheit" in page.get_data(as_text=True)
    assert "Einzelfallberatung" not in page.get_data(as_text=True)


def test_strict_and_red_sections_never_leave_the_intranet(
    client, minutes, coordinator, reviewer, tmp_path
):
    section = MinutesSection.get(MinutesSection.title.contains("Fallbesprechung"))
    editing.save_section(
        ctx(minutes, coordinator), coordinator, section.title, "Streng vertraulich",
        "amber_strict", None, section=section,
    )  # fmt: skip
    released(minutes, coordinator, reviewer)
    sign_in(client, coordinator)  # may see the section on the page
    assert "Streng vertraulich" in client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    text = pdf_text(client.get(f"/minutes/{minutes.id}.pdf"), tmp_path)
    assert "Streng vertraulich" not in text
    assert "nicht Teil dieses Exports" in text


@pytest.mark.parametrize("label", ["amber_strict", "red"])
def test_strict_and_red_minutes_are_never_exported(client, held, coordinator, reviewer, label):  # noqa: F811
    held.label = label
    held.save()
    if label == "red":
        from intranet.meetings.models import MeetingPerson

        MeetingPerson.create(meeting=held, account=coordinator)
        MeetingPerson.create(meeting=held, account=reviewer)
    document = started(held, coordinator)
    released(document, coordinator, reviewer)
    sign_in(client, coordinator)
    assert client.get(f"/minutes/{document.id}").status_code == 200
    assert client.get(f"/minutes/{document.id}.pdf").status_code == 404
    assert client.get(f"/minutes/{document.id}/print").status_code == 404


def test_no_export_before_release(client, minutes, coordinator, reviewer):
    sign_in(client, coordinator)
    assert client.get(f"/minutes/{minutes.id}.pdf").status_code == 404
    to_circulating(minutes, coordinator, reviewer)
    assert client.get(f"/minutes/{minutes.id}.pdf").status_code == 404


def test_chatham_house_exports_leave_out_names(
    client,
    held,  # noqa: F811
    coordinator,
    reviewer,
    member,
    tmp_path,
):
    document = started(held, coordinator)
    editing.save_draft(
        ctx(document, coordinator), "Aussagen ohne Namen.", "green", True, document.version,
        coordinator,
    )  # fmt: skip
    released(document, coordinator, reviewer)
    sign_in(client, coordinator)
    text = pdf_text(client.get(f"/minutes/{document.id}.pdf"), tmp_path)
    assert "Chatham House" in text
    assert "Kulturverein Beispiel: entschuldigt" in text
    # The attendance list names organisations, not the people who attended.
    attendance = text.split("\nText\n")[0]
    assert "Kommunale Präventionsstelle: anwesend" in attendance
    assert "A. Beispiel" not in attendance
    # Nor does the release note name who reviewed and who released (here or in OParl); the
    # footer names only the reader who made the copy.
    sign_in(client, member)
    text = pdf_text(client.get(f"/minutes/{document.id}.pdf"), tmp_path)
    assert "Freigabevermerk" in text and member.display_name in text
    for name in (coordinator.display_name, reviewer.display_name):
        assert name not in text
        assert name not in client.get(f"/minutes/{document.id}/print").get_data(as_text=True)
    note = client.get(f"/oparl/1.1/minutes/{document.id}/file").get_json()
    assert {"reviewedBy", "releasedBy"}.isdisjoint(note["sicherheitsdialog:releaseNote"])
    assert note["sicherheitsdialog:releaseNote"]["released"]


def test_objections_leave_the_intranet_only_with_their_section(
    client, org, other_org, coordinator, tmp_path
):
    """A RED or AMBER+STRICT section stays in the intranet, and so does an objection about it:
    print view, PDF, OParl's release note and the PDF behind OParl's file."""
    import datetime as dt

    from intranet.minutes.models import MinutesComment
    from intranet.oparl.services import TOKEN
    from intranet.platform.db import utcnow
    from tests import factories

    meeting = factories.make_meeting(
        "Plenum", organization=org, invited=[other_org], persons=[coordinator],
        start=utcnow() - dt.timedelta(days=20),
    )  # fmt: skip
    document = factories.minutes(meeting, state="released", released_at=utcnow())
    sections = {
        label: MinutesSection.create(
            minutes=document,
            position=n,
            title=f"TOP {n}: Fall {label}",
            label=label,
            organization=org,
            text=f"Abschnitt {label}",
        )  # fmt: skip
        for n, label in enumerate(("green", "red", "amber_strict"), start=1)
    }
    for label, section in sections.items():
        MinutesComment.create(
            minutes=document, section=section, kind="objection", text=f"Einspruch zu {label}",
            author=coordinator, author_label="K", organization=org, at=utcnow(),
        )  # fmt: skip
    sign_in(client, coordinator)
    token = TOKEN.renew(coordinator)
    exported = {
        "print": client.get(f"/minutes/{document.id}/print").get_data(as_text=True),
        "pdf": pdf_text(client.get(f"/minutes/{document.id}.pdf"), tmp_path),
        "oparl": client.get(f"/oparl/1.1/minutes/{document.id}/file").get_data(as_text=True),
        "oparl pdf": pdf_text(
            client.get(
                f"/oparl/1.1/minutes/{document.id}/file/download",
                headers={"Authorization": f"Bearer {token}"},
            ),
            tmp_path,
        ),
    }
    for where, text in exported.items():
        assert "Einspruch zu green" in text, where
        for label in ("red", "amber_strict"):
            assert f"Einspruch zu {label}" not in text, where
            assert f"Fall {label}" not in text, where
    # Inside the intranet the reader still sees every objection they may see.
    page = client.get(f"/minutes/{document.id}").get_data(as_text=True)
    assert all(f"Einspruch zu {label}" in page for label in sections)


def search(client, word):
    return client.get(f"/search?q={word}").get_data(as_text=True)


def test_search_finds_minutes_only_where_the_reader_may_read_them(
    client, minutes, coordinator, reviewer, member
):
    sign_in(client, coordinator)
    assert f"/minutes/{minutes.id}" in search(client, "Moscheesicherheit")  # the author's draft
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)
    assert f"/minutes/{minutes.id}" not in search(client, "Moscheesicherheit")  # still a draft
    to_circulating(minutes, coordinator, reviewer)
    assert f"/minutes/{minutes.id}" in search(client, "moscheesicherheit")
    # The AMBER section names only the organiser: no hit, no count, no snippet for the member.
    page = search(client, "Einzelfallberatung")
    assert f"/minutes/{minutes.id}" not in page and "<mark>" not in page


def test_section_hits_lead_to_their_section(client, minutes, coordinator):
    sign_in(client, coordinator)
    page = search(client, "Einzelfallberatung")
    section = MinutesSection.get(MinutesSection.title.contains("Fallbesprechung"))
    assert f"/minutes/{minutes.id}#section-{section.id}" in page


def test_minutes_files_follow_the_reading_rule(client, minutes, coordinator, reviewer, member):
    sign_in(client, coordinator)
    assert upload(client, f"minutes:{minutes.id}", PDF, "anlage.pdf").status_code == 303
    attachment = Attachment.get()
    workflow.submit(ctx(minutes, coordinator), coordinator)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, reviewer)  # reviews the text, needs its files
    assert client.get(f"/attachments/{attachment.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
    workflow.approve(ctx(minutes, reviewer), reviewer)
    assert client.get(f"/attachments/{attachment.id}").status_code == 200
    # Only a draft takes new files.
    assert (
        upload(client, f"minutes:{minutes.id}", io.BytesIO(PDF).read(), "b.pdf").status_code == 404
    )
