"""The record one can cite: minutes numbered per series and year, decisions numbered within
their minutes with how they were taken, and the register of released decisions."""

import datetime as dt

import pytest

from intranet.core.models import AuditEvent
from intranet.core.workflow import WorkflowError
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem, Meeting, Series
from intranet.minutes import access, comments, editing, numbering, signoff, workflow
from intranet.minutes.models import Decision, Minutes, MinutesSection
from intranet.platform.db import db, utcnow
from tests import factories
from tests.conftest import sign_in
from tests.factories import race

MARKER = "Geheimbeschluss"


def held(org, invited=(), title="Plenum", days_ago=2, series=None, **fields):
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=days_ago)
    meeting = factories.meeting(
        title, organization=org, invited=list(invited), start=start, state="held", series=series,
        **fields,
    )  # fmt: skip
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    AgendaItem.create(meeting=meeting, position=2, title="Intern", label="amber", organization=org)
    return meeting


def start(meeting, coordinator):
    return editing.start_minutes(load_context(meeting), coordinator)


def ctx(minutes, account):
    return access.get_minutes_or_404(minutes.id, account=account)


def section(minutes, label):
    return MinutesSection.get(
        (MinutesSection.minutes == minutes.id) & (MinutesSection.label == label)
    )


def release(minutes, coordinator, reviewer):
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    workflow.release(ctx(minutes, coordinator), coordinator, "Frist abgekürzt")
    return Minutes.get_by_id(minutes.id)


def test_minutes_are_numbered_per_series_and_year(app, org, coordinator):
    series = Series.create(rrule="FREQ=MONTHLY", first_start_local=dt.datetime(2026, 1, 1, 18))
    first = start(held(org, days_ago=30, series=series), coordinator)
    second = start(held(org, days_ago=2, series=series), coordinator)
    other = start(held(org, title="Fachgespräch"), coordinator)  # the organiser's own count
    year = Minutes.get_by_id(first.id).number_year
    assert [numbering.citation(Minutes.get_by_id(m.id)) for m in (first, second)] == [
        f"{year}/01",
        f"{year}/02",
    ]
    assert numbering.citation(Minutes.get_by_id(other.id)) == f"{year}/01"


def test_a_correction_cites_the_original_number(app, org, coordinator, reviewer):
    minutes = release(start(held(org), coordinator), coordinator, reviewer)
    correction = workflow.start_correction(ctx(minutes, coordinator), coordinator)
    assert correction.number is None
    assert numbering.citation(correction) == numbering.citation(minutes)


def test_decisions_keep_their_number_and_say_how_they_were_taken(
    client, app, org, other_org, coordinator, reviewer, member
):
    minutes = start(held(org, [other_org]), coordinator)
    hidden, shared = section(minutes, "amber"), section(minutes, "green")
    editing.add_decision(
        ctx(minutes, coordinator), hidden, editing.DecisionData(f"{MARKER} wird vertagt"),
        coordinator,
    )  # fmt: skip
    editing.add_decision(
        ctx(minutes, coordinator), shared,
        editing.DecisionData("Lagebild quartalsweise", "majority", 12, 3, 1), coordinator,
    )  # fmt: skip
    with pytest.raises(access.MinutesError):
        editing.add_decision(
            ctx(minutes, coordinator), shared, editing.DecisionData("x", "<script>"), coordinator
        )
    minutes = release(minutes, coordinator, reviewer)
    sign_in(client, member)
    html = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    citation = numbering.citation(minutes)
    # TOP 1 comes first, so its decision is number 1 whoever reads; the hidden one does not
    # show, and numbers do not move for those who see less.
    assert f"Beschluss {citation}-1:</strong> Lagebild quartalsweise" in html
    assert "mit Mehrheit (12 dafür, 3 dagegen, 1 Enthaltung)" in html
    assert MARKER not in html


