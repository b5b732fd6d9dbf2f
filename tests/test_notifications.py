"""Each person chooses how to be told (at once, daily summary, off), except what they must not
miss; the delivery loop writes reminders, deadline warnings, action item mails and the daily
summaries, each once per person and occasion; and no kind of mail names what may not leave
the intranet (core.sharing.MailPolicy)."""

import datetime as dt
import re
from pathlib import Path

import icalendar
import pytest

from intranet.core import notifications, site_settings, times
from intranet.core import outbox as delivery
from intranet.core.models import DigestEntry, NotificationSettings, OutboxAttachment, OutboxMessage
from intranet.meetings import mail as meeting_mail
from intranet.meetings.access import load_context
from intranet.meetings.models import AgendaItem, Answer, Meeting, MeetingPerson
from intranet.minutes import access, comments, editing, workflow
from intranet.minutes.models import MinutesSection
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

TITLE = "Fallkonferenz Nordstern"


@pytest.fixture
def mail_on(app):
    """Mail on, and a request around the test: mails carry the page's full address."""
    app.config.update(MAIL_SERVER="127.0.0.1:1", MAIL_FROM="intranet@example.org")
    with app.test_request_context():
        yield


def run_jobs(now=None):
    # As a delivery pass does: mail jobs written first, then what is due by the clock.
    delivery.expand_jobs()
    notifications.run_periodic(now or utcnow(), force=True)


def outbox(kind=None):
    # An invitation is one job until the delivery loop writes its mails: written here first.
    delivery.expand_jobs()
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(query)


def invite(meeting, actor):
    meeting_mail.queue_invitations(load_context(meeting), actor)


def choose(account, **choices):
    values = {t: choices.get(t) for t in notifications.TOPICS}
    notifications.save(account, values, choices.get("hour", 7), choices.get("alarm"))


def checked(page, topic):
    found = re.search(rf'<input checked [^>]*name="told-{topic}"[^>]*value="(\w+)"', page)
    return found and found.group(1)


# --- Choices on /account --------------------------------------------------------------------


def test_account_page_offers_choices_with_role_defaults_and_saves_them_without_scripts(
    client, reviewer
):
    sign_in(client, reviewer)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="notifications"' in page and "Benachrichtigungen per Mail" in page
    # A reviewer hears of their queue at once, of later steps in the daily summary.
    assert checked(page, "review") == "now" and checked(page, "minutes") == "daily"
    assert "Einmal täglich, gesammelt in einer Mail" in page
    assert "Sie sind die einzige prüfende Person" in page
    response = client.post(
        "/account/notifications",
        data={
            "csrf_token": csrf_token(client),
            "told-invitations": "off",
            "told-reminders": "daily",
            "told-review": "now",
            "told-minutes": "now",
            "told-action_items": "daily",
            "told-digest_hour": "18",
            "told-alarm_minutes": "30",
        },
    )
    assert response.status_code == 303
    saved = NotificationSettings.get_by_id(reviewer.id)
    assert (saved.invitations, saved.reminders, saved.digest_hour, saved.alarm_minutes) == (
        "off", "daily", 18, 30,
    )  # fmt: skip
    page = client.get("/account").get_data(as_text=True)
    assert checked(page, "invitations") == "off" and checked(page, "action_items") == "daily"
    assert '<option selected value="18">18:00</option>' in page


def test_a_wrong_choice_is_refused_at_its_field(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/notifications",
        data={"csrf_token": csrf_token(client), "told-invitations": "sometimes"},
    )
    assert response.status_code == 422
    assert not NotificationSettings.select().exists()


def test_defaults_follow_the_role(app, coordinator, reviewer, member, admin):
    assert notifications.choices_of(coordinator)["minutes"] == "now"
    assert notifications.choices_of(reviewer)["minutes"] == "daily"
    assert notifications.choices_of(reviewer)["review"] == "now"
    assert "review" not in notifications.choices_of(member)
    assert notifications.choices_of(member)["invitations"] == "now"
    assert notifications.choices_of(admin)["minutes"] == "daily"


# --- At once, daily, off ------------------------------------------------------------------------


