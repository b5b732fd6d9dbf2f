"""The start page answers "what needs me?": the next meetings with the answer in place,
unanswered invitations first, recent changes — only what the account may see."""

import datetime as dt
import re

import pyotp

from intranet.meetings import answers as meetings_answers
from intranet.meetings import planning
from intranet.meetings.models import Answer, Meeting
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import make_meeting


def days(n):
    return utcnow().replace(microsecond=0) + dt.timedelta(days=n)


def test_unanswered_invitations_come_first_and_hidden_meetings_never(
    client, member, other_org, org
):
    answered = make_meeting("Beantwortet", "green", invited=[other_org], start=days(1))
    open_invitation = make_meeting("Offene Einladung", "green", invited=[other_org], start=days(20))
    forum = make_meeting("Forum ohne Einladung", "green", start=days(2))
    make_meeting("Geheim", "amber", organization=org, start=days(1))
    make_meeting("Vorbei", "green", invited=[other_org], start=days(-3))
    meetings_answers.give_answer(answered, member, "yes")
    sign_in(client, member)
    page = client.get("/").get_data(as_text=True)
    assert "Geheim" not in page and "Vorbei" not in page
    assert page.index("Offene Einladung") < page.index("Beantwortet") < page.index(forum.title)
    assert f'id="answer-card-{open_invitation.id}"' in page
    assert "Sie haben noch nicht geantwortet." in page
    assert "Ihre Antwort: Zusage." in page or "Sie haben geantwortet: Zusage." in page


