"""Tables shared by all areas: the audit log and the admin's site settings."""

from peewee import AutoField, CharField, DateTimeField, IntegerField, TextField

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


class SiteSetting(BaseModel):
    """A value the admin can change at run time (imprint address, privacy notice, …)."""

    key = CharField(primary_key=True)
    value = TextField(default="")
