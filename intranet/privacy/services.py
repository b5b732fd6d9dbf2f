"""DSGVO duties every area shares: the access export (Art. 15), erasure with pseudonyms
(Art. 17) and the record of processing (Art. 30).

This module imports no area; each area hands its part to the registry (`core.areas`) in its
`register(app)`:
- Art. 15: a `personal_data_export` receiver returns `{section: data}`; entries about an item
  with a sharing label go through `labelled_entry`.
- Art. 17: an `account_erasing` receiver replaces the account by the pseudonym in records that
  are kept; the directory's `person_erasing` receiver removes what hangs on an entry.
- Art. 30: each model carries `PERSONAL_DATA` (field → purpose) and `NOT_PERSONAL_DATA`.
"""

import datetime as dt
import hashlib
import hmac
import json

from flask import current_app

from intranet.core import audit
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.core.models import AuditEvent
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l

WITHHELD = _l(
    "Only number, date and sharing label: the account that made this export may not see this "
    "item. The person can read the rest when signed in to the intranet."
)


def labelled_entry(visible: bool, summary: dict, details: dict) -> dict:
    """An export entry about an item with a sharing label (a meeting, minutes, a file, …).

    The export is made by an admin, who gets no access through the role: an item the admin may
    not see (by the item's own sharing rule, as the admin's account) is listed with its
    `summary` only (id, date, label) and a note; `details` (title and the like) only when visible.
    """
    if visible:
        return {**summary, **details}
    return {**summary, "note": str(WITHHELD)}


def iso(value):
    """Dates and times as ISO text for the export; anything else unchanged."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# --- Art. 30: what is stored and why ---------------------------------------------------------------


def declarations(model) -> tuple[dict, tuple]:
    """(personal fields → purpose, fields that hold no personal data) for a model: its Art. 30
    description. A test fails for any field in neither."""
    return getattr(model, "PERSONAL_DATA", None), getattr(model, "NOT_PERSONAL_DATA", None)


def record_of_processing() -> list[dict]:
    """One entry per table that holds personal data, built from the models themselves."""
    entries = []
    for model in registry().models:
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


def _audit_entries(person, account) -> list[dict]:
    targets = [ref("person", person.id)] if person is not None else []
    condition = AuditEvent.target.in_(targets)
    if account is not None:
        targets.append(ref("account", account.id))
        condition = AuditEvent.target.in_(targets) | (AuditEvent.actor_id == account.id)
    own = account.id if account is not None else None
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "by_this_person": own is not None and e.actor_id == own,
            "address": e.address if own is not None and e.actor_id == own else "",
        }
        for e in AuditEvent.select().where(condition).order_by(AuditEvent.id)
    ]


def access_export(person, account=None, viewer=None) -> dict:
    """Everything stored about a person: from their directory entry (and its account), or
    from an account that has no entry (`person=None`). `viewer` is the account making the
    export: items it may not see are listed without their content (`labelled_entry`)."""
    if person is not None:
        account = person.account if person.account_id else None
    export = {"generated_at": utcnow().isoformat() + "Z", "legal_basis": "Art. 15 DSGVO"}
    # The entry, the account, attendance, minutes, files: each from the area that keeps it.
    for sections in registry().personal_data_export.send(person, account=account, viewer=viewer):
        if sections:
            export.update(sections)
    export["audit_entries"] = _audit_entries(person, account)
    return export


def access_export_file(person, account=None, viewer=None) -> tuple[str, str]:
    """The export as a JSON file (text, file name); that it was made goes into the audit log."""
    data = access_export(person, account=account, viewer=viewer)
    if person is not None:
        audit.record("person.exported", target=ref("person", person.id), detail="Art. 15")
        name = f"auskunft-person-{person.id}.json"
    else:
        audit.record("account.exported", target=ref("account", account.id), detail="Art. 15")
        name = f"auskunft-konto-{account.id}.json"
    return json.dumps(data, ensure_ascii=False, indent=2, default=str), name


# --- Art. 17: erasure -------------------------------------------------------------------------------


def pseudonym(account_id: int) -> str:
    """A stable label that does not reveal the person: the same account always gets the same one."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, ref("account", account_id).encode(), hashlib.sha256).hexdigest()
    return f"Person {digest[:6].upper()}"


def erase(person, erase_account: bool = True, account=None) -> str | None:
    """Delete the directory entry (with what hangs on it) and the account, or only an account
    that has no entry (`person=None`); returns the pseudonym used.

    The audit log keeps its entries (its hash chain must stay verifiable and it serves
    security, Art. 17(3)(b)), including the email address recorded at the time, until
    `audit prune` removes them after the retention period.
    """
    if person is not None:
        account = person.account if (erase_account and person.account_id) else None
    label = pseudonym(account.id) if account is not None else None
    target = ref("person", person.id) if person is not None else ref("account", account.id)
    with write_transaction():
        if person is not None:
            registry().person_erasing.send(person)
            person.delete_instance()
        if account is not None:
            registry().account_erasing.send(account, pseudonym=label)
            account.delete_instance()
        audit.record(
            "person.erased",
            target=target,
            detail=f"account erased as {label}" if label else "no account",
        )
    return label
