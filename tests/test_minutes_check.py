"""The check before a step that reaches every organisation (approve and circulate, release):
whom it reaches comes first, nothing happens until it is confirmed; the steps stand after the
text, with a bar at the top leading down to them."""

import datetime as dt
import re

import pytest

from intranet.core.models import OutboxMessage
from intranet.meetings import access as meetings_access
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, editing, workflow
from intranet.minutes.models import Minutes
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in


@pytest.fixture
def in_review(app, org, other_org, coordinator, reviewer, member):
    app.config.update(MAIL_SERVER="127.0.0.1:1", MAIL_FROM="intranet@example.org")
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=1)
    meeting = factories.meeting("Plenum", organization=org, invited=[other_org], start=start)
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    with app.test_request_context():
        minutes = editing.start_minutes(meetings_access.load_context(meeting), coordinator)
        context = access.get_minutes_or_404(minutes.id, account=coordinator)
        workflow.submit(context, coordinator)
    return minutes


def step(client, minutes, action, **extra):
    data = {"csrf_token": csrf_token(client), "action": action, **extra}
    return client.post(f"/minutes/{minutes.id}/step", data=data, **{})


def test_approving_shows_whom_it_reaches_before_anything_happens(
    client, reviewer, in_review, org, other_org
):
    sign_in(client, reviewer)
    mails = OutboxMessage.select().count()
    response = step(client, in_review, "approve")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vor dem Umlauf prüfen" in page
    # Who, with what: the organisations with their people, the label, the mails, the deadline.
    assert f"{org.name}: 2 Personen" in page and f"{other_org.name}: 1 Person" in page
    assert "Alle im Forum (TLP:GREEN)" in page
    assert "2 Personen bekommen eine E-Mail mit dem Link." in page  # not the reviewer
    assert "Einspruchsfrist bis" in page
    assert Minutes.get_by_id(in_review.id).state == "in_review"
    assert OutboxMessage.select().count() == mails
    confirmed = step(client, in_review, "approve", confirmed="1")
    assert confirmed.status_code == 303
    assert Minutes.get_by_id(in_review.id).state == "circulating"
    assert OutboxMessage.select().count() > mails


def test_with_htmx_the_check_takes_the_place_of_the_steps(client, reviewer, in_review):
    sign_in(client, reviewer)
    response = client.post(
        f"/minutes/{in_review.id}/step",
        data={"csrf_token": csrf_token(client), "action": "approve"},
        headers={"HX-Request": "true", "HX-Target": "steps"},
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith(
        '<section class="kern-stack step-check" id="steps"'
    )
    assert 'name="confirmed" value="1"' in body
    assert Minutes.get_by_id(in_review.id).state == "in_review"


def test_an_early_release_without_a_reason_is_refused_before_the_check(
    client, coordinator, reviewer, in_review
):
    with client.application.test_request_context():
        context = access.get_minutes_or_404(in_review.id, account=reviewer)
        workflow.approve(context, reviewer)
    sign_in(client, coordinator)
    refused = step(client, in_review, "release")
    assert refused.status_code == 422 and "Vor der Freigabe prüfen" not in refused.get_data(
        as_text=True
    )
    checked = step(client, in_review, "release", comment="Die Stadt braucht den Stand.")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Vor der Freigabe prüfen" in page
    assert "Die Stadt braucht den Stand." in page and "Jetzt freigeben" in page
    assert Minutes.get_by_id(in_review.id).state == "circulating"
    released = step(
        client, in_review, "release", comment="Die Stadt braucht den Stand.", confirmed="1"
    )
    assert released.status_code == 303
    assert Minutes.get_by_id(in_review.id).state == "released"


def test_the_steps_stand_after_the_text_with_a_bar_at_the_top(client, reviewer, in_review):
    sign_in(client, reviewer)
    page = client.get(f"/minutes/{in_review.id}").get_data(as_text=True)
    bar = page.index('href="#steps"')
    text = page.index('id="text-heading"')
    steps = page.index('id="steps-heading"')
    assert bar < text < steps
    assert re.search(
        r'href="#steps">Nächste Schritte weiter unten: Billigen und in Umlauf geben', page
    )
