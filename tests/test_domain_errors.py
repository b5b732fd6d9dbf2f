"""Services say "absent or not shared with you" with the domain's NotFound, never with an HTTP
abort: they work the same from a command or a test as from a page, and every page still
answers 404 (as a page, or as a message in the flash area for htmx)."""

import ast
import datetime as dt
from pathlib import Path

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
PACKAGE = Path(__file__).resolve().parents[1] / "intranet"


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


# Modules besides the routes that may speak HTTP, each for what it does there (module: what).
SPEAKS_HTTP = {
    # The locale of the signed-in account, Flask-Babel's selector.
    ("intranet/__init__.py", "current_user"),
    # The sign-in and role checks a blueprint runs before its views.
    ("intranet/auth/access.py", "current_user"),
    # Keeps what was typed across a new sign-in: a view decorator and its request hook.
    ("intranet/auth/saved_forms.py", "current_user"),
    # `audit.record` names the signed-in account when a caller names no actor.
    ("intranet/core/audit.py", "current_user"),
    # Learns the intranet's address from an admin's request.
    ("intranet/core/notifications.py", "current_user"),
}


def _http_uses(path: Path) -> set[str]:
    """What of the request a module reaches for: flask's `abort`, flask_login's `current_user`."""
    wanted = {("flask", "abort"), ("werkzeug.exceptions", "abort"), ("flask_login", "current_user")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found |= {a.name for a in node.names if (node.module, a.name) in wanted}
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in wanted
        ):
            found.add(node.attr)
    return found


def test_only_the_routes_abort_or_read_the_signed_in_account():
    """Services, loaders and mails take the actor from their caller and say "not found" with
    NotFound: they work the same from a command, a job or a test as from a page."""
    found = {
        (str(path.relative_to(PACKAGE.parent)), name)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "routes" not in path.relative_to(PACKAGE).with_suffix("").parts
        for name in _http_uses(path)
    }
    assert sorted(found - SPEAKS_HTTP) == []
