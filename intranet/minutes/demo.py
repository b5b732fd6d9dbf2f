"""Demo minutes for the held meetings: every workflow state (some waiting for the police
liaison's review), labels from CLEAR to RED, sections with decisions and action items,
comments, read confirmations and one correction — the same result for the same generator."""

import datetime as dt
import hashlib
import random

from intranet.core import sharing, times
from intranet.core.accounts import Role
from intranet.core.ids import ref
from intranet.core.models import WorkflowEvent
from intranet.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    MeetingState,
)
from intranet.minutes import numbering
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.models import (
    CIRCULATING,
    DRAFT,
    IN_REVIEW,
    RELEASED,
    ActionItem,
    ActionState,
    CommentKind,
    Decision,
    DecisionResult,
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
    ReadConfirmation,
    Signoff,
)
from intranet.platform.db import db, utcnow

NOTES = [
    "Die Polizeidirektion berichtet von einer ruhigen Lage; Vorfälle wurden angezeigt und verfolgt.",
    "Die Vereine schildern ihre Erfahrungen; Ansprechpersonen sind allen bekannt.",
    "Die Beratungsstelle stellt ihr Angebot vor und bittet um Rückmeldungen.",
    "Es wird vereinbart, die Zusammenarbeit bei Veranstaltungen fortzusetzen.",
]
DECISIONS = [
    "Das Lagebild wird künftig vierteljährlich vorgestellt.",
    "Die Ansprechpersonenliste wird bis zur nächsten Sitzung aktualisiert.",
    "Der Tag der offenen Moschee wird gemeinsam beworben.",
    "Eine Fortbildung zu Hassbotschaften im Netz wird organisiert.",
]
TASKS = [
    ("Termine mit Schulen abstimmen", "KORA"),
    ("Einladung an die Gemeinden versenden", "Integrationsbeauftragte"),
    ("Sicherheitskonzept für das Fest abstimmen", "PD Dresden"),
    ("Rückmeldungen der Vereine sammeln", "Forum Dialog"),
]


# The most recent minutes are still on their way (two wait for the police liaison's review);
# everything older is released.
RECENT_STATES = (DRAFT, IN_REVIEW, IN_REVIEW, CIRCULATING, CIRCULATING)


RESULTS = (
    DecisionResult.UNANIMOUS,
    DecisionResult.UNANIMOUS,
    DecisionResult.CONSENSUS,
    DecisionResult.MAJORITY,
    DecisionResult.NOTED,
)


def _body(meeting, items) -> str:
    """Like the editor's first text: the agenda (the attendance is listed from its record)."""
    lines = ["### Tagesordnung", ""]
    lines += [f"- TOP {n}: {i.title}" for n, i in enumerate(items, 1)]
    return "\n".join(lines) + "\n"


def populate(meetings, accounts, rng: random.Random | None = None, today=None) -> list[Minutes]:
    """Minutes for the held, not cancelled meetings among `meetings` (as of `today`)."""
    rng = rng or random.Random(2027)
    now = utcnow() if today is None else times.to_utc(dt.datetime.combine(today, dt.time(12)))
    coordinator = next((a for a in accounts if a.role == Role.COORDINATOR), None)
    reviewer = next((a for a in accounts if a.role == Role.REVIEWER), None)
    if coordinator is None or reviewer is None:
        return []
    held = [m for m in meetings if m.state == MeetingState.HELD and not m.cancelled]
    made = []
    with db.atomic():
        held += _confidential_meeting(held, accounts, now)
        if not held:
            return []
        ids = [m.id for m in held]
        agenda = {}
        for item in (
            AgendaItem.select().where(AgendaItem.meeting.in_(ids)).order_by(AgendaItem.position)
        ):
            agenda.setdefault(item.meeting_id, []).append(item)
        readers = [a for a in accounts if a.role != Role.ADMIN]
        newest_first = sorted(held, key=lambda m: m.end, reverse=True)
        rank = {m.id: n for n, m in enumerate(newest_first)}
        invited = {}
        for link in MeetingOrganization.select().where(MeetingOrganization.meeting.in_(ids)):
            invited.setdefault(link.meeting_id, []).append(link.organization_id)
        counters = {}
        for meeting in sorted(held, key=lambda m: (m.start, m.id)):
            n = rank[meeting.id]
            state = RECENT_STATES[n] if n < len(RECENT_STATES) else RELEASED
            key, year = numbering.number_key(meeting), times.to_local(meeting.start).year
            counters[(key, year)] = counters.get((key, year), 0) + 1
            number = (key, year, counters[(key, year)])
            minutes = _minutes(meeting, agenda.get(meeting.id, []), number, state, coordinator,
                               reviewer, rng)  # fmt: skip
            made.append(minutes)
            if state in (CIRCULATING, RELEASED):
                organizations = {meeting.organization_id, *invited.get(meeting.id, [])} - {None}
                _signoffs(minutes, organizations, readers, rng)
            if state == RELEASED:
                _confirmations(minutes, meeting, readers, rng)
            if state == CIRCULATING and rng.random() < 0.4:
                member = rng.choice([a for a in readers if a.role == Role.MEMBER] or readers)
                MinutesComment.create(
                    minutes=minutes, kind=CommentKind.COMMENT,
                    text="Danke für das ausführliche Protokoll.",
                    author=member, author_label=member.display_name,
                    organization=member.organization_id, at=minutes.changed_at,
                )  # fmt: skip
        released = [m for m in made if m.state == RELEASED and m.label == sharing.GREEN]
        if released:
            made.append(_correction(released[-1], coordinator, now))
    return made


