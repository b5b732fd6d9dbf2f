"""Minutes (OParl resultsProtocol): the document, its saved versions, sections with decisions
and action items, comments and objections, read confirmations and last visits."""

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.core import sharing
from intranet.core.accounts import Account, Organization
from intranet.meetings.models import AgendaItem, Meeting
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l


class MinutesState(LabelledEnum):
    """`Minutes.state`, in the order of the workflow (minutes.rules.TABLE's columns)."""

    DRAFT = "draft", _l("Draft")
    IN_REVIEW = "in_review", _l("In review")
    CIRCULATING = "circulating", _l("In circulation")
    RELEASED = "released", _l("Released")


class DecisionResult(LabelledEnum):
    """How a decision was taken (OParl AgendaItem.result in words); a majority may carry the
    counts."""

    NOT_STATED = "", _l("not stated")
    UNANIMOUS = "unanimous", _l("unanimous")
    MAJORITY = "majority", _l("by majority")
    CONSENSUS = "consensus", _l("by consensus")
    NOTED = "noted", _l("taken note of")


class ActionState(LabelledEnum):
    """`ActionItem.state`."""

    OPEN = "open", _l("open")
    DONE = "done", _l("done")


class CommentKind(LabelledEnum):
    """`MinutesComment.kind`: a remark, or an objection that blocks the release until answered."""

    COMMENT = "comment", _l("Comment")
    OBJECTION = "objection", _l("Objection")


# The members under the names the minutes' modules spell them with.
DRAFT, IN_REVIEW, CIRCULATING, RELEASED = MinutesState
STATES = tuple(MinutesState)
DECISION_RESULTS = tuple(DecisionResult)
ACTION_STATES = tuple(ActionState)
COMMENT_KINDS = tuple(CommentKind)


class Minutes(BaseModel):
    """One set of minutes of a meeting, or a correction (Berichtigung) of released minutes."""

    id = AutoField()
    meeting = ForeignKeyField(Meeting, backref="minutes", on_delete="CASCADE")
    # "meeting:<id>" for a meeting's minutes, "corrects:<id>" for a correction: the database
    # itself keeps one document per meeting and one correction per released document.
    document_key = CharField(unique=True)
    corrects = ForeignKeyField("self", null=True, backref="corrections", on_delete="SET NULL")
    label = CharField(default=sharing.DEFAULT, index=True)
    chatham_house = BooleanField(default=False)
    state = CharField(default=DRAFT, index=True)
    body = TextField(default="")  # Markdown, rendered through core.text
    # Optimistic locking: a save based on an older version is refused, never overwrites.
    version = IntegerField(default=1)
    objection_deadline = DateTimeField(null=True)  # naive UTC
    # The Niederschrift's frame: who chaired and who took the minutes, when it really began
    # and ended (naive UTC); the place is the meeting's.
    chair = CharField(max_length=200, default="")
    minute_taker = CharField(max_length=200, default="")
    actual_start = DateTimeField(null=True)
    actual_end = DateTimeField(null=True)
    released_at = DateTimeField(null=True)
    released_text = TextField(default="")  # the frozen text the checksum covers
    released_sha256 = CharField(max_length=64, default="")
    # The number to cite, per series (or organiser) and year: "Plenum 2026/07". Corrections
    # carry none of their own; they cite the original's.
    number_key = CharField(default="")
    number_year = IntegerField(null=True)
    number = IntegerField(null=True)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    created_by_label = CharField(default="")
    created_at = DateTimeField(default=utcnow)
    # Last change of text or state: "new since your last visit" compares against it.
    changed_at = DateTimeField(default=utcnow, index=True)

    PERSONAL_DATA = {
        "body": _l("Text of the minutes; names participants and what they said."),
        "chair": _l("Who chaired the meeting."),
        "minute_taker": _l("Who took the minutes."),
        "released_text": _l("Frozen text of released minutes; names participants."),
        "created_by": _l("Who started the minutes (accountability)."),
        "created_by_label": _l("Name of the author, or the pseudonym after erasure."),
    }
    NOT_PERSONAL_DATA = (
        "id",
        "meeting",
        "document_key",
        "corrects",
        "label",
        "chatham_house",
        "state",
        "version",
        "objection_deadline",
        "actual_start",
        "actual_end",
        "released_at",
        "released_sha256",
        "number_key",
        "number_year",
        "number",
        "created_at",
        "changed_at",
    )

    class Meta:
        indexes = ((("number_key", "number_year", "number"), True),)


class MinutesVersion(BaseModel):
    """The whole document as it was saved (text, label, sections with their decisions and
    action items), so that any two can be compared and an older text restored. A version keeps
    the label it was written under: it is shown only within the narrower of that audience and
    today's (see versions.version_audience)."""

    id = AutoField()
    minutes = ForeignKeyField(Minutes, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    body = TextField(default="")
    label = CharField(default=sharing.DEFAULT)
    # JSON: the sections as they were (title, label, organisation, text, decisions, action
    # items); each keeps its own label, so a reader is shown only the sections cleared for them.
    sections = TextField(default="[]")
    author = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    author_label = CharField(default="")
    at = DateTimeField(default=utcnow)
    note = CharField(default="")  # e.g. "restored from version 2"

    PERSONAL_DATA = {
        "body": _l("Earlier text of the minutes; names participants."),
        "sections": _l("Earlier notes on agenda items; may name speakers."),
        "author": _l("Who saved this version (accountability)."),
        "author_label": _l("Name of that person, or the pseudonym after erasure."),
    }
    NOT_PERSONAL_DATA = ("id", "minutes", "number", "label", "at", "note")

    class Meta:
        indexes = ((("minutes", "number"), True),)


class MinutesSection(BaseModel):
    """The minutes of one agenda item (or a free section), with its own, narrower label."""

    id = AutoField()
    minutes = ForeignKeyField(Minutes, backref="sections", on_delete="CASCADE")
    agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete="SET NULL")
    position = IntegerField(default=0)
    title = CharField(max_length=300)
    label = CharField(default=sharing.DEFAULT)
    # Like an agenda item's: AMBER names this organisation and the meeting's organiser.
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    text = TextField(default="")  # Markdown
    # Optimistic locking per item: the editor saves one item at a time, in place.
    version = IntegerField(default=1)

    PERSONAL_DATA = {"text": _l("Notes on an agenda item; may name speakers.")}
    NOT_PERSONAL_DATA = (
        "id",
        "minutes",
        "agenda_item",
        "position",
        "title",
        "label",
        "organization",
        "version",
    )