def test_a_decision_of_a_draft_is_edited_in_place(client, app, org, coordinator, reviewer):
    minutes = start(held(org), coordinator)
    shared = section(minutes, "green")
    decision = editing.add_decision(
        ctx(minutes, coordinator), shared, editing.DecisionData("Entwurf"), coordinator
    )
    sign_in(client, coordinator)
    path = f"/minutes/{minutes.id}/sections/{shared.id}/decisions/{decision.id}/edit"
    page = client.get(path)
    assert page.status_code == 200 and "Entwurf" in page.get_data(as_text=True)
    from tests.conftest import csrf_token

    token = csrf_token(client)
    bad = client.post(
        path,
        data={
            "csrf_token": token,
            "decision-text": "Neu gefasst",
            "decision-result": "majority",
            "decision-votes_yes": "-4",
        },
    )
    assert bad.status_code == 422 and "Neu gefasst" in bad.get_data(as_text=True)
    assert "Bitte geben Sie eine Zahl von 0 bis 10.000 ein." in bad.get_data(as_text=True)
    saved = client.post(
        path,
        data={"csrf_token": token, "decision-text": "Neu gefasst", "decision-result": "consensus"},
    )
    assert saved.status_code == 303
    changed = Decision.get_by_id(decision.id)
    assert (changed.text, changed.result) == ("Neu gefasst", "consensus")
    assert (
        client.get(
            f"/minutes/{minutes.id}/sections/{shared.id}/tasks/{decision.id}/edit"
        ).status_code
        == 404
    )
    release(minutes, coordinator, reviewer)
    assert client.get(path).status_code == 404
    with pytest.raises(WorkflowError):
        editing.update_decision(
            ctx(minutes, coordinator), shared, decision.id, editing.DecisionData("Später"),
            coordinator,
        )  # fmt: skip