def test_off_sends_nothing_and_daily_keeps_it_for_the_summary(mail_on, org, coordinator):
    start = utcnow()
    hour = (times.to_local(start).hour + 2) % 24  # the summary's hour is still to come
    off = factories.account("member", org, email="aus@example.org")
    daily = factories.account("member", org, email="taeglich@example.org", language="en")
    choose(off, invitations="off")
    choose(daily, invitations="daily", hour=hour)
    invite(factories.meeting("Plenum", organization=org, invited=[org]), coordinator)
    recipients = {m.recipient for m in outbox()}
    assert coordinator.email in recipients
    assert off.email not in recipients and daily.email not in recipients
    kept = DigestEntry.get(DigestEntry.account == daily.id)
    assert kept.subject == "Invitation: Plenum" and "/meetings/" in kept.link

    # Not before the person's hour; then one summary in their language, once.
    run_jobs(start + dt.timedelta(hours=1))
    assert not outbox("summary")
    run_jobs(start + dt.timedelta(hours=3))
    run_jobs(start + dt.timedelta(hours=4))
    (summary,) = outbox("summary")
    assert summary.recipient == daily.email
    assert summary.subject == "Your daily summary: 1 notification"
    assert "Invitation: Plenum" in summary.text and kept.link in summary.text
    assert "/account#notifications" in summary.text
    assert not DigestEntry.select().exists()


@pytest.mark.parametrize("second_reviewer", [False, True])
def test_only_the_only_reviewer_gets_the_review_queue_whatever_they_chose(
    mail_on, org, coordinator, reviewer, second_reviewer
):
    second = (
        factories.account("reviewer", org, email="zweite@example.org") if second_reviewer else None
    )
    choose(reviewer, review="off")
    meeting = factories.meeting("Plenum", organization=org, start=utcnow() - dt.timedelta(days=1))
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    # The only reviewer cannot switch their queue off; with two, "off" means off.
    expected = [second.email] if second else [reviewer.email]
    assert [m.recipient for m in outbox("minutes_step")] == expected


def test_mails_link_to_the_choices(mail_on, org, coordinator, member):
    invite(
        factories.meeting("Plenum", organization=org, invited=[member.organization]), coordinator
    )
    for message in outbox("meeting"):
        assert "/account#notifications" in message.text
        assert "/account#notifications" in message.html


# --- Reminders, deadlines, action items -----------------------------------------------------------


def test_reminder_before_an_accepted_meeting_once_per_person(mail_on, org, coordinator, member):
    soon = factories.meeting("Plenum", organization=org, invited=[member.organization],
                             start=utcnow().replace(microsecond=0) + dt.timedelta(days=1))  # fmt: skip
    later = factories.meeting("Später", organization=org, invited=[member.organization],
                              start=utcnow().replace(microsecond=0) + dt.timedelta(days=5))  # fmt: skip
    for meeting in (soon, later):
        Answer.create(meeting=meeting, account=member, answer="yes")
        Answer.create(meeting=meeting, account=coordinator, answer="no")
    run_jobs()
    run_jobs()
    (reminder,) = outbox("meeting_reminder")
    assert reminder.recipient == member.email and reminder.subject == "Erinnerung: Plenum"
    # The admin's setting widens the window; the first reminder is not sent again.
    site_settings.save({"meeting_reminder_days": "6"})
    run_jobs()
    assert [m.subject for m in outbox("meeting_reminder")] == [
        "Erinnerung: Plenum", "Erinnerung: Später",
    ]  # fmt: skip


def _circulating(org, coordinator, reviewer, label="green", title="Plenum"):
    meeting = factories.meeting(title, label, organization=org, persons=[coordinator, reviewer],
                                start=utcnow() - dt.timedelta(days=2), state="held")  # fmt: skip
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    workflow.approve(access.get_minutes_or_404(minutes.id, account=reviewer), reviewer)
    return minutes


def test_authors_hear_when_the_objection_period_ends_with_objections_open(
    mail_on, org, coordinator, reviewer
):
    objector = factories.account("member", org, email="einspruch@example.org")
    minutes = _circulating(org, coordinator, reviewer)
    comments.add_comment(
        access.get_minutes_or_404(minutes.id, account=objector), "objection", "Falsch", objector
    )
    deadline = type(minutes).get_by_id(minutes.id).objection_deadline
    run_jobs(deadline - dt.timedelta(days=3))
    assert not [m for m in outbox("minutes_step") if "Einspruchsfrist" in m.subject]
    run_jobs(deadline - dt.timedelta(days=1))
    run_jobs(deadline - dt.timedelta(hours=20))
    warned = [m for m in outbox("minutes_step") if "Einspruchsfrist" in m.subject]
    assert [(m.recipient, m.subject) for m in warned] == [
        (coordinator.email, "Einspruchsfrist endet bald, Einsprüche offen: Plenum")
    ]
    assert "Falsch" not in warned[0].text


