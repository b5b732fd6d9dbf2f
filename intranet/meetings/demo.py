"""Demo meetings: a plenary series on the 3rd Wednesday, a quarterly working group, one-off
talks, agendas, answers and attendance — the same result for the same random generator."""

import datetime as dt
import random

from intranet.core import sharing, times
from intranet.core.accounts import Account, Organization
from intranet.meetings import recurrence
from intranet.meetings.models import (
    ANSWERS,
    ATTENDANCE,
    AgendaItem,
    Answer,
    Attendance,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    MeetingState,
    Series,
)
from intranet.platform.db import db, utcnow

PLENARY_ITEMS = [
    "Begrüßung und Feststellung der Tagesordnung",
    "Lagebild der Polizeidirektion",
    "Berichte aus den Gemeinden",
    "Prävention an Schulen und in der Jugendarbeit",
    "Sicherheit bei Festen und Freitagsgebeten",
    "Umgang mit Hassbotschaften im Netz",
    "Veranstaltungen im nächsten Quartal",
    "Verschiedenes",
]
GROUP_ITEMS = [
    "Fallbesprechung (anonymisiert)",
    "Fortbildungsangebote der Beratungsstelle",
    "Abstimmung der Ansprechpersonen",
    "Auswertung der letzten Veranstaltung",
]
TALK_TOPICS = [
    "Fachgespräch Jugendschutz",
    "Austausch zur Moscheesicherheit",
    "Vorbereitung Tag der offenen Moschee",
    "Runder Tisch Integration",
    "Informationsabend Radikalisierungsprävention",
    "Gespräch mit dem Ordnungsamt",
]
ROOMS = [
    ("Großer Saal, Rathaus", "Dr.-Külz-Ring 19", "01067"),
    ("Beratungsraum 2, KORA", "Wilhelm-Buck-Straße 2", "01097"),
    ("Gemeindesaal", "Hühndorfer Straße 14", "01157"),
]


# When the demo's summer cancellations were decided, and when the next plenary was moved.
PLANNED_AGO = dt.timedelta(days=60)
MOVED_AGO = dt.timedelta(days=3)


def _uid(rng: random.Random) -> str:
    # From the generator, not uuid4, so that two runs with the same seed agree entirely.
    return f"{rng.getrandbits(128):032x}@sicherheitsdialog"


def _by_short(organizations, short: str):
    return next((o for o in organizations if o.short_name == short), organizations[0])


def _make(rng, title, local_start, hours, organizer, label, series=None, room=None, now=None):
    start = times.to_utc(local_start, shift_gap=True)
    end = times.to_utc(local_start + dt.timedelta(hours=hours), shift_gap=True)
    place = room or rng.choice(ROOMS)
    if end < now:
        state = MeetingState.HELD
    elif start < now + dt.timedelta(days=60):
        state = MeetingState.INVITED
    else:
        state = MeetingState.PLANNED
    return Meeting.create(
        uid=_uid(rng),
        series=series,
        title=title,
        start=start,
        end=end,
        room=place[0],
        street=place[1],
        postal_code=place[2],
        city="Dresden",
        description="Bitte melden Sie sich über *Zusage* oder *Absage* zurück.",
        organization=organizer,
        state=state,
        label=label,
        created_at=now,
        updated_at=now,
    )


def _fill(rng, meeting, invited, accounts, items, now, person_ids=()):
    MeetingOrganization.insert_many(
        [{"meeting": meeting.id, "organization": o.id} for o in invited]
    ).execute()
    if person_ids:
        MeetingPerson.insert_many(
            [{"meeting": meeting.id, "account": a} for a in person_ids]
        ).execute()
    chosen = [items[0], *rng.sample(items[1:-1], k=min(3, len(items) - 2)), items[-1]]
    AgendaItem.insert_many(
        [
            {
                "meeting": meeting.id,
                "position": n,
                "title": title,
                "organization": rng.choice(invited).id if invited and 1 < n < len(chosen) else None,
                "public": sharing.is_public(meeting.label),
                "label": meeting.label,
            }
            for n, title in enumerate(chosen, 1)
        ]
    ).execute()
    if meeting.cancelled:
        return
    named = {o.id for o in invited} | {meeting.organization_id}
    concerned = [
        a
        for a in accounts
        if (a.id in person_ids) or (not person_ids and a.organization_id in named)
    ]
    if meeting.state in (MeetingState.INVITED, MeetingState.HELD):
        answers = [
            {
                "meeting": meeting.id,
                "account": a.id,
                "person_label": a.display_name,
                "organization": a.organization_id,
                "answer": rng.choices(ANSWERS, weights=(7, 2, 1))[0],
                "answered_at": now,
            }
            for a in concerned
            if rng.random() < 0.8
        ]
        if answers:
            Answer.insert_many(answers).execute()
    if meeting.state == MeetingState.HELD:
        Attendance.insert_many(
            [
                {
                    "meeting": meeting.id,
                    "organization": org_id,
                    "status": rng.choices(ATTENDANCE, weights=(8, 2, 1))[0],
                    "names": "",
                    "recorded_by_label": "Demo",
                    "recorded_at": now,
                }
                for org_id in sorted(named)
            ]
        ).execute()


