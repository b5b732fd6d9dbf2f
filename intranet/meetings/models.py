"""Meetings (OParl Meeting), their series, agenda items, invitations, answers and attendance."""

import uuid

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.auth.tokens import TokenRow
from intranet.core import sharing
from intranet.core.accounts import Account, Organization
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l


class MeetingState(LabelledEnum):
    """The meeting's workflow state: OParl meetingState (the `state` column) and, over it,
    CANCELLED, which is no value of `state` but the `cancelled` flag (meetings/rules.py
    explains why)."""

    PLANNED = "planned", _l("planned")
    INVITED = "invited", _l("invitation sent")
    HELD = "held", _l("held")
    CANCELLED = "cancelled", _l("cancelled")


class InvitationAnswer(LabelledEnum):
    """An answer to an invitation (`Answer.answer`): Zusage, Absage, Vielleicht."""

    YES = "yes", _l("Accepted")
    NO = "no", _l("Declined")
    MAYBE = "maybe", _l("Maybe")


class AttendanceStatus(LabelledEnum):
    """An organisation's attendance (`Attendance.status`)."""

    PRESENT = "present", _l("present")
    EXCUSED = "excused", _l("excused")
    ABSENT = "absent", _l("not represented")


# The members under the names the meetings' modules spell them with.
PLANNED, INVITED, HELD, CANCELLED = MeetingState
STATES = (PLANNED, INVITED, HELD)  # the values of the `state` column
ANSWERS = tuple(InvitationAnswer)
ATTENDANCE = tuple(AttendanceStatus)


def new_uid() -> str:
    # Stable for the life of the meeting: calendar programs match updates by it.
    return f"{uuid.uuid4()}@sicherheitsdialog"


class Series(BaseModel):
    """A rule (RFC 5545 RRULE) that made a set of meetings; each occurrence is its own Meeting
    row, so that one occurrence can be changed or cancelled alone."""

    id = AutoField()
    rrule = CharField()
    # Local (Europe/Berlin) wall-clock start of the first occurrence: the rule repeats the
    # clock time, not the UTC instant, so 18:00 stays 18:00 across daylight saving changes.
    first_start_local = DateTimeField()
    # Markdown that new minutes of the series' meetings start from (fixed sections, say): the
    # general part before the agenda items, which get sections of their own.
    minutes_template = TextField(default="")
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "created_by": _l("Who planned the series (accountability)."),
        "minutes_template": _l("Text template for the minutes of the series; may name persons."),
    }
    NOT_PERSONAL_DATA = ("id", "rrule", "first_start_local", "created_at")


class Meeting(BaseModel):
    id = AutoField()
    uid = CharField(unique=True, default=new_uid)
    series = ForeignKeyField(Series, null=True, backref="meetings", on_delete="SET NULL")
    title = CharField(max_length=300)
    start = DateTimeField(index=True)  # naive UTC
    end = DateTimeField()  # naive UTC
    room = CharField(default="")
    street = CharField(default="")
    postal_code = CharField(default="")
    city = CharField(default="")
    online_url = CharField(default="", max_length=1000)
    description = TextField(default="")  # Markdown, rendered through core.text
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    state = CharField(default=MeetingState.PLANNED)
    cancelled = BooleanField(default=False)
    cancel_reason = TextField(default="")
    label = CharField(default=sharing.DEFAULT, index=True)
    # Chatham House Rule, decided when the meeting is planned: its minutes start under it and
    # exports name no attendees.
    chatham_house = BooleanField(default=False)
    # RFC 5545 SEQUENCE: raised on every change so calendar programs take the update.
    sequence = IntegerField(default=0)
    # Optimistic locking: an edit based on an older version is refused, never overwrites.
    version = IntegerField(default=1)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "created_by": _l("Who planned the meeting (accountability)."),
        "description": _l("Description of the meeting; may name speakers."),
    }
    NOT_PERSONAL_DATA = (
        "id",
        "uid",
        "series",
        "title",
        "start",
        "end",
        "room",
        "street",
        "postal_code",
        "city",
        "online_url",
        "organization",
        "state",
        "cancelled",
        "cancel_reason",
        "label",
        "chatham_house",
        "sequence",
        "version",
        "created_at",
        "updated_at",
    )

    @property
    def workflow_state(self) -> str:
        """What the page and lists show: "cancelled" over the OParl state (see rules.py)."""
        return CANCELLED if self.cancelled else self.state

    @property
    def location_text(self) -> str:
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.room, self.street, place) if p)