def test_action_items_are_told_to_the_person_named_once_assigned_and_once_due(
    mail_on, org, coordinator, reviewer
):
    helga = factories.account("member", org, email="helga@example.org", display_name="Helga Muster")
    meeting = factories.meeting("Plenum", organization=org, start=utcnow() - dt.timedelta(days=2),
                                state="held")  # fmt: skip
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    section = MinutesSection.get(MinutesSection.minutes == minutes.id)
    tomorrow = times.to_local(utcnow()).date() + dt.timedelta(days=1)
    context = access.get_minutes_or_404(minutes.id, account=coordinator)
    editing.add_action_item(context, section, "Flyer Geheimtext drucken", "Frau Helga Muster",
                             tomorrow, coordinator)  # fmt: skip
    run_jobs()
    assert not outbox("action_item")  # a draft assigns nothing yet
    workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    workflow.approve(access.get_minutes_or_404(minutes.id, account=reviewer), reviewer)
    run_jobs()
    run_jobs()
    told = [(m.recipient, m.subject) for m in outbox("action_item")]
    date = f"{tomorrow:%d.%m.%Y}"
    assert told == [
        (helga.email, "Neue Aufgabe für Sie: Plenum"),
        (helga.email, f"Aufgabe fällig am {date}: Plenum"),
    ]
    assert all("Geheimtext" not in m.text for m in outbox("action_item"))


# --- One policy for every kind of mail ---------------------------------------------------------

# Kinds that never name a meeting or minutes: about one's own account, the admin's test.
ABOUT_NO_ITEM = {"password_link", "account_notice", "test"}


def _restricted_meeting(org, label, invited, persons, days):
    return factories.meeting(
        TITLE, label, organization=org, invited=invited, persons=persons, room="Raum Kiefer",
        start=utcnow().replace(microsecond=0) + dt.timedelta(days=days),
    )  # fmt: skip


def make_meeting_mails(org, coordinator, reviewer, member, label):
    invite(_restricted_meeting(org, label, [org], [coordinator, member], 5), coordinator)


def make_series_mails(org, coordinator, reviewer, member, label):
    meetings = [_restricted_meeting(org, label, [org], [coordinator, member], d) for d in (5, 12)]
    meeting_mail.queue_series_invitations(
        [load_context(m) for m in meetings], coordinator, meetings[0]
    )


def make_reminder_mails(org, coordinator, reviewer, member, label):
    meeting = _restricted_meeting(org, label, [org], [coordinator, member], 1)
    Answer.create(meeting=meeting, account=member, answer="yes")
    run_jobs()


def make_minutes_mails(org, coordinator, reviewer, member, label):
    minutes = _circulating(org, coordinator, reviewer, label, TITLE)
    comments.add_comment(
        access.get_minutes_or_404(minutes.id, account=coordinator), "objection", "x", coordinator
    )
    deadline = type(minutes).get_by_id(minutes.id).objection_deadline
    run_jobs(deadline - dt.timedelta(days=1))


def make_action_item_mails(org, coordinator, reviewer, member, label):
    meeting = factories.meeting(TITLE, label, organization=org, persons=[coordinator, reviewer],
                                start=utcnow() - dt.timedelta(days=2), state="held")  # fmt: skip
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    minutes = editing.start_minutes(load_context(meeting), coordinator)
    section = MinutesSection.get(MinutesSection.minutes == minutes.id)
    context = access.get_minutes_or_404(minutes.id, account=coordinator)
    editing.add_action_item(context, section, "Text", reviewer.display_name,
                             times.to_local(utcnow()).date(), coordinator)  # fmt: skip
    workflow.submit(access.get_minutes_or_404(minutes.id, account=coordinator), coordinator)
    workflow.approve(access.get_minutes_or_404(minutes.id, account=reviewer), reviewer)
    run_jobs()


