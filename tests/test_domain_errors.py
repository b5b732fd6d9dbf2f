"""Services say "absent or not shared with you" with the domain's NotFound, never with an HTTP
abort: they work the same from a command or a test as from a page, and every page still
answers 404 (as a page, or as a message in the flash area for htmx)."""

import datetime as dt

import pytest
from werkzeug.exceptions import HTTPException

from intranet.attachments import services as attachments
from intranet.meetings import access as meetings_access
from intranet.meetings import agenda
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, actions, comments, editing, export, versions
from intranet.minutes.models import Decision, MinutesSection
from intranet.oparl.routes import api
from intranet.platform.db import utcnow
from intranet.platform.errors import NotFound
from tests import factories
from tests.conftest import csrf_token, sign_in

MISSING = 10**6


@pytest.fixture
def draft(app, org, coordinator):
    """A draft of a held meeting of `org`, with one section."""
    meeting = factories.meeting(
        "Plenum", organization=org, start=utcnow() - dt.timedelta(days=1), state="held"
    )
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    return editing.start_minutes(meetings_access.load_context(meeting), coordinator)


def refused(call):
    with pytest.raises(NotFound) as caught:
        call()
    assert not isinstance(caught.value, HTTPException)


def test_minutes_services_raise_the_domain_not_found(draft, coordinator, member):
    context = access.get_minutes_or_404(draft.id, account=coordinator)
    section = MinutesSection.get(MinutesSection.minutes == draft.id)
    refused(lambda: versions.get_version(context, MISSING, coordinator))
    refused(lambda: access.get_section_or_404(context, MISSING, coordinator))
    data = editing.DecisionData("Beschluss", "unanimous")
    refused(lambda: editing.update_decision(context, section, MISSING, data, coordinator))
    refused(lambda: editing.delete_entry(context, section, Decision, MISSING, coordinator))
    refused(lambda: comments.resolve_objection(context, MISSING, "Erledigt", coordinator))
    refused(lambda: actions.carry_forward(MISSING, coordinator))
    refused(lambda: export.prepare(context, member))  # a draft is exported by nobody


def test_meeting_services_raise_the_domain_not_found(app, org, coordinator):
    meeting = factories.meeting("Plenum", organization=org)
    refused(lambda: agenda.move_agenda_item(meeting, MISSING, "up", set(), coordinator))
    refused(lambda: agenda.delete_agenda_item(meeting, MISSING, coordinator))


def test_a_service_not_found_answers_404_as_page_and_as_message(client, draft, coordinator):
    section = MinutesSection.get(MinutesSection.minutes == draft.id)
    sign_in(client, coordinator)
    path = f"/minutes/{draft.id}/sections/{section.id}/decisions/{MISSING}/delete"
    data = {"csrf_token": csrf_token(client)}
    page = client.post(path, data=data)
    assert page.status_code == 404
    assert "<html" in page.get_data(as_text=True)
    fragment = client.post(path, data=data, headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert fragment.headers["HX-Retarget"] == "#flashes"


def test_the_oparl_interface_answers_a_service_not_found_as_json_404(app):
    def view():
        raise NotFound

    with app.test_request_context():
        response = api(view)()
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found"}


def test_the_loaders_raise_the_domain_not_found(app, org, draft, coordinator, member):
    meeting = factories.meeting("Plenum", organization=org)  # GREEN: every member reads it
    with app.test_request_context():
        refused(lambda: meetings_access.get_meeting_or_404(MISSING, account=coordinator))
        refused(
            lambda: meetings_access.get_meeting_or_404(meeting.id, for_edit=True, account=member)
        )
        refused(lambda: access.get_minutes_or_404(MISSING, account=coordinator))
        refused(lambda: access.get_minutes_or_404(draft.id, for_edit=True, account=member))
        refused(lambda: attachments.get_attachment_or_404(MISSING, account=coordinator))