def populate(
    organizations: list[Organization],
    accounts: list[Account],
    years: int = 1,
    scale: int = 1,
    rng: random.Random | None = None,
    today: dt.date | None = None,
) -> list[Meeting]:
    """Create `years` of meetings around `today` (half before, half after) and return them."""
    rng = rng or random.Random(2027)
    today = today or times.to_local(utcnow()).date()
    now = times.to_utc(dt.datetime.combine(today, dt.time(12, 0)))
    kora = _by_short(organizations, "KORA")
    police = _by_short(organizations, "PD Dresden")
    city = _by_short(organizations, "Integrationsbeauftragte")
    associations = [o for o in organizations if o not in (kora, police, city)]
    # Half of the time lies behind (held meetings with attendance), half ahead.
    first = _shift(today.replace(day=1), -(12 * years // 2))
    made: list[Meeting] = []
    with db.atomic():
        for year in range(years):
            # One plenary series per year: every 3rd Wednesday, 18:00 local time.
            year_start = _shift(first, 12 * year)
            day = year_start + dt.timedelta(days=(2 - year_start.weekday()) % 7 + 14)
            first_local = dt.datetime.combine(day, dt.time(18, 0))
            until = _shift(year_start, 12) - dt.timedelta(days=1)
            rule = recurrence.build_rule("monthly_weekday", first_local, until)
            series = Series.create(rrule=rule, first_start_local=first_local, created_at=now)
            plenaries = []
            for local in recurrence.occurrences(rule, first_local):
                meeting = _make(
                    rng, "Sicherheitsdialog – Plenum", local, 2, kora, sharing.GREEN,
                    series=series, room=ROOMS[0], now=now,
                )  # fmt: skip
                plenaries.append(meeting)
            # One occurrence is cancelled: the one in August (summer break), or the 8th.
            summer = next((m for m in plenaries if times.to_local(m.start).month == 8), None)
            cancelled = summer or plenaries[min(7, len(plenaries) - 1)]
            cancelled.cancelled = True
            cancelled.cancel_reason = "Sommerpause: Das Plenum entfällt in diesem Monat."
            cancelled.sequence = 1
            # Decided when the year was planned, not today: a cancellation stamped today
            # would fill "recently changed" on the start page with every year ahead.
            cancelled.updated_at = min(now, cancelled.start) - PLANNED_AGO
            cancelled.created_at = min(cancelled.created_at, cancelled.updated_at)
            cancelled.save()
            for meeting in plenaries:
                _fill(rng, meeting, organizations, accounts, PLENARY_ITEMS, now)
            made += plenaries

            # A quarterly working group, shared only with its organisations (TLP:AMBER).
            group = [kora, police, city, *rng.sample(associations, k=min(2, len(associations)))]
            day = year_start + dt.timedelta(days=(1 - year_start.weekday()) % 7)
            local = dt.datetime.combine(day, dt.time(10, 0))
            rule = recurrence.build_rule("quarterly_weekday", local, until)
            series = Series.create(rrule=rule, first_start_local=local, created_at=now)
            for occurrence in recurrence.occurrences(rule, local):
                meeting = _make(
                    rng, "AG Prävention", occurrence, 2, kora, sharing.AMBER,
                    series=series, room=ROOMS[1], now=now,
                )  # fmt: skip
                _fill(rng, meeting, group, accounts, GROUP_ITEMS, now)
                made.append(meeting)

            # One-off talks; --scale multiplies them for load tests.
            for _n in range(6 * scale):
                day = year_start + dt.timedelta(days=rng.randrange(0, 365))
                local = dt.datetime.combine(day, dt.time(rng.choice((9, 10, 14, 16, 17)), 0))
                host = rng.choice([kora, police, city])
                label = rng.choices(
                    (sharing.GREEN, sharing.CLEAR, sharing.AMBER, sharing.AMBER_STRICT),
                    weights=(5, 1, 3, 1),
                )[0]
                meeting = _make(rng, rng.choice(TALK_TOPICS), local, 1.5, host, label, now=now)
                invited = rng.sample(associations, k=min(3, len(associations)))
                _fill(rng, meeting, invited, accounts, PLENARY_ITEMS, now)
                made.append(meeting)

        # One confidential meeting, only for the persons named on it (TLP:RED).
        named = [a.id for a in accounts if a.organization_id in (kora.id, police.id)][:3]
        if named:
            local = dt.datetime.combine(today + dt.timedelta(days=10), dt.time(8, 0))
            meeting = _make(
                rng,
                "Vertrauliche Lagebesprechung",
                local,
                1,
                police,
                sharing.RED,
                room=ROOMS[1],
                now=now,
            )
            _fill(rng, meeting, [], accounts, GROUP_ITEMS, now, person_ids=named)
            made.append(meeting)
        _move_next_plenary(made, now, today)
    return made


def _move_next_plenary(made: list[Meeting], now: dt.datetime, today: dt.date) -> None:
    """The next plenary after today moved to another room a few days ago: whatever the size
    of the demo, the start page shows one recent change (the whole day the demo is made, even
    on a plenary's evening)."""
    ahead = [
        m
        for m in made
        if "Plenum" in m.title and times.to_local(m.start).date() > today and not m.cancelled
    ]
    plenary = min(ahead, key=lambda m: m.start, default=None)
    if plenary is None:
        return
    plenary.room, plenary.street, plenary.postal_code = ROOMS[2]
    plenary.sequence += 1
    plenary.version += 1
    plenary.updated_at = now - MOVED_AGO
    plenary.created_at = min(plenary.created_at, now - PLANNED_AGO)
    plenary.save()


def _shift(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