def make_summary_mails(org, coordinator, reviewer, member, label):
    choose(member, invitations="daily", hour=0)
    choose(coordinator, invitations="daily", hour=0)
    invite(_restricted_meeting(org, label, [org], [coordinator, member], 5), coordinator)
    run_jobs(utcnow() + dt.timedelta(days=1))


MAKERS = {
    "meeting": make_meeting_mails,
    "meeting_series": make_series_mails,
    "meeting_reminder": make_reminder_mails,
    "minutes_step": make_minutes_mails,
    "action_item": make_action_item_mails,
    "summary": make_summary_mails,
}


def test_every_kind_of_mail_is_checked_against_the_policy():
    templates = Path(__file__).resolve().parent.parent / "templates" / "mail"
    kinds = {p.stem for p in templates.glob("*.txt") if not p.name.startswith("_")}
    assert kinds - ABOUT_NO_ITEM == set(MAKERS)


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("label", ["red", "amber_strict", "amber", "green"])
def test_a_mail_names_an_item_only_where_the_policy_allows(
    mail_on, org, coordinator, reviewer, member, kind, label
):
    # Everyone concerned is of the organising organisation and named on the meeting.
    member.organization = org
    member.save()
    MAKERS[kind](org, coordinator, reviewer, member, label)
    mails = outbox(kind)
    assert mails, f"no {kind} mail was queued"
    for message in mails:
        carried = message.subject + message.text + message.html
        assert "Geheimtext" not in carried and "Falsch" not in carried
        if label in ("green", "amber"):
            # AMBER is named to whom its audience admits (organiser and invited organisations).
            assert TITLE in message.subject + message.text
            continue
        assert TITLE not in carried
        for attachment in OutboxAttachment.select().where(OutboxAttachment.message == message.id):
            event = icalendar.Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")[0]
            assert TITLE not in event.to_ical().decode()
            assert "Raum Kiefer" in str(event["location"]) and "dtstart" in event


# --- An alarm in the calendar feed ---------------------------------------------------------------


def test_the_feed_carries_the_alarm_the_person_asked_for(client, org, member):
    from intranet.meetings import feeds

    token = feeds.renew(member)
    factories.meeting("Plenum", organization=org, invited=[member.organization])
    factories.meeting("Abgesagt", organization=org, invited=[member.organization],
                      cancelled=True)  # fmt: skip

    def events():
        response = client.get(f"/calendar.ics?token={token}")
        calendar = icalendar.Calendar.from_ical(response.data)
        return response.headers["ETag"], {str(e["summary"]): e for e in calendar.walk("VEVENT")}

    before, plain = events()
    assert not plain["Plenum"].walk("VALARM")
    choose(member, alarm=30)
    after, with_alarm = events()
    assert after != before  # calendar programs fetch the changed feed
    (alarm,) = with_alarm["Plenum"].walk("VALARM")
    assert alarm["action"] == "DISPLAY" and alarm["trigger"].dt == -dt.timedelta(minutes=30)
    assert str(alarm["description"]) == "Plenum"
    assert not with_alarm["Abgesagt"].walk("VALARM")


def test_each_invitation_names_its_own_recipient_as_the_one_attendee(
    mail_on, org, coordinator, member
):
    """The calendar file is built once per meeting and the recipient's line put in: each file
    still parses and names only its own recipient, with a name that cannot break the line."""
    tricky = factories.account("member", member.organization, email="t@example.org",
                               display_name='Zoë "Z"; ROLE=CHAIR, Beispiel')  # fmt: skip
    invite(
        factories.meeting("Plenum", organization=org, invited=[member.organization]), coordinator
    )
    seen = {}
    for message in outbox("meeting"):
        (attachment,) = OutboxAttachment.select().where(OutboxAttachment.message == message.id)
        event = icalendar.Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")[0]
        attendee = event["attendee"]
        assert str(attendee) == f"mailto:{message.recipient}"
        assert str(event["summary"]) == "Plenum" and event["dtstart"]
        seen[message.recipient] = attendee.params["cn"]
    assert seen[tricky.email] == 'Zoë "Z"; ROLE=CHAIR, Beispiel'
    assert seen[member.email] == member.display_name


