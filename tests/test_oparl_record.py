"""Released minutes in the OParl export: the meeting's resultsProtocol is the PDF of the minutes
page, with its number, sharing label and release note in the project's extension fields, for
exactly those who may take that PDF from the pages."""

import datetime as dt
import json
from pathlib import Path

import pytest

from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, comments, editing, numbering, workflow
from intranet.minutes import signoff as minutes_signoff
from intranet.minutes.models import Minutes, MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import sign_in

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = Path(__file__).parent / "oparl_schema"
FILE_SCHEMA = json.loads((SCHEMA / "File.json").read_text())
MEETING_SCHEMA = json.loads((SCHEMA / "Meeting.json").read_text())


def ctx(minutes, account):
    return access.get_minutes_or_404(minutes.id, account=account)


@pytest.fixture
def released(app, org, other_org, coordinator, reviewer, member):
    """Released minutes of a meeting of `org` with `other_org` and a third organisation
    invited: `other_org` consented, the third objected (answered), a fourth stayed silent."""
    third = factories.organization("Dritter Verein")
    third_member = factories.account("member", third, email="dritter@example.org")
    quiet = factories.organization("Stiller Verein")
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=2)
    meeting = factories.meeting(
        "Plenum", organization=org, invited=[other_org, third, quiet], start=start, state="held"
    )
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    AgendaItem.create(meeting=meeting, position=2, title="Intern", label="amber", organization=org)
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    minutes_signoff.consent(ctx(minutes, member), member)
    objection = comments.add_comment(
        ctx(minutes, third_member), "objection", "Satz in TOP 1 fehlt", third_member
    )
    internal = MinutesSection.get(
        (MinutesSection.minutes == minutes.id) & (MinutesSection.label == "amber")
    )
    comments.add_comment(
        ctx(minutes, coordinator), "objection", "Interner Einwand", coordinator, internal.id
    )
    for comment in workflow.open_objections(Minutes.get_by_id(minutes.id)):
        comments.resolve_objection(ctx(minutes, coordinator), comment.id, "Ergänzt.", coordinator)
    workflow.release(ctx(minutes, coordinator), coordinator, "Eilig wegen Pressetermin")
    return Minutes.get_by_id(minutes.id), objection, third, quiet


def protocol_of(client, meeting_id):
    return client.get(f"/oparl/1.1/meeting/{meeting_id}").get_json().get("resultsProtocol")


def test_the_meeting_links_its_released_minutes_with_the_release_note(
    client, released, coordinator, other_org
):
    minutes, _objection, third, quiet = released
    sign_in(client, coordinator)
    meeting = client.get(f"/oparl/1.1/meeting/{minutes.meeting_id}").get_json()
    jsonschema.validate(meeting, MEETING_SCHEMA)
    embedded = meeting["resultsProtocol"]
    assert embedded["mimeType"] == "application/pdf"
    assert embedded["sicherheitsdialog:number"] == numbering.citation(minutes)
    assert embedded["sicherheitsdialog:releasedSha256"] == minutes.released_sha256
    # The coordinator's PDF carries the AMBER section: the file says so.
    assert embedded["sicherheitsdialog:label"] == "TLP:AMBER"

    file = client.get(embedded["id"].removeprefix("http://localhost")).get_json()
    jsonschema.validate(file, FILE_SCHEMA)
    note = file["sicherheitsdialog:releaseNote"]
    assert note["releasedBy"] and note["reviewedBy"] and note["released"] and note["reviewed"]
    assert note["earlyRelease"] is True
    assert note["earlyReleaseReason"] == "Eilig wegen Pressetermin"  # editorial circle
    signoff = {row["organization"].rsplit("/", 1)[-1]: row for row in note["signoff"]}
    assert signoff[str(other_org.id)]["state"] == "consented" and signoff[str(other_org.id)]["date"]
    assert signoff[str(third.id)] == {
        "organization": f"http://localhost/oparl/1.1/organization/{third.id}",
        "state": "objected",
        "objectionAnswered": True,
    }
    assert signoff[str(quiet.id)]["state"] == "silent"
    # Each objection with how it was answered (the AMBER section's one: its audience only).
    assert sorted((o["text"], o["state"], o["answer"]) for o in note["objections"]) == [
        ("Interner Einwand", "answered", "Ergänzt."),
        ("Satz in TOP 1 fehlt", "answered", "Ergänzt."),
    ]

    download = client.get(file["downloadUrl"].removeprefix("http://localhost"))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_a_member_reads_what_the_minutes_page_shows_and_no_more(client, released, member, tmp_path):
    minutes, *_others = released
    sign_in(client, member)
    page = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Eilig wegen Pressetermin" not in page
    embedded = protocol_of(client, minutes.meeting_id)
    assert embedded["sicherheitsdialog:label"] == "TLP:GREEN"  # the AMBER TOP is not theirs
    file = client.get(embedded["id"].removeprefix("http://localhost")).get_json()
    note = file["sicherheitsdialog:releaseNote"]
    assert "earlyReleaseReason" not in note and note["earlyRelease"] is True
    assert "Interner Einwand" not in json.dumps(file, ensure_ascii=False)
    # The PDF behind it is the one the page offers this member.
    exported = client.get(file["downloadUrl"].removeprefix("http://localhost")).data
    offered = client.get(f"/minutes/{minutes.id}.pdf").data
    assert exported[:4] == offered[:4] == b"%PDF"


def test_minutes_not_yet_released_are_not_exported(client, app, released, org, coordinator):
    minutes, *_others = released
    draft_meeting = factories.meeting(
        "Entwurf", organization=org, start=utcnow() - dt.timedelta(days=1), state="held"
    )
    draft = editing.start_minutes(load_context(draft_meeting), coordinator)
    sign_in(client, coordinator)
    assert protocol_of(client, draft_meeting.id) is None
    assert client.get(f"/oparl/1.1/minutes/{draft.id}/file").status_code == 404


def test_a_released_correction_replaces_the_original(client, released, coordinator, reviewer):
    minutes, *_others = released
    correction = workflow.start_correction(ctx(minutes, coordinator), coordinator)
    workflow.submit(ctx(correction, coordinator), coordinator)
    workflow.approve(ctx(correction, reviewer), reviewer)
    workflow.release(ctx(correction, coordinator), coordinator, "Berichtigung eilig")
    sign_in(client, coordinator)
    embedded = protocol_of(client, minutes.meeting_id)
    assert embedded["id"].endswith(f"/minutes/{correction.id}/file")
    assert embedded["sicherheitsdialog:correction"] is True
    assert client.get(f"/oparl/1.1/minutes/{minutes.id}/file").status_code == 404
