"""Tables shared by all areas: the audit log, the admin's site settings, workflow history."""

from flask_babel import lazy_gettext as _l
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from intranet.auth.models import Account
from intranet.db import BaseModel, utcnow


class AuditEvent(BaseModel):
    """One security-relevant event. Entries form a SHA-256 hash chain (see core.audit)."""

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    # A plain number, not a foreign key: the log outlives erased accounts.
    actor_id = IntegerField(null=True, index=True)
    actor_label = CharField(default="")
    action = CharField(index=True)
    target = CharField(default="")
    detail = TextField(default="")
    address = CharField(default="")
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    # How many times it happened: refused reads are counted per account, item and time window
    # and written as one entry (core.audit.record_refused). Empty for everything else, so that
    # an entry written while the schema predates the column (the backup before `db upgrade`,
    # a restored older archive) does not name it.
    attempts = IntegerField(null=True)

    PERSONAL_DATA = {
        "actor_id": _l("Who did a security-relevant action (accountability, BSI)."),
        "actor_label": _l("Email of the actor at the time, for the audit log."),
        "address": _l("Client address of the action, for the audit log."),
        "target": _l("Which record the action concerned."),
        "detail": _l("What changed, without content of the record."),
        "at": _l("When the action took place."),
    }
    NOT_PERSONAL_DATA = ("id", "action", "prev_hash", "hash", "attempts")


class RefusedRead(BaseModel):
    """Refused reads of one item by one account in one time window, counted here (one row, its
    number raised) until core.audit writes them into the hash chain as one entry."""

    id = AutoField()
    window_start = DateTimeField()
    actor_id = IntegerField()  # a plain number, as in AuditEvent
    actor_label = CharField(default="")
    action = CharField()
    target = CharField()
    detail = TextField(default="")
    address = CharField(default="")
    first_at = DateTimeField()
    attempts = IntegerField(default=1)

    class Meta:
        indexes = ((("actor_id", "target", "window_start"), True),)

    # What the audit entry will hold, for the same purposes.
    PERSONAL_DATA = {
        **{name: purpose for name, purpose in AuditEvent.PERSONAL_DATA.items() if name != "at"},
        "first_at": AuditEvent.PERSONAL_DATA["at"],
    }
    NOT_PERSONAL_DATA = ("id", "window_start", "action", "attempts")


class SiteSetting(BaseModel):
    """A value the admin can change at run time (imprint address, privacy notice, …)."""

    key = CharField(primary_key=True)
    value = TextField(default="")

    PERSONAL_DATA: dict = {}
    NOT_PERSONAL_DATA = ("key", "value")


class WorkflowEvent(BaseModel):
    """One step of a document through its workflow (core.workflow): who moved it, when, from
    which state to which, and why. Shown as the document's timeline."""

    id = AutoField()
    item_kind = CharField(max_length=40)
    item_id = IntegerField()
    actor = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    # The name at the time; after erasure the pseudonym, so the timeline stays readable.
    actor_label = CharField(default="")
    at = DateTimeField(default=utcnow)
    action = CharField(max_length=40)
    from_state = CharField(max_length=40)
    to_state = CharField(max_length=40)
    comment = TextField(default="")

    PERSONAL_DATA = {
        "actor": _l("Who moved a document on in its workflow (accountability)."),
        "actor_label": _l("Name of that person, or the pseudonym after erasure."),
        "comment": _l("Comment given with a workflow step; may name persons."),
    }
    NOT_PERSONAL_DATA = ("id", "item_kind", "item_id", "at", "action", "from_state", "to_state")

    class Meta:
        indexes = ((("item_kind", "item_id", "at"), False),)
