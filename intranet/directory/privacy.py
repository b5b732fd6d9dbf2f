"""DSGVO duties: access export (Art. 15), erasure (Art. 17), the record of processing (Art. 30)
and the retention of ended memberships.

Other areas contribute without being imported here: they connect to `personal_data_export`
(return a dict of sections for the export) and to `intranet.core.signals.account_erasing`
(replace the account by the pseudonym in records that must be kept).
"""

import datetime as dt
import hashlib
import hmac

from blinker import Namespace
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from intranet.auth.models import Account, LoginFailure, Organization, SetupToken
from intranet.core import audit
from intranet.core.models import AuditEvent, SiteSetting
from intranet.core.signals import account_erasing
from intranet.db import utcnow, write_transaction
from intranet.directory import search_provider
from intranet.directory.models import Membership, Person
from intranet.directory.visibility import DataSubject, can_see
from intranet.pages.models import BarrierReport

_signals = Namespace()
# Sent with sender=Person|None, account=Account|None and viewer=the account that makes the export;
# each receiver returns {section: data} and writes about labelled items through `labelled_entry`.
personal_data_export = _signals.signal("personal-data-export")

WITHHELD = _l(
    "Only number, date and sharing label: the account that made this export may not see this "
    "item. The person can read the rest when signed in to the intranet."
)


def labelled_entry(visible: bool, summary: dict, details: dict) -> dict:
    """An export entry about an item with a sharing label (a meeting, minutes, …).

    The export is made by an admin, who gets no access through the role: an item the admin may
    not see (by the item's own sharing rule, as the admin's account) is listed with its
    `summary` only (id, date, label) and a note; `details` (title and the like) only when visible.
    """
    if visible:
        return {**summary, **details}
    return {**summary, "note": str(WITHHELD)}


# --- Art. 30: what is stored and why ---------------------------------------------------------------

# Descriptions for the tables of the foundation; the directory's own models carry theirs as
# PERSONAL_DATA / NOT_PERSONAL_DATA, and so should every later model that holds personal data.
FOUNDATION = {
    Organization: (
        {
            "phone": _l(
                "General phone of the organisation; personal only if it is someone's line."
            ),
            "email": _l(
                "General email of the organisation; personal only if it is someone's address."
            ),
        },
        (
            "id",
            "name",
            "short_name",
            "kind",
            "status",
            "joined_on",
            "website",
            "address",
            "created_at",
        ),
    ),
    Account: (
        {
            "email": _l("Sign-in name and address for notices."),
            "display_name": _l("Shown to others in the intranet."),
            "organization": _l("Decides what the account may see."),
            "role": _l("Decides what the account may do."),
            "password_hash": _l("Argon2 hash of the password, to check the sign-in."),
            "last_login_at": _l("Security: to spot unused or misused accounts."),
            "created_at": _l("Accountability: when the account was made."),
            "password_changed_at": _l("Security: password age."),
            "active": _l("Whether the account may sign in."),
        },
        ("id", "session_version"),
    ),
    LoginFailure: (
        {
            "email": _l("Throttling of failed sign-ins (BSI); deleted after the window."),
            "address": _l("Throttling of failed sign-ins per client address (BSI)."),
            "at": _l("Time of the failed sign-in, for throttling."),
        },
        ("id",),
    ),
    AuditEvent: (
        {
            "actor_id": _l("Who did a security-relevant action (accountability, BSI)."),
            "actor_label": _l("Email of the actor at the time, for the audit log."),
            "address": _l("Client address of the action, for the audit log."),
            "target": _l("Which record the action concerned."),
            "detail": _l("What changed, without content of the record."),
            "at": _l("When the action took place."),
        },
        ("id", "action", "prev_hash", "hash"),
    ),
    BarrierReport: (
        {
            "contact": _l("Optional contact of a person reporting a barrier, to answer them."),
            "message": _l("The report, which may mention the reporter."),
        },
        ("id", "created_at", "page"),
    ),
    SetupToken: ({}, ("token_hash", "created_at")),
    SiteSetting: ({}, ("key", "value")),
}


def declarations(model) -> tuple[dict, tuple]:
    """(personal fields → purpose, fields that hold no personal data) for a model."""
    if model in FOUNDATION:
        return FOUNDATION[model]
    return getattr(model, "PERSONAL_DATA", None), getattr(model, "NOT_PERSONAL_DATA", None)


def record_of_processing() -> list[dict]:
    """One entry per table that holds personal data, built from the models themselves."""
    from intranet.models import MODELS

    entries = []
    for model in MODELS:
        personal, _plain = declarations(model)
        if not personal:
            continue
        fields = model._meta.fields
        entries.append(
            {
                "table": model._meta.table_name,
                "model": model.__name__,
                "fields": [
                    {"name": name, "column": fields[name].column_name, "purpose": purpose}
                    for name, purpose in personal.items()
                    if name in fields
                ],
            }
        )
    return entries