class Decision(BaseModel):
    """A Beschluss (OParl resolutionText) taken under a section, with how it was taken."""

    id = AutoField()
    section = ForeignKeyField(MinutesSection, backref="decisions", on_delete="CASCADE")
    position = IntegerField(default=0)
    text = TextField()
    result = CharField(default=DecisionResult.NOT_STATED)
    votes_yes = IntegerField(null=True)
    votes_no = IntegerField(null=True)
    votes_abstained = IntegerField(null=True)

    PERSONAL_DATA = {}
    NOT_PERSONAL_DATA = (
        "id",
        "section",
        "position",
        "text",
        "result",
        "votes_yes",
        "votes_no",
        "votes_abstained",
    )


class ActionItem(BaseModel):
    """An Aufgabe: who does what by when; open or done; may be carried into a later agenda."""

    id = AutoField()
    section = ForeignKeyField(MinutesSection, backref="action_items", on_delete="CASCADE")
    text = TextField()
    responsible = CharField(max_length=200, default="")  # an organisation or a person's name
    due_on = DateField(null=True)
    state = CharField(default=ActionState.OPEN, index=True)
    carried_to = ForeignKeyField(AgendaItem, null=True, on_delete="SET NULL")

    PERSONAL_DATA = {"responsible": _l("Who is responsible for an action item; may be a name.")}
    NOT_PERSONAL_DATA = ("id", "section", "text", "due_on", "state", "carried_to")


class MinutesComment(BaseModel):
    """A comment or an objection (Einspruch) during the objection period, on the whole minutes
    or on one section; it is seen only by the audience of what it is about."""

    id = AutoField()
    minutes = ForeignKeyField(Minutes, backref="comments", on_delete="CASCADE")
    # A section's comments go with it: they must never outlive it under the wider audience
    # of the whole minutes (editing.delete_section refuses sections that have comments).
    section = ForeignKeyField(MinutesSection, null=True, backref="comments", on_delete="CASCADE")
    kind = CharField(default=CommentKind.COMMENT)
    text = TextField()
    author = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    author_label = CharField(default="")
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow)
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    resolved_by_label = CharField(default="")
    resolution = TextField(default="")

    PERSONAL_DATA = {
        "text": _l("A participant's comment or objection to the minutes."),
        "author": _l("Who commented or objected."),
        "author_label": _l("Name of that person, or the pseudonym after erasure."),
        "at": _l("When the comment was made."),
        "resolved_by": _l("Who resolved an objection (accountability)."),
        "resolved_by_label": _l("Name of that person, or the pseudonym after erasure."),
        "resolution": _l("How an objection was resolved; may name persons."),
    }
    NOT_PERSONAL_DATA = ("id", "minutes", "section", "kind", "organization", "resolved_at")


class ReadConfirmation(BaseModel):
    """ "Zur Kenntnis genommen": once per released document and account."""

    id = AutoField()
    minutes = ForeignKeyField(Minutes, backref="confirmations", on_delete="CASCADE")
    account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    account_label = CharField(default="")
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Who confirmed having read released minutes."),
        "account_label": _l("Name of that person, or the pseudonym after erasure."),
        "at": _l("When the reading was confirmed."),
    }
    NOT_PERSONAL_DATA = ("id", "minutes", "organization")

    class Meta:
        indexes = ((("minutes", "account"), True),)


class Signoff(BaseModel):
    """An invited organisation's consent (Zustimmung) to circulating minutes, given by one of its
    members. At the deadline, an organisation that neither consented nor objected is counted as
    consenting (silent consent); an objection is a MinutesComment of kind "objection"."""

    id = AutoField()
    minutes = ForeignKeyField(Minutes, backref="signoffs", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE")
    account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    account_label = CharField(default="")
    at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Who gave an organisation's consent to minutes (accountability)."),
        "account_label": _l("Name of that person, or the pseudonym after erasure."),
    }
    NOT_PERSONAL_DATA = ("id", "minutes", "organization", "at")

    class Meta:
        indexes = ((("minutes", "organization"), True),)


class MinutesVisit(BaseModel):
    """When an account opened a set of minutes, first after its latest change: lists mark what
    changed since. Opening them again writes nothing (minutes.archive.mark_seen)."""

    id = AutoField()
    account = ForeignKeyField(Account, on_delete="CASCADE")
    minutes = ForeignKeyField(Minutes, on_delete="CASCADE")
    seen_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Whose last visit is noted, to mark what is new for them."),
        "seen_at": _l("When that person first opened the minutes after their latest change."),
    }
    NOT_PERSONAL_DATA = ("id", "minutes")

    class Meta:
        indexes = ((("account", "minutes"), True),)


MODELS = [
    Minutes,
    MinutesVersion,
    MinutesSection,
    Decision,
    ActionItem,
    MinutesComment,
    ReadConfirmation,
    Signoff,
    MinutesVisit,
]