def test_the_register_lists_released_decisions_the_reader_may_see(
    client, app, org, other_org, coordinator, reviewer, member
):
    minutes = start(held(org, [other_org]), coordinator)
    editing.add_decision(
        ctx(minutes, coordinator), section(minutes, "amber"),
        editing.DecisionData(f"{MARKER} 100%"), coordinator,
    )  # fmt: skip
    editing.add_decision(
        ctx(minutes, coordinator), section(minutes, "green"),
        editing.DecisionData("=HYPERLINK(\"http://x\") Kontaktliste 100%"), coordinator,
    )  # fmt: skip
    draft = start(held(org, [other_org], title="Entwurfssitzung"), coordinator)
    editing.add_decision(
        ctx(draft, coordinator), section(draft, "green"), editing.DecisionData("Noch offen"),
        coordinator,
    )  # fmt: skip
    release(minutes, coordinator, reviewer)
    sign_in(client, member)
    html = client.get("/decisions").get_data(as_text=True)
    assert "Kontaktliste" in html and MARKER not in html and "Noch offen" not in html
    # Words are words: a percent sign or quote is no pattern or syntax.
    assert "Kontaktliste" in client.get("/decisions?q=100%25").get_data(as_text=True)
    assert "Kontaktliste" not in client.get("/decisions?q=_00%25x").get_data(as_text=True)
    fragment = client.get(
        "/decisions?q=kontakt", headers={"HX-Request": "true", "HX-Target": "decision-list"}
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "Kontaktliste" in body
    for bad in ("?year=10000", "?year=-1", "?organization=" + "9" * 30, "?page=" + "9" * 30):
        assert client.get("/decisions" + bad).status_code == 200
    csv = client.get("/decisions.csv")
    text = csv.get_data(as_text=True)
    assert "attachment" in csv.headers["Content-Disposition"]
    assert "'=HYPERLINK" in text and MARKER not in text
    assert AuditEvent.select().where(AuditEvent.action == "minutes.decisions_exported").exists()
    # The coordinator of the organiser reads the AMBER item, so its decision is listed too.
    client.post("/logout")
    sign_in(client, coordinator)
    assert MARKER in client.get("/decisions").get_data(as_text=True)


def test_the_register_numbers_its_page_in_the_same_queries_however_many_minutes_it_shows(
    client, org, member, count_queries
):
    """The numbers of a page's decisions come from two queries (every decision of its minutes
    in order, the originals' numbers of corrections), not one per set of minutes; a
    correction's decisions are cited with the original's number, as on its own page."""

    def released_with_decisions(n, **fields):
        meeting = factories.meeting(f"Plenum {n}", "green", org, start=utcnow() - dt.timedelta(n))
        minutes = factories.minutes(meeting, "released", number_year=2026, **fields)
        for position in (2, 1):
            part = MinutesSection.create(
                minutes=minutes, position=position, title=f"TOP {position}"
            )
            Decision.create(section=part, position=1, text=f"Beschluss {n}-{position}")
        return minutes

    sign_in(client, member)
    original = released_with_decisions(1, number=7)
    released_with_decisions(2, corrects=original)
    with count_queries() as few:
        page = client.get("/decisions").get_data(as_text=True)
    for n in range(3, 9):
        released_with_decisions(n, number=10 + n)
    with count_queries() as many:
        more = client.get("/decisions").get_data(as_text=True)
    assert many.n == few.n
    assert "2026/07-1" in page and "2026/07-2" in page  # the correction cites its original
    assert page.count("2026/07-1") == 2 and "2026/18-2" in more
    numbers = numbering.decision_numbers_of([original])
    assert sorted(numbers.values()) == ["2026/07-1", "2026/07-2"]
    assert numbers == numbering.decision_numbers(original)


def test_the_register_filters_by_words_year_and_organisation_alone_and_together(
    client, org, other_org, member
):
    """The register's page query is compiled once per reader and choice of filters (how many
    words, a year, an organisation); each choice gives what the filters say, and the count
    covers every page."""
    from intranet.minutes import archive

    cases = []  # (text, year, organisation)
    for n, (year, host) in enumerate(
        [(2024, org), (2024, other_org), (2025, org), (2025, other_org), (2025, org)]
    ):
        start = dt.datetime(year, 6, 1 + n, 16)
        meeting = factories.meeting(f"Plenum {n}", "green", host, start=start)
        minutes = factories.minutes(meeting, "released")
        part = MinutesSection.create(minutes=minutes, position=1, title="TOP 1")
        text = f"Beschluss {n} über {'Radwege' if n % 2 else 'Schulwege'} und 50% Zuschuss"
        Decision.create(section=part, position=1, text=text)
        cases.append((text, year, host.id))

    def texts(words="", year=None, organization_id=None, number=1, per_page=25):
        rows = archive.decision_register(member, words, year, organization_id, number, per_page)
        return sorted(d.text for d in rows), rows[0].total if rows else 0

    def expected(words="", year=None, organization_id=None):
        return sorted(
            text
            for text, y, host in cases
            if all(w.casefold() in text.casefold() for w in words.split())
            and year in (None, y)
            and organization_id in (None, host)
        )

    choices = [
        {}, {"words": "radwege"}, {"words": "WEGE zuschuss"}, {"words": "50%"},
        {"words": "_0"}, {"year": 2025}, {"organization_id": org.id},
        {"year": 2024, "organization_id": other_org.id},
        {"words": "schulwege", "year": 2025, "organization_id": org.id},
    ]  # fmt: skip
    for choice in choices:
        want = expected(**choice)
        assert texts(**choice) == (want, len(want)), choice
    # Pages of two: each page carries the count of all; past the end nothing.
    first, total = texts(per_page=2)
    second, _ = texts(number=2, per_page=2)
    assert total == 5 and len(first) == len(second) == 2 and not set(first) & set(second)
    assert texts(number=9, per_page=2) == ([], 0)
    sign_in(client, member)
    page = client.get("/decisions?page=9").get_data(as_text=True)
    assert "Beschluss" in page  # past the end: the last page


def test_two_minutes_of_one_series_started_at_once_get_two_numbers(
    shared_app,  # noqa: F811
    org,
    coordinator,
):
    with db.connection_context():
        series = Series.create(rrule="FREQ=WEEKLY", first_start_local=dt.datetime(2026, 1, 1, 18))
        contexts = [load_context(held(org, days_ago=days, series=series)) for days in (3, 10)]
    results = race(
        shared_app, *(lambda c=c: editing.start_minutes(c, coordinator) for c in contexts)
    )
    assert not any(isinstance(r, Exception) for r in results), results
    with db.connection_context():
        numbers = sorted(m.number for m in Minutes.select())
    assert numbers == [1, 2]
    assert Meeting.select().count() == 2


# --- Sign-off per organisation and the release note ------------------------------------------------


def test_organisations_consent_object_or_consent_by_silence(
    client, app, org, other_org, coordinator, reviewer, member
):
    third = factories.organization("Dritter Verein")
    third_member = factories.account("member", third, email="dritter@example.org")
    uninvited = factories.account(
        "member", factories.organization("Nicht eingeladen"), email="nicht@example.org"
    )
    minutes = start(held(org, [other_org, third]), coordinator)
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    signoff.consent(ctx(minutes, member), member)
    signoff.consent(ctx(minutes, member), member)  # once per organisation
    assert not signoff.may_consent(ctx(minutes, uninvited), uninvited)
    with pytest.raises(WorkflowError):
        signoff.consent(ctx(minutes, uninvited), uninvited)
    objection = comments.add_comment(
        ctx(minutes, third_member), "objection", "TOP 1 fehlt ein Satz", third_member
    )
    states = {r.organization.name: r.state for r in signoff.signoffs(ctx(minutes, coordinator))}
    assert states == {
        org.name: "waiting",
        other_org.name: "consented",
        "Dritter Verein": "objected",
    }
    sign_in(client, coordinator)
    html = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Zustimmung je Organisation" in html and "Einspruch (offen)" in html
    comments.resolve_objection(ctx(minutes, coordinator), objection.id, "Ergänzt.", coordinator)
    workflow.release(ctx(minutes, coordinator), coordinator, "Eilig wegen Pressetermin")
    minutes = Minutes.get_by_id(minutes.id)
    # After the release the release note says it all; the reason only to the editorial circle.
    html = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Freigabevermerk" in html and "Eilig wegen Pressetermin" in html
    assert "keine Rückmeldung: Zustimmung durch Fristablauf" in html
    assert "Einspruch (erledigt)" in html and "erledigt am" in html
    client.post("/logout")
    sign_in(client, member)
    html = client.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "Freigabevermerk" in html and "Eilig wegen Pressetermin" not in html
    assert "Die Begründung liegt der Koordination und den Prüfenden vor." in html
    printed = client.get(f"/minutes/{minutes.id}/print").get_data(as_text=True)
    assert "Freigabevermerk" in printed and "zugestimmt am" in printed
    assert "Eilig wegen Pressetermin" not in printed
    with pytest.raises(WorkflowError):
        signoff.consent(ctx(minutes, third_member), third_member)


# --- The PDF a Sitzungsdienst would file ------------------------------------------------------------


def test_the_released_pdf_is_a_complete_accessible_record(
    app, org, other_org, coordinator, reviewer, member, tmp_path
):
    import subprocess

    import pdfua

    from intranet.minutes import export

    meeting = held(org, [other_org], room="Saal 2", city="Dresden")
    minutes = start(meeting, coordinator)
    shared = section(minutes, "green")
    editing.add_decision(
        ctx(minutes, coordinator), shared,
        editing.DecisionData("Lagebild quartalsweise", "majority", 12, 3, 1), coordinator,
    )  # fmt: skip
    editing.add_action_item(
        ctx(minutes, coordinator), shared, "Dienstplan", "KORA", None, coordinator
    )
    editing.save_draft(
        ctx(minutes, coordinator), "- eins\n- zwei\n  - zwei a", "green", False,
        ctx(minutes, coordinator).minutes.version, coordinator,
        record=editing.RecordData("Katrin Leitung", "Mia Protokoll", dt.time(18, 5), dt.time(19, 50)),
    )  # fmt: skip
    workflow.submit(ctx(minutes, coordinator), coordinator)
    workflow.approve(ctx(minutes, reviewer), reviewer)
    signoff.consent(ctx(minutes, member), member)
    workflow.release(ctx(minutes, coordinator), coordinator, "Eilig")
    with app.test_request_context():
        document = export.prepare(ctx(minutes, member), member)
        path = tmp_path / "protokoll.pdf"
        path.write_bytes(export.pdf(document))
    report = pdfua.validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    citation = numbering.citation(Minutes.get_by_id(minutes.id))
    for expected in (
        f"Plenum {citation}", "Vorsitz", "Katrin Leitung", "18:05", f"Beschluss {citation}-1",
        "Freigabevermerk", "zugestimmt am", "Zustimmung durch Fristablauf",
    ):  # fmt: skip
        assert expected in text, expected
    # The checksum stands on every page.
    pages = text.split("\f")
    checksum = Minutes.get_by_id(minutes.id).released_sha256
    assert all(checksum in page for page in pages if page.strip())


def test_the_archive_marks_minutes_with_a_released_correction(
    client, app, org, coordinator, reviewer
):
    minutes = release(start(held(org), coordinator), coordinator, reviewer)
    sign_in(client, coordinator)
    assert "berichtigt" not in client.get("/minutes").get_data(as_text=True)
    correction = workflow.start_correction(ctx(minutes, coordinator), coordinator)
    assert "berichtigt" not in client.get("/minutes").get_data(as_text=True)  # not yet released
    release(correction, coordinator, reviewer)
    assert "berichtigt" in client.get("/minutes").get_data(as_text=True)


# --- Action items: whose, overdue, carried into a meeting the coordinator chooses ------------------


def test_action_items_by_whose_and_state_with_overdue_marked(client, app, org, coordinator, member):
    meeting = factories.meeting("Plenum", "green", org, start=utcnow() - dt.timedelta(days=40))
    minutes = factories.minutes(meeting, "released")
    section_row = MinutesSection.create(minutes=minutes, title="TOP 1", position=1)
    yesterday = (utcnow() - dt.timedelta(days=1)).date()
    from intranet.minutes.models import ActionItem

    ActionItem.create(section=section_row, text="Eigene Aufgabe", responsible=member.display_name)
    ActionItem.create(
        section=section_row, text="Aufgabe der Stelle", responsible="KPS", due_on=yesterday
    )
    ActionItem.create(section=section_row, text="Erledigte Aufgabe", state="done")
    sign_in(client, member)
    mine = client.get("/minutes/actions?scope=mine").get_data(as_text=True)
    assert "Eigene Aufgabe" in mine and "Aufgabe der Stelle" not in mine
    client.post("/logout")
    sign_in(client, coordinator)  # of the organisation "Kommunale Präventionsstelle" (KPS)
    ours = client.get("/minutes/actions?scope=organization").get_data(as_text=True)
    assert "Aufgabe der Stelle" in ours and "Eigene Aufgabe" not in ours and "überfällig" in ours
    overdue = client.get("/minutes/actions?state=overdue").get_data(as_text=True)
    assert "Aufgabe der Stelle" in overdue and "Eigene Aufgabe" not in overdue
    done = client.get("/minutes/actions?state=done&scope=x").get_data(as_text=True)
    assert "Erledigte Aufgabe" in done and "Eigene Aufgabe" not in done
    fragment = client.get(
        "/minutes/actions?state=done", headers={"HX-Request": "true", "HX-Target": "action-list"}
    )
    assert "<html" not in fragment.get_data(as_text=True)


def test_an_action_item_is_carried_into_the_meeting_the_coordinator_chooses(
    client, app, org, coordinator
):
    from intranet.minutes.models import ActionItem
    from tests.conftest import csrf_token

    past = factories.meeting("Plenum", "green", org, start=utcnow() - dt.timedelta(days=10))
    series_next = factories.meeting("Plenum", "green", org, start=utcnow() + dt.timedelta(days=20))
    workshop = factories.meeting("Werkstatt", "green", org, start=utcnow() + dt.timedelta(days=30))
    minutes = factories.minutes(past, "released")
    section_row = MinutesSection.create(minutes=minutes, title="TOP 1", position=1)
    task = ActionItem.create(section=section_row, text="Elternabend planen", responsible="KPS")
    sign_in(client, coordinator)
    page = client.get(f"/minutes/actions/{task.id}/carry").get_data(as_text=True)
    assert (
        f'<option selected value="{series_next.id}"' in page
        or f'value="{series_next.id}" selected' in page
    )
    assert "Werkstatt" in page
    response = client.post(
        f"/minutes/actions/{task.id}/carry",
        data={"csrf_token": csrf_token(client), "meeting": str(workshop.id)},
    )
    assert response.headers["Location"] == f"/meetings/{workshop.id}#agenda"
    assert AgendaItem.get(AgendaItem.meeting == workshop.id).title == "Aufgabe: Elternabend planen"
    # Carried once: a second attempt is refused, and a meeting one may not choose is refused too.
    again = client.post(
        f"/minutes/actions/{task.id}/carry",
        data={"csrf_token": csrf_token(client), "meeting": str(series_next.id)},
    )
    assert again.status_code in (303, 404)
    assert AgendaItem.select().where(AgendaItem.meeting == series_next.id).count() == 0


def test_every_page_of_the_pdf_is_headed_with_the_strictest_label_it_carries(
    app, org, other_org, coordinator, reviewer
):
    from intranet.minutes import export

    minutes = start(held(org, [other_org]), coordinator)  # GREEN, with an AMBER TOP 2
    minutes = release(minutes, coordinator, reviewer)
    with app.test_request_context():
        for_coordinator = export.prepare(ctx(minutes, coordinator), coordinator)
        html = export.html(for_coordinator)
    assert for_coordinator.label == "amber"
    assert '<p class="doc-label">Nur beteiligte Organisationen (TLP:AMBER)</p>' in html