def _confidential_meeting(held, accounts, now) -> list[Meeting]:
    """A past TLP:RED talk, so that confidential minutes exist too."""
    named = [a for a in accounts if a.role in (Role.COORDINATOR, Role.REVIEWER)]
    if not named:
        return []
    start = times.to_utc(
        dt.datetime.combine(times.to_local(now).date() - dt.timedelta(days=60), dt.time(8, 0))
    )
    meeting = Meeting.create(
        uid=f"demo-red-{start:%Y%m%d}@sicherheitsdialog",
        title="Vertrauliche Nachbesprechung",
        start=start,
        end=start + dt.timedelta(hours=1),
        organization=named[-1].organization_id,
        state=MeetingState.HELD,
        label=sharing.RED,
        created_at=now,
        updated_at=now,
    )
    MeetingPerson.insert_many([{"meeting": meeting.id, "account": a.id} for a in named]).execute()
    AgendaItem.create(
        meeting=meeting, position=1, title="Auswertung eines Vorfalls", label=sharing.RED
    )
    return [meeting]


def _minutes(meeting, items, number, state, coordinator, reviewer, rng) -> Minutes:
    # Labels from CLEAR to RED: the meeting's label, sometimes a narrower one for the minutes.
    label = meeting.label
    if label == sharing.GREEN and meeting.organization_id and rng.random() < 0.1:
        label = sharing.AMBER
    at = meeting.end + dt.timedelta(days=2)
    key, year, count = number
    minutes = Minutes.create(
        meeting=meeting, document_key=ref("meeting", meeting.id), label=label,
        chatham_house=meeting.chatham_house or meeting.label == sharing.AMBER_STRICT, state=state,
        body=_body(meeting, items), created_by=coordinator,
        created_by_label=coordinator.display_name, created_at=at, changed_at=at,
        number_key=key, number_year=year, number=count, chair=coordinator.display_name,
        minute_taker=reviewer.display_name if rng.random() < 0.2 else coordinator.display_name,
        actual_start=meeting.start + dt.timedelta(minutes=rng.choice((0, 5, 10))),
        actual_end=meeting.end - dt.timedelta(minutes=rng.choice((0, 15, 20))),
    )  # fmt: skip
    MinutesVersion.create(
        minutes=minutes, number=1, body=minutes.body, label=label, author=coordinator,
        author_label=coordinator.display_name, at=at,
    )  # fmt: skip
    for n, item in enumerate(items, 1):
        section = MinutesSection.create(
            minutes=minutes, agenda_item=item.id, position=n, title=f"TOP {n}: {item.title}",
            label=item.label, organization=item.organization_id, text=rng.choice(NOTES),
        )  # fmt: skip
        if 1 < n < len(items) and rng.random() < 0.6:
            result = rng.choice(RESULTS)
            votes = (rng.randint(8, 14), rng.randint(0, 3), rng.randint(0, 2))
            Decision.create(
                section=section, position=1, text=rng.choice(DECISIONS), result=result,
                **dict(zip(("votes_yes", "votes_no", "votes_abstained"), votes, strict=True))
                if result == DecisionResult.MAJORITY else {},
            )  # fmt: skip
        if 1 < n < len(items) and rng.random() < 0.4:
            text, who = rng.choice(TASKS)
            ActionItem.create(
                section=section, text=text, responsible=who,
                due_on=(at + dt.timedelta(days=rng.choice((14, 30, 60)))).date(),
                state=ActionState.DONE
                if state == RELEASED and rng.random() < 0.7 else ActionState.OPEN,
            )  # fmt: skip
    steps = {
        DRAFT: [],
        IN_REVIEW: ["submit"],
        CIRCULATING: ["submit", "approve"],
        RELEASED: ["submit", "approve", "release"],
    }[state]
    path = {"submit": (DRAFT, IN_REVIEW), "approve": (IN_REVIEW, CIRCULATING),
            "release": (CIRCULATING, RELEASED)}  # fmt: skip
    events = [_event(minutes, coordinator, "start", DRAFT, DRAFT, at)]
    when = at
    for step in steps:
        when += dt.timedelta(days=1 if step != "release" else 15)
        actor = reviewer if step == "approve" else coordinator
        events.append(_event(minutes, actor, step, *path[step], when))
    WorkflowEvent.insert_many(events).execute()
    changes = {Minutes.changed_at: when}
    if state in (CIRCULATING, RELEASED):
        approved = at + dt.timedelta(days=2)
        changes[Minutes.objection_deadline] = approved + dt.timedelta(days=14)
    if state == RELEASED:
        text = minutes_workflow.canonical_text(minutes)
        changes.update({
            Minutes.released_at: when,
            Minutes.released_text: text,
            Minutes.released_sha256: hashlib.sha256(text.encode("utf-8")).hexdigest(),
        })  # fmt: skip
    Minutes.update(changes).where(Minutes.id == minutes.id).execute()
    return Minutes.get_by_id(minutes.id)


