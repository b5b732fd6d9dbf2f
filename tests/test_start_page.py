"""The start page answers "what needs me?": the next meetings with the answer in place,
unanswered invitations first, recent changes — only what the account may see."""

import datetime as dt
import re

import pyotp

from intranet.db import utcnow
from intranet.meetings import services
from intranet.meetings.models import Answer, Meeting
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
    services.give_answer(answered, member, "yes")
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
    services.cancel_meeting(cancelled, "Krankheit", cancelled.version, coordinator)
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
    released = factories.minutes(third, state="released")
    hidden = make_meeting("Intern", "amber", organization=org, start=days(-4))
    factories.minutes(hidden, state="released")

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
