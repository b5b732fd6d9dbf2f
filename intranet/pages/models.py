"""Barrier reports sent from the accessibility statement (§ 12b BGG)."""

from peewee import AutoField, CharField, DateTimeField, TextField

from intranet.db import BaseModel, utcnow


class BarrierReport(BaseModel):
    id = AutoField()
    created_at = DateTimeField(default=utcnow, index=True)
    page = CharField(default="")
    message = TextField()
    contact = CharField(default="")