class MeetingOrganization(BaseModel):
    """An invited organisation. Invited organisations (and the organiser) are the organisations
    named on the meeting for AMBER and AMBER+STRICT."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="invitations", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE")

    PERSONAL_DATA = {}
    NOT_PERSONAL_DATA = ("id", "meeting", "organization")

    class Meta:
        indexes = ((("meeting", "organization"), True),)


class MeetingPerson(BaseModel):
    """An account named on a RED meeting (the only ones who see it)."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="persons", on_delete="CASCADE")
    account = ForeignKeyField(Account, on_delete="CASCADE")

    PERSONAL_DATA = {"account": _l("Persons named on a TLP:RED meeting: only they see it.")}
    NOT_PERSONAL_DATA = ("id", "meeting")

    class Meta:
        indexes = ((("meeting", "account"), True),)


class AgendaItem(BaseModel):
    """A TOP (OParl AgendaItem)."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="agenda_items", on_delete="CASCADE")
    position = IntegerField()  # OParl "order"; the shown number follows from it
    title = CharField(max_length=300)
    description = TextField(default="")
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    # OParl `public`, kept as a column but no longer set on its own: it always follows the
    # label (TLP:CLEAR = public), so that an item has one confidentiality setting.
    public = BooleanField(default=False)
    label = CharField(default=sharing.DEFAULT)

    PERSONAL_DATA = {"description": _l("Notes on an agenda item; may name speakers.")}
    NOT_PERSONAL_DATA = ("id", "meeting", "position", "title", "organization", "public", "label")

    def save(self, *args, **kwargs):
        self.public = sharing.is_public(self.label)
        return super().save(*args, **kwargs)


class Answer(BaseModel):
    """Zusage / Absage / Vielleicht to an invitation. The account link is dropped when the
    account is erased; `person_label` then holds the pseudonym so the record stays readable."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="answers", on_delete="CASCADE")
    account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    person_label = CharField(default="")
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    answer = CharField()
    answered_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Who answered an invitation, so the organisers can plan."),
        "person_label": _l("Pseudonym that replaces an erased account in kept records."),
        "answer": _l("The answer: yes, no or maybe."),
        "answered_at": _l("When the answer was given."),
    }
    NOT_PERSONAL_DATA = ("id", "meeting", "organization")

    class Meta:
        indexes = ((("meeting", "account"), True),)


class Attendance(BaseModel):
    """Who was there, per organisation: anwesend / entschuldigt / nicht vertreten."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="attendance", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE")
    status = CharField()
    names = TextField(default="")  # optional, free text
    recorded_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    recorded_by_label = CharField(default="")
    recorded_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "names": _l("Optional names of those present, for the record of the meeting."),
        "recorded_by": _l("Who recorded the attendance (accountability)."),
        "recorded_by_label": _l("Name of the recorder, kept if their account is erased."),
    }
    NOT_PERSONAL_DATA = ("id", "meeting", "organization", "status", "recorded_at")

    class Meta:
        indexes = ((("meeting", "organization"), True),)


class FeedToken(TokenRow):
    """The personal calendar feed's secret (see auth.tokens): the owner can see the address on
    /account at any time, yet a copy of the database alone does not open anybody's feed."""

    PERSONAL_DATA = {"account": _l("Owner of the personal calendar feed.")}


MODELS = [
    Series,
    Meeting,
    MeetingOrganization,
    MeetingPerson,
    AgendaItem,
    Answer,
    Attendance,
    FeedToken,
]