def test_inviting_a_plenary_costs_no_more_statements_than_inviting_a_few(
    mail_on, org, coordinator, count_queries
):
    """A page that invites forty people answers about as fast as one that invites three: their
    mails and calendar files are written with one statement per table, not two per person."""
    few, many = factories.organization("Wenige"), factories.organization("Plenum")
    for number in range(3):
        factories.account("member", few, email=f"w{number}@example.org")
    for number in range(40):
        factories.account("member", many, email=f"p{number}@example.org")
    counts = []
    # The first invitation also notes the intranet's address (for links in later mails).
    for invited in (few, few, many):
        meeting = factories.meeting("Plenum", organization=org, invited=[invited])
        context = load_context(meeting)
        with count_queries() as counted:
            meeting_mail.queue_invitations(context, coordinator)
        counts.append(counted.n)
    assert counts[2] == counts[1]
    messages = outbox("meeting")
    assert len(messages) == 3 + 3 + 40 + 3  # and the coordinator's own copy of each
    files = {a.message_id: a for a in OutboxAttachment.select()}
    for message in messages:
        event = icalendar.Calendar.from_ical(bytes(files[message.id].content)).walk("VEVENT")[0]
        assert str(event["attendee"]) == f"mailto:{message.recipient}"


def test_the_delivery_loop_writes_what_is_due_by_the_clock(mail_on, app, org, member):
    """`python app.py` and `mail deliver` need nothing else: their pass runs the jobs, at most
    every few minutes, and the reminder's link points at the intranet's address."""
    from intranet.core import outbox as delivery

    app.config["PUBLIC_URL"] = "https://intranet.example.org/"
    meeting = factories.meeting("Plenum", organization=org, invited=[member.organization],
                                start=utcnow() + dt.timedelta(hours=30))  # fmt: skip
    Answer.create(meeting=meeting, account=member, answer="yes")
    delivery.deliver(once=True)
    (reminder,) = outbox("meeting_reminder")
    assert f"https://intranet.example.org/meetings/{meeting.id}" in reminder.text
    other = factories.meeting("Später", organization=org, invited=[member.organization],
                              start=utcnow() + dt.timedelta(hours=20))  # fmt: skip
    Answer.create(meeting=other, account=member, answer="yes")
    delivery.deliver(once=True)
    assert len(outbox("meeting_reminder")) == 1  # not yet: the jobs ran a moment ago


def test_the_summary_checks_each_item_again_when_it_is_written(mail_on, org, coordinator, member):
    member.organization = org
    member.save()
    choose(member, invitations="daily", hour=0)
    made_red = factories.meeting(TITLE, organization=org, invited=[org])
    made_strict = factories.meeting("Runde Südstern", organization=org, invited=[org])
    invite(made_red, coordinator)
    invite(made_strict, coordinator)
    outbox()  # the invitations are written: the summary entries name both meetings
    assert {e.subject for e in DigestEntry.select()} == {
        f"Einladung: {TITLE}",
        "Einladung: Runde Südstern",
    }
    # Hours later, before the summary: one meeting is for its named persons only, the other
    # may no longer be named in a mail.
    Meeting.update(label="red").where(Meeting.id == made_red.id).execute()
    MeetingPerson.create(meeting=made_red, account=coordinator)
    Meeting.update(label="amber_strict").where(Meeting.id == made_strict.id).execute()
    run_jobs(utcnow() + dt.timedelta(days=1))
    (summary,) = outbox("summary")
    carried = summary.subject + summary.text + summary.html
    assert summary.recipient == member.email
    assert TITLE not in carried and "Südstern" not in carried
    assert f"/meetings/{made_red.id}" not in carried
    assert f"/meetings/{made_strict.id}" in summary.text
    assert "Neuigkeiten zu einem Termin, zu dem Sie eingeladen sind" in summary.text
    assert not DigestEntry.select().exists()


def test_no_summary_when_every_item_in_it_was_withdrawn(mail_on, org, coordinator, member):
    member.organization = org
    member.save()
    choose(member, invitations="daily", hour=0)
    meeting = factories.meeting(TITLE, organization=org, invited=[org])
    invite(meeting, coordinator)
    outbox()
    Meeting.update(label="red").where(Meeting.id == meeting.id).execute()
    MeetingPerson.create(meeting=meeting, account=coordinator)
    run_jobs(utcnow() + dt.timedelta(days=1))
    assert outbox("summary") == [] and not DigestEntry.select().exists()
