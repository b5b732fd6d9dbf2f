"""Test data: organisations and accounts, made through the same services the app uses."""

import itertools

from intranet.auth.models import Account, Organization
from intranet.auth.passwords import hash_password

PASSWORD = "lange Passphrase aus vielen Wörtern"
_counter = itertools.count(1)


def organization(name=None, **fields) -> Organization:
    number = next(_counter)
    return Organization.create(
        name=name or f"Verein Nummer {number}",
        short_name=fields.pop("short_name", f"V{number}"),
        **fields,
    )


def account(role="member", organization=None, email=None, password=PASSWORD, **fields) -> Account:
    number = next(_counter)
    return Account.create(
        email=email or f"person{number}@example.org",
        display_name=fields.pop("display_name", f"Person {number}"),
        role=role,
        organization=organization,
        password_hash=hash_password(password),
        **fields,
    )


def meeting(title="Sitzung", label="green", organization=None, invited=(), persons=(), **fields):
    """A meeting three days ahead (unless `start` is given), with invited orgs and named persons."""
    import datetime as dt

    from intranet.db import utcnow
    from intranet.meetings.models import Meeting, MeetingOrganization, MeetingPerson

    start = fields.pop("start", utcnow().replace(microsecond=0) + dt.timedelta(days=3))
    made = Meeting.create(
        title=title,
        start=start,
        end=fields.pop("end", start + dt.timedelta(hours=2)),
        label=label,
        organization=organization,
        **fields,
    )
    for org in invited:
        MeetingOrganization.create(meeting=made, organization=org)
    for person in persons:
        MeetingPerson.create(meeting=made, account=person)
    return made


def minutes(meeting, state="draft", label=None, body="Protokolltext", **fields):
    """Minutes of `meeting` put directly into `state` (the workflow itself is tested apart)."""
    from intranet.minutes.models import Minutes

    return Minutes.create(
        meeting=meeting,
        document_key=fields.pop("document_key", f"meeting:{meeting.id}"),
        state=state,
        label=label or meeting.label,
        body=body,
        **fields,
    )
