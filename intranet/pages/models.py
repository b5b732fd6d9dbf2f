"""Barrier reports sent from the accessibility statement (§ 12b BGG)."""

from peewee import AutoField, CharField, DateTimeField, TextField

from intranet.platform.db import BaseModel, utcnow
from intranet.platform.i18n import lazy_gettext as _l


class BarrierReport(BaseModel):
    id = AutoField()
    created_at = DateTimeField(default=utcnow, index=True)
    page = CharField(default="")
    message = TextField()
    contact = CharField(default="")

    PERSONAL_DATA = {
        "contact": _l("Optional contact of a person reporting a barrier, to answer them."),
        "message": _l("The report, which may mention the reporter."),
    }
    NOT_PERSONAL_DATA = ("id", "created_at", "page")