def _event(minutes, actor, action, source, target, at):
    return {
        "item_kind": "minutes", "item_id": minutes.id, "actor": actor.id,
        "actor_label": actor.display_name, "at": at, "action": action, "from_state": source,
        "to_state": target, "comment": "",
    }  # fmt: skip


def _signoffs(minutes, organizations, readers, rng):
    """Consent from some of the meeting's organisations; the others stay silent (and so consent
    when the period ends)."""
    rows = []
    for organization_id in sorted(organizations):
        members = [a for a in readers if a.organization_id == organization_id]
        if members and rng.random() < 0.6:
            who = rng.choice(members)
            rows.append({
                "minutes": minutes.id, "organization": organization_id, "account": who.id,
                "account_label": who.display_name, "at": minutes.changed_at,
            })  # fmt: skip
    if rows:
        Signoff.insert_many(rows).execute()


def _confirmations(minutes, meeting, readers, rng):
    rows = [
        {
            "minutes": minutes.id,
            "account": a.id,
            "account_label": a.display_name,
            "organization": a.organization_id,
            "at": minutes.released_at,
        }  # fmt: skip
        for a in readers
        if rng.random() < 0.5
    ]
    if rows:
        ReadConfirmation.insert_many(rows).execute()


def _correction(original, coordinator, now) -> Minutes:
    """A correction of released minutes, waiting for the police liaison's review."""
    at = min(original.released_at + dt.timedelta(days=3), now)
    body = (
        original.body + "\n### Berichtigung\n\nDie Anwesenheit war unvollständig wiedergegeben.\n"
    )
    correction = Minutes.create(
        meeting=original.meeting_id, document_key=f"corrects:{original.id}", corrects=original.id,
        label=original.label, state=IN_REVIEW, body=body, created_by=coordinator,
        created_by_label=coordinator.display_name, created_at=at, changed_at=at,
    )  # fmt: skip
    MinutesVersion.create(
        minutes=correction, number=1, body=body, label=original.label, author=coordinator,
        author_label=coordinator.display_name, at=at,
    )  # fmt: skip
    WorkflowEvent.insert_many(
        [
            _event(correction, coordinator, "start_correction", DRAFT, DRAFT, at),
            _event(correction, coordinator, "submit", DRAFT, IN_REVIEW, at),
        ]
    ).execute()
    return correction
