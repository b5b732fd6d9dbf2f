"""A minutes template per meeting series: set by whoever plans the series, the start of every new
minutes of its meetings (the general part before the agenda items), reachable without JavaScript."""

import datetime as dt

import pytest

from intranet.core.audit import AuditEvent
from intranet.meetings.models import AgendaItem, Series
from intranet.minutes.models import Minutes
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token

TEMPLATE = "### Begrüßung und Beschlussfähigkeit\n\n### Verschiedenes\n\n### Nächster Termin"


@pytest.fixture
def series_meetings(app, org):
    """Two meetings of one series (the first has taken place) and one without a series."""
    series = Series.create(
        rrule="FREQ=MONTHLY;COUNT=2", first_start_local=dt.datetime(2026, 1, 7, 18)
    )
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=2)
    first = factories.meeting("Plenum", organization=org, series=series, start=start, state="held")
    second = factories.meeting(
        "Plenum", organization=org, series=series, start=start + dt.timedelta(days=28)
    )
    AgendaItem.create(meeting=first, position=1, title="Lagebild")
    alone = factories.meeting("Einzeltermin", organization=org, start=start, state="held")
    return first, second, alone


def template_address(meeting):
    return f"/meetings/{meeting.id}/series-template"


def save(client, meeting, text):
    return client.post(
        template_address(meeting),
        data={
            "minutes_template": text,
            "csrf_token": csrf_token(client, template_address(meeting)),
        },
    )


def test_coordinator_sets_the_template_and_new_minutes_start_from_it(
    series_meetings, coordinator, signed_in
):
    first, second, _alone = series_meetings
    client = signed_in(coordinator)
    page = client.get(f"/meetings/{second.id}").get_data(as_text=True)
    assert template_address(second) in page  # linked from any meeting of the series

    assert save(client, second, TEMPLATE).status_code == 303
    form = client.get(template_address(first)).get_data(as_text=True)
    assert "### Nächster Termin" in form  # the same series, whichever meeting it is opened from
    assert AuditEvent.select().where(AuditEvent.action == "series.template_saved").count() == 1

    response = client.post(
        f"/meetings/{first.id}/minutes",
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    minutes = Minutes.get(Minutes.meeting == first.id)
    # The series' structure is the start of the text; the agenda items are sections of their
    # own and not listed in the text a second time.
    assert minutes.body.rstrip() == TEMPLATE
    assert [s.title for s in minutes.sections] == ["TOP 1: Lagebild"]


def test_minutes_of_a_meeting_without_series_start_without_template(
    series_meetings, coordinator, signed_in
):
    first, _second, alone = series_meetings
    client = signed_in(coordinator)
    save(client, first, TEMPLATE)
    assert client.get(template_address(alone)).status_code == 404
    assert template_address(alone) not in client.get(f"/meetings/{alone.id}").get_data(as_text=True)
    client.post(
        f"/meetings/{alone.id}/minutes",
        data={"csrf_token": csrf_token(client)},
    )
    assert "Begrüßung" not in Minutes.get(Minutes.meeting == alone.id).body


def test_minutes_already_started_keep_their_text(series_meetings, coordinator, signed_in):
    first, _second, _alone = series_meetings
    client = signed_in(coordinator)
    client.post(
        f"/meetings/{first.id}/minutes",
        data={"csrf_token": csrf_token(client)},
    )
    before = Minutes.get(Minutes.meeting == first.id).body
    save(client, first, TEMPLATE)
    assert Minutes.get(Minutes.meeting == first.id).body == before


@pytest.mark.parametrize("role", ["member", "reviewer"])
def test_only_planners_see_or_set_the_template(series_meetings, org, signed_in, role):
    first, _second, _alone = series_meetings
    client = signed_in(factories.account(role, org))
    assert template_address(first) not in client.get(f"/meetings/{first.id}").get_data(as_text=True)
    assert client.get(template_address(first)).status_code == 404
    token = csrf_token(client)
    response = client.post(
        template_address(first), data={"minutes_template": "Eigenes", "csrf_token": token}
    )
    assert response.status_code == 404
    assert Series.get_by_id(first.series_id).minutes_template == ""


def test_a_coordinator_who_cannot_see_the_meeting_gets_404(app, org, other_org, signed_in):
    series = Series.create(
        rrule="FREQ=MONTHLY;COUNT=1", first_start_local=dt.datetime(2026, 1, 7, 18)
    )
    hidden = factories.meeting("Vertraulich", label="red", organization=org, series=series)
    client = signed_in(factories.account("coordinator", other_org))
    assert client.get(template_address(hidden)).status_code == 404


def test_the_form_is_german_and_refuses_an_overlong_template(
    series_meetings, coordinator, signed_in
):
    first, _second, _alone = series_meetings
    client = signed_in(coordinator)
    page = client.get(template_address(first)).get_data(as_text=True)
    assert "Vorlage für die Protokolle der Terminserie" in page
    assert "Vorlage speichern" in page
    response = save(client, first, "x" * 20_001)
    assert response.status_code == 422
    assert Series.get_by_id(first.series_id).minutes_template == ""


def test_only_who_sees_every_meeting_of_the_series_reads_or_sets_its_template(
    app, org, other_org, signed_in
):
    """The template prefills the minutes of every meeting of the series: a coordinator who sees
    the GREEN meeting but not the RED one of the same series neither reads nor changes it, and
    the meeting's page offers no link to it."""
    series = Series.create(
        rrule="FREQ=MONTHLY;COUNT=2", first_start_local=dt.datetime(2026, 1, 7, 18),
        minutes_template="Vertraulicher Ablauf",
    )  # fmt: skip
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    shared = factories.meeting(
        "Runde", organization=org, invited=[other_org], series=series, start=start
    )
    organiser = factories.account("coordinator", org, email="k1@example.org")
    factories.meeting(
        "Runde", label="red", organization=org, series=series, persons=[organiser],
        start=start + dt.timedelta(days=28),
    )  # fmt: skip
    outsider = signed_in(factories.account("coordinator", other_org, email="k2@example.org"))
    assert outsider.get(f"/meetings/{shared.id}").status_code == 200
    assert template_address(shared) not in outsider.get(f"/meetings/{shared.id}").get_data(True)
    assert outsider.get(template_address(shared)).status_code == 404
    response = outsider.post(
        template_address(shared),
        data={"minutes_template": "Überschrieben", "csrf_token": csrf_token(outsider)},
    )
    assert response.status_code == 404
    assert Series.get_by_id(series.id).minutes_template == "Vertraulicher Ablauf"
    # The organiser's coordinator, named on the RED meeting, sees them all.
    assert "Vertraulicher Ablauf" in signed_in(organiser).get(template_address(shared)).get_data(
        True
    )
