"""Retention of ended memberships (storage limitation, Art. 5(1)(e) DSGVO): after the set period
the person is detached from the membership; role and dates stay for the forum's history."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask import current_app
from peewee import JOIN

from intranet.core import audit
from intranet.core.accounts import Organization
from intranet.directory.models import Membership, Person
from intranet.platform.db import utcnow, write_transaction


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    months = int(current_app.config.get("MEMBERSHIP_RETENTION_MONTHS", 12))
    return (today or dt.date.today()) - relativedelta(months=months)


def expired_memberships(today: dt.date | None = None):
    return (
        Membership.select(Membership, Organization, Person)
        .join(Organization)
        .switch(Membership)
        .join(Person, JOIN.LEFT_OUTER, on=(Membership.person == Person.id))
        .where(
            Membership.person.is_null(False)
            & Membership.end_date.is_null(False)
            & (Membership.end_date < retention_cutoff(today))
        )
        .order_by(Membership.end_date, Membership.id)
    )


def anonymise_expired(today: dt.date | None = None) -> int:
    """Detach the person from every membership past the retention period; keeps role and dates."""
    with write_transaction():
        ids = [m.id for m in expired_memberships(today)]
        if ids:
            Membership.update(person=None, on_behalf_of=None, anonymized_at=utcnow()).where(
                Membership.id.in_(ids)
            ).execute()
        if ids:
            audit.record("membership.anonymised", detail=f"{len(ids)} memberships")
    return len(ids)
