"""Demo data: a year of meetings around today, the same for the same seed; the command."""

import datetime as dt
import hashlib
import random
import shutil
import subprocess

import pytest

from intranet.core import times
from intranet.core.accounts import Account, Organization
from intranet.demo import create_organizations
from intranet.meetings import demo
from intranet.meetings.models import AgendaItem, Answer, Attendance, Meeting
from intranet.platform.db import utcnow
from tests import factories

TODAY = dt.date(2027, 5, 10)


def snapshot():
    return [
        (m.uid, m.title, m.start, m.label, m.state, m.cancelled)
        for m in Meeting.select().order_by(Meeting.id)
    ], [(a.meeting_id, a.account_id, a.answer) for a in Answer.select().order_by(Answer.id)]


def run(seed=7, years=1, scale=1):
    organizations = create_organizations(dt.date(2024, 11, 1))
    accounts = [
        factories.account("coordinator" if n == 0 else "member", o)
        for n, o in enumerate(organizations)
    ]
    return demo.populate(
        organizations, accounts, years=years, scale=scale, rng=random.Random(seed), today=TODAY
    )


def test_a_year_of_meetings_with_series_cancellation_agendas_answers_attendance(app):
    run()
    plenary = list(
        Meeting.select()
        .where(Meeting.title == "Sicherheitsdialog – Plenum")
        .order_by(Meeting.start)
    )
    assert len(plenary) == 12
    for meeting in plenary:
        local = times.to_local(meeting.start)
        assert local.weekday() == 2 and 15 <= local.day <= 21 and local.hour == 18
    assert sum(m.cancelled for m in plenary) == 1
    assert (
        times.to_local(plenary[0].start).date() < TODAY < times.to_local(plenary[-1].start).date()
    )
    assert AgendaItem.select().count() > 3 * len(plenary)
    assert Answer.select().count() > 0 and Attendance.select().count() > 0
    assert Meeting.select().where(Meeting.label == "red").count() == 1
    held = Meeting.select().where(Meeting.state == "held").count()
    assert 0 < held < Meeting.select().count()


def test_same_seed_same_data(app, tmp_path):
    run(seed=7)
    first = snapshot()
    for model in (Answer, Attendance, AgendaItem, Meeting, Account, Organization):
        model.delete().execute()
    run(seed=7)
    second = snapshot()
    assert first[0] == second[0]
    assert [(a[2]) for a in first[1]] == [(a[2]) for a in second[1]]


def test_years_and_scale_grow_the_data(app):
    made = run(years=2, scale=3)
    assert len([m for m in made if "Plenum" in m.title]) == 24
    assert len(made) >= 24 + 8 + 2 * 6 * 3


@pytest.mark.parametrize(
    "clock",
    [
        None,  # now
        # A plenary's day (third Wednesday, 18:00–20:00 in Berlin): before, during, after it.
        dt.datetime(2026, 12, 16, 10, 0),
        dt.datetime(2026, 12, 16, 17, 30),
        dt.datetime(2026, 12, 16, 19, 30),
    ],
)
def test_every_size_of_demo_shows_one_recent_change_the_moved_plenary(app, monkeypatch, clock):
    """The summer cancellations were decided when the year was planned; only the next plenary
    after the day the demo is made, moved to another room three days ago, is recent: one line
    on the start page whether the demo holds one year or several (ten years used to list every
    cancellation ahead), and all day long, a plenary's evening too."""
    from intranet.meetings import start

    if clock is not None:
        monkeypatch.setattr(demo, "utcnow", lambda: clock)
        monkeypatch.setattr(start, "utcnow", lambda: clock)
    now = clock or utcnow()
    for years in (1, 4):
        for model in (Answer, Attendance, AgendaItem, Meeting, Account, Organization):
            model.delete().execute()
        organizations = create_organizations(dt.date(2024, 11, 1))
        member = factories.account("member", organizations[0])
        demo.populate(organizations, [member], years=years, rng=random.Random(7))
        changes = start.recent_changes(member)
        assert len(changes) == 1, years
        moved = changes[0].meeting
        assert "Plenum" in moved.title and moved.room == demo.ROOMS[2][0] and not moved.cancelled
        today = times.to_local(now).date()
        ahead = Meeting.select().where((Meeting.title == moved.title) & ~Meeting.cancelled)
        assert moved.start == min(m.start for m in ahead if times.to_local(m.start).date() > today)
        stored = Meeting.get_by_id(moved.id)
        assert stored.created_at <= stored.updated_at


def test_demo_data_command_fills_an_empty_database_and_refuses_a_second_time(runner):
    result = runner.invoke(args=["demo-data", "--years", "1"])
    assert result.exit_code == 0, result.output
    assert Organization.select().count() == 14
    assert Meeting.select().count() > 12
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code != 0
    assert "enthält bereits Daten" in again.output


def test_demo_data_brings_files_that_download_and_match_their_checksums(app, runner):
    from intranet.attachments.models import Attachment
    from intranet.attachments.services import stored_path
    from intranet.minutes.models import Minutes

    result = runner.invoke(args=["demo-data", "--years", "1"])
    assert result.exit_code == 0, result.output
    files = list(Attachment.select())
    kinds = {f.owner_kind for f in files}
    assert kinds == {"meeting", "minutes"} and f"{len(files)} Dateien" in result.output
    for attachment in files:
        content = stored_path(attachment).read_bytes()
        assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
        assert hashlib.sha256(content).hexdigest() == attachment.sha256
        assert attachment.label != "amber_strict"
        owner = (Meeting if attachment.owner_kind == "meeting" else Minutes).get_by_id(
            attachment.owner_id
        )
        assert owner.label != "amber_strict"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(stored_path(files[0])), "-"], capture_output=True, check=True
        ).stdout.decode()
        assert "Einladung und Tagesordnung" in text


def test_demo_data_refuses_when_an_account_exists(runner, admin):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code != 0 and Meeting.select().count() == 0