def test_answering_in_place_with_htmx_returns_only_that_card(client, member, other_org):
    meeting = make_meeting("Plenum", "green", invited=[other_org])
    sign_in(client, member)
    response = client.post(
        f"/meetings/{meeting.id}/answer",
        data={"csrf_token": csrf_token(client), "answer": "maybe", "next": "/"},
        headers={"HX-Request": "true", "HX-Target": f"answer-card-{meeting.id}"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<div class="answer-card" id="answer-card-{meeting.id}">')
    assert 'aria-pressed="true"' in body and "<html" not in body
    assert "Ihre Antwort ist gespeichert" in body  # the flash, out of band
    assert Answer.get().answer == "maybe"


def test_answering_without_javascript_returns_to_the_start_page(client, member, other_org):
    meeting = make_meeting("Plenum", "green", invited=[other_org])
    sign_in(client, member)
    data = {"csrf_token": csrf_token(client), "answer": "no", "next": "/"}
    response = client.post(f"/meetings/{meeting.id}/answer", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    data["next"] = "https://example.org/"
    response = client.post(f"/meetings/{meeting.id}/answer", data=data)
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}#answer")


def test_recent_changes_and_cancellations_are_listed(client, member, other_org, coordinator):
    changed = make_meeting("Verschoben", "green", invited=[other_org], start=days(5))
    cancelled = make_meeting("Fällt aus", "green", invited=[other_org], start=days(6))
    planning.cancel_meeting(cancelled, "Krankheit", cancelled.version, coordinator)
    Meeting.update(sequence=1, updated_at=utcnow()).where(Meeting.id == changed.id).execute()
    sign_in(client, member)
    page = client.get("/").get_data(as_text=True)
    section = page[page.index("Kürzlich geändert") :]
    assert "Verschoben" in section and "Fällt aus" in section and "abgesagt" in section


def test_the_start_page_costs_the_same_queries_at_any_size(
    client, member, other_org, count_queries
):
    sign_in(client, member)
    counts = []
    for n in (2, 30):
        for i in range(n):
            make_meeting(f"Termin {n}-{i}", "green", invited=[other_org], start=days(i + 1))
        factories.account("member", other_org)
        with count_queries() as counted:
            assert client.get("/").status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_minutes_that_wait_for_the_person_are_listed(
    client, org, other_org, coordinator, reviewer, member
):
    from intranet.minutes.models import ReadConfirmation

    meeting = make_meeting("Plenum", "green", organization=org, invited=[other_org], start=days(-3))
    in_review = factories.minutes(meeting, state="in_review")
    second = make_meeting("Arbeitsgruppe", "green", organization=org, start=days(-10))
    circulating = factories.minutes(second, state="circulating", objection_deadline=days(5))
    third = make_meeting("Runder Tisch", "green", organization=org, start=days(-20))
    released = factories.minutes(third, state="released", released_at=utcnow())
    hidden = make_meeting("Intern", "amber", organization=org, start=days(-4))
    factories.minutes(hidden, state="released", released_at=utcnow())

    sign_in(client, reviewer)
    page = client.get("/").get_data(as_text=True)
    assert "Protokolle, die auf Ihre Prüfung warten" in page
    assert f'href="/minutes/{in_review.id}"' in page

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, member)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/minutes/{in_review.id}"' not in page  # not for members while in review
    assert f'href="/minutes/{circulating.id}"' in page and "Einspruchsfrist bis" in page
    assert f'href="/minutes/{released.id}"' in page
    assert "Intern" not in page  # AMBER of an organisation the member is not part of
    ReadConfirmation.create(minutes=released, account=member, organization=other_org)
    assert f'href="/minutes/{released.id}"' not in client.get("/").get_data(as_text=True)


def test_only_minutes_released_since_the_person_joined_ask_to_be_confirmed(
    client, org, other_org, member
):
    joined = member.created_at
    before = make_meeting("Runder Tisch alt", "green", organization=org, start=days(-90))
    old = factories.minutes(before, state="released", released_at=joined - dt.timedelta(days=60))
    after = make_meeting("Runder Tisch neu", "green", organization=org, start=days(-2))
    new = factories.minutes(after, state="released", released_at=joined + dt.timedelta(hours=1))
    sign_in(client, member)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/minutes/{new.id}"' in page
    assert f'href="/minutes/{old.id}"' not in page
    # The old minutes are still there to read (and confirm) in the archive.
    assert client.get(f"/minutes/{old.id}").status_code == 200


def test_to_dos_come_first_and_a_series_change_is_one_line(
    client, member, other_org, org, coordinator
):
    from intranet.meetings.models import Series

    series = Series.create(rrule="FREQ=WEEKLY;COUNT=11", first_start_local=days(7))
    dates = [
        make_meeting("Sicherheitsdialog", "green", organization=org, invited=[other_org],
                     series=series, start=days(7 * (i + 1)), sequence=1, updated_at=utcnow())
        for i in range(11)
    ]  # fmt: skip
    planning.cancel_meeting(dates[-1], "Ferien", dates[-1].version, coordinator)
    answered = make_meeting("Stadtteilkonferenz", "green", invited=[other_org], start=days(2))
    meetings_answers.give_answer(answered, member, "yes")
    for i in range(4):
        make_meeting(f"Forum {i}", "green", start=days(3 + i))
    sign_in(client, member)
    page = client.get("/").get_data(as_text=True)
    todo = page.index('id="start-todo-heading"')
    assert (
        todo < page.index(f'id="answer-card-{dates[0].id}"') < page.index("Ihre nächsten Termine")
    )
    # Three unanswered dates on the to-do list, the rest behind a link.
    assert page.count("start-card--waiting") == 3
    assert "7 weitere Einladungen warten auf Ihre Antwort" in page
    # Three meeting cards, the answered one among them, and the way to all meetings.
    cards = page[page.index("Ihre nächsten Termine") : page.index('id="start-changes"')]
    assert cards.count('class="start-card"') == 3 and "Stadtteilkonferenz" in cards
    assert 'href="/meetings">Alle Termine</a>' in page
    changes = page[page.index('id="start-changes"') :].split("</section>", 1)[0]
    assert changes.count("<li>") == 1
    assert "11 Termine ab" in changes and "davon 1 abgesagt" in changes


# --- The admin's first-run checklist ------------------------------------------------------------


def checklist_states(page: str) -> list[str]:
    section = page.split('id="checklist-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'kern-badge--(success|warning)"', section)


def test_a_new_installation_shows_the_admin_what_is_still_open(client, admin):
    sign_in(client, admin)
    page = client.get("/").get_data(as_text=True)
    assert "Einrichtung des Intranets" in page
    assert checklist_states(page) == ["warning"] * 7
    assert "Noch keine Sicherung" in page and "flask --app app backup" in page
    assert "0 von 1 Konto der Verwaltung" in page and "Bisher nur die Verwaltung" in page
    # The first organisation is one step away: the link opens the form, not an empty list.
    assert 'href="/admin/organizations/new"' in page


def test_the_checklist_follows_the_installation_and_leaves_the_start_page_when_done(
    app, client, admin, member, count_queries
):
    from intranet.auth import second_factor
    from intranet.core import audit, site_settings

    sign_in(client, admin)
    with count_queries() as counted:
        client.get("/")
    before = counted.n
    site_settings.save(
        {
            "imprint_url": "https://example.org/impressum",
            "privacy_url": "https://example.org/datenschutz",
            "accessibility_contact": "barrierefrei@example.org",
        }
    )
    factor = second_factor.begin_setup(admin)
    second_factor.confirm_setup(admin, pyotp.TOTP(second_factor.secret(factor)).now())
    app.config["MAIL_SERVER"] = "mail.example.org:587"
    audit.record("backup.created", detail="sicherung.tar.gz", actor=admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert checklist_states(page) == ["success"] * 7
    assert "Alle Schritte sind erledigt." in page and "1 aktives Konto" in page
    with count_queries() as counted:
        start = client.get("/").get_data(as_text=True)
    assert "Einrichtung des Intranets" not in start
    assert counted.n <= before

    # A week without a backup opens that step again.
    from intranet.core.models import AuditEvent

    AuditEvent.update(at=utcnow() - dt.timedelta(days=8)).where(
        AuditEvent.action == "backup.created"
    ).execute()
    page = client.get("/").get_data(as_text=True)
    assert checklist_states(page).count("warning") == 1 and "Letzte Sicherung" in page


def test_only_the_admin_sees_the_checklist(client, member, coordinator):
    for account in (member, coordinator):
        sign_in(client, account)
        assert "Einrichtung des Intranets" not in client.get("/").get_data(as_text=True)


def test_the_next_meetings_come_with_who_may_answer_in_one_query(
    app, member, org, other_org, count_queries
):
    """The cards know whether the member may answer (their organisation organises or is
    invited, or they are named) without reading the invitation lists: one query in all."""
    from intranet.meetings import start

    named = factories.account("member", org)
    invited = make_meeting("Eingeladen", "green", invited=[org, other_org], start=days(1))
    organised = make_meeting("Selbst veranstaltet", "amber", organization=other_org, start=days(2))
    others = make_meeting("Andere eingeladen", "green", invited=[org], start=days(3))
    make_meeting("Nur benannt", "red", organization=org, persons=[named], start=days(4))
    held = make_meeting("Schon gehalten", "green", invited=[other_org], start=days(5))
    Meeting.update(state="held").where(Meeting.id == held.id).execute()
    meetings_answers.give_answer(invited, member, "no")
    with app.test_request_context(), count_queries() as counted:
        cards = start.upcoming_cards(member)
    assert counted.n == 1
    assert [(c.meeting.title, c.may_answer, c.answer) for c in cards] == [
        ("Eingeladen", True, "no"),
        ("Selbst veranstaltet", True, None),
        ("Andere eingeladen", False, None),
        ("Schon gehalten", False, None),
    ]
    with app.test_request_context():
        for_named = start.upcoming_cards(named)
    assert [(c.meeting.title, c.may_answer) for c in for_named] == [
        ("Eingeladen", True),
        ("Andere eingeladen", True),
        ("Nur benannt", True),
        ("Schon gehalten", False),
    ]
    assert organised.id and others.id