# --- Art. 15: everything about one person ------------------------------------------------------------


def _iso(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def person_record(person: Person) -> dict:
    """The entry as its subject sees it (every field), through the one visibility rule."""
    subject = DataSubject(person)
    fields = person._meta.fields
    data = {"id": person.id}
    for name in fields:
        if name in ("id", "search_key", "sort_key") or not can_see(subject, person, name):
            continue
        field = fields[name]
        value = getattr(person, field.name + ("_id" if hasattr(field, "rel_model") else ""), None)
        if name == "organization":
            value = person.organization.name
        data[name] = _iso(value)
    return data


def access_export(
    person: Person | None, account: Account | None = None, viewer: Account | None = None
) -> dict:
    """Everything stored about a person: from their directory entry (and its account), or
    from an account that has no entry (`person=None`). `viewer` is the account making the
    export: items it may not see are listed without their content (`labelled_entry`)."""
    if person is not None:
        account = person.account if person.account_id else None
    memberships = (
        Membership.select(Membership, Organization)
        .join(Organization)
        .where((Membership.person == person) | (Membership.on_behalf_of == person))
        .order_by(Membership.start_date)
        if person is not None
        else []
    )
    targets = [f"person:{person.id}"] if person is not None else []
    condition = AuditEvent.target.in_(targets)
    if account is not None:
        targets.append(f"account:{account.id}")
        condition = AuditEvent.target.in_(targets) | (AuditEvent.actor_id == account.id)
    events = AuditEvent.select().where(condition).order_by(AuditEvent.id)
    export = {
        "generated_at": utcnow().isoformat() + "Z",
        "legal_basis": "Art. 15 DSGVO",
        "contact_entry": person_record(person) if person is not None else None,
        "memberships": [
            {
                "organization": m.organization.name,
                "role": m.role,
                "start_date": _iso(m.start_date),
                "end_date": _iso(m.end_date),
                "deputy_for_person_id": m.on_behalf_of_id,
                "as_deputy_of_this_person": m.person_id != person.id,
            }
            for m in memberships
        ],
        "account": None,
        "audit_entries": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
                "by_this_person": account is not None and e.actor_id == account.id,
                "address": e.address if account is not None and e.actor_id == account.id else "",
            }
            for e in events
        ],
    }
    if account is not None:
        export["account"] = {
            "email": account.email,
            "display_name": account.display_name,
            "role": account.role,
            "organization": account.organization.name if account.organization_id else None,
            "active": account.active,
            "created_at": _iso(account.created_at),
            "last_login_at": _iso(account.last_login_at),
            "password_changed_at": _iso(account.password_changed_at),
        }
    # Attendance records and the like come from the areas that keep them.
    for _receiver, sections in personal_data_export.send(person, account=account, viewer=viewer):
        if sections:
            export.update(sections)
    return export


# --- Art. 17: erasure -------------------------------------------------------------------------------


def pseudonym(account_id: int) -> str:
    """A stable label that does not reveal the person: the same account always gets the same one."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"account:{account_id}".encode(), hashlib.sha256).hexdigest()
    return f"Person {digest[:6].upper()}"


def erase(
    person: Person | None, erase_account: bool = True, account: Account | None = None
) -> str | None:
    """Delete the entry (memberships go with it) and the account, or only an account that
    has no entry (`person=None`); returns the pseudonym used.

    The audit log keeps its entries (its hash chain must stay verifiable and it serves
    security, Art. 17(3)(b)), including the email address recorded at the time, until
    `audit prune` removes them after the retention period.
    """
    if person is not None:
        account = person.account if (erase_account and person.account_id) else None
    label = pseudonym(account.id) if account is not None else None
    target = f"person:{person.id}" if person is not None else f"account:{account.id}"
    with write_transaction():
        if person is not None:
            Membership.update(on_behalf_of=None).where(Membership.on_behalf_of == person).execute()
            Membership.delete().where(Membership.person == person).execute()
            person.delete_instance()
            search_provider.remove_person(person)
        if account is not None:
            account_erasing.send(account, pseudonym=label)
            Person.update(consent_recorded_by=None).where(
                Person.consent_recorded_by == account.id
            ).execute()
            account.delete_instance()
    audit.record(
        "person.erased",
        target=target,
        detail=f"account erased as {label}" if label else "no account",
    )
    return label


# --- Retention of ended memberships ------------------------------------------------------------------


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
