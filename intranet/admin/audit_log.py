"""The audit log for the admin: German descriptions, filters, readable targets and CSV export."""

import csv
import datetime as dt
import functools
import io
import operator
import re
from dataclasses import dataclass

from peewee import JOIN, Cast, Value

from intranet.attachments.models import Attachment
from intranet.core import audit, sharing, times
from intranet.core.accounts import Account, Organization
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.core.models import AuditEvent
from intranet.core.query_args import QueryArgs
from intranet.directory.csv_io import neutralise
from intranet.directory.models import Person
from intranet.meetings import access as meetings_access
from intranet.meetings.models import Meeting
from intranet.minutes import access, numbering
from intranet.minutes.models import Minutes, MinutesSection
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l


def actions() -> dict:
    """Every action code the application writes, with what the admin reads instead: core's own
    and those the areas registered (`core.areas`). tests/test_audit.py fails when a code is
    used without one."""
    return registry().audit_kinds


# What a target like "meeting:12" is called when its title may not be shown.
FALLBACK_NAMES = {
    "meeting": _l("Meeting no. %(id)s"),
    "minutes": _l("Minutes no. %(id)s"),
    "minutes_section": _l("Section no. %(id)s of minutes"),
    "attachment": _l("File no. %(id)s"),
    "account": _l("Account no. %(id)s"),
    "person": _l("Contact entry no. %(id)s"),
    "organization": _l("Organisation no. %(id)s"),
    "barrier_report": _l("Barrier report no. %(id)s"),
}
TARGET = re.compile(r"^([a-z_]+):([0-9]{1,10})$")
# A title search looks at this many items per kind; a narrower search finds the rest.
ITEM_SEARCH_LIMIT = 200


def describe(action: str, attempts: int | None = None) -> str:
    """The action in words; refused reads, counted per account, item and time window, with
    their number ("3 abgewiesene Zugriffe auf einen Termin")."""
    counted = registry().audit_counted
    if (attempts or 1) != 1 and action in counted:
        return counted[action](attempts)
    labels = actions()
    return str(labels[action]) if action in labels else action


def action_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in actions().items()), key=lambda c: c[1])


# --- Filters -----------------------------------------------------------------------------------


@dataclass
class Filters:
    person: str = ""
    organization: int | None = None
    action: str = ""
    item: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    label: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        action = args.get("action", "")
        typed = QueryArgs(args)
        return cls(
            person=args.get("person", "").strip()[:200],
            organization=typed.id("organization"),
            action=action if action in actions() else "",
            item=args.get("item", "").strip()[:200],
            since=typed.date("since"),
            until=typed.date("until"),
            label=args.get("label", "") if args.get("label", "") in sharing.LABELS else "",
        )

    def args(self) -> dict:
        """The filters as query arguments (for page links and the CSV address)."""
        values = {
            "person": self.person,
            "organization": self.organization,
            "action": self.action,
            "item": self.item,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "label": self.label,
        }
        return {key: value for key, value in values.items() if value}


def _day_start_utc(day: dt.date) -> dt.datetime:
    """Midnight in Berlin, as the naive UTC the log stores."""
    return times.to_utc(dt.datetime.combine(day, dt.time()), shift_gap=True).replace(tzinfo=None)


def _item_targets(text: str, viewer) -> list[str]:
    """Targets whose title matches `text`, among the items `viewer` may see."""
    found = [
        ref("meeting", m.id)
        for m in Meeting.select(Meeting.id)
        .where(meetings_access.visible_clause(viewer) & Meeting.title.contains(text))
        .limit(ITEM_SEARCH_LIMIT)
    ]
    found += [
        ref("minutes", m.id)
        for m in access.visible_minutes(viewer, "view")
        .where(Meeting.title.contains(text))
        .limit(ITEM_SEARCH_LIMIT)
    ]
    for kind, model, clause in (
        ("account", Account, Account.display_name.contains(text)),
        ("person", Person, Person.family_name.contains(text) | Person.given_name.contains(text)),
        ("organization", Organization, Organization.name.contains(text)),
    ):
        found += [
            f"{kind}:{row.id}"
            for row in model.select(model.id).where(clause).limit(ITEM_SEARCH_LIMIT)
        ]
    return found


def events(filters: Filters, viewer):
    """The log entries matching `filters`, newest first (a query; pages are cut by the caller).
    Refused reads still being counted are written into the log first, so none is missing."""
    audit.flush_refusals()
    query = AuditEvent.select().order_by(AuditEvent.id.desc())
    if filters.person:
        accounts = Account.select(Account.id).where(
            Account.display_name.contains(filters.person) | Account.email.contains(filters.person)
        )
        # The recorded address also finds entries of accounts erased since.
        query = query.where(
            AuditEvent.actor_id.in_(accounts) | AuditEvent.actor_label.contains(filters.person)
        )
    if filters.organization:
        members = Account.select(Account.id).where(Account.organization == filters.organization)
        query = query.where(AuditEvent.actor_id.in_(members))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.item:
        if TARGET.match(filters.item):
            query = query.where(AuditEvent.target == filters.item)
        else:
            query = query.where(AuditEvent.target.in_(_item_targets(filters.item, viewer) or [""]))
    if filters.label:
        query = query.where(AuditEvent.target.in_(_labelled_targets(filters.label)))
    if filters.since:
        query = query.where(AuditEvent.at >= _day_start_utc(filters.since))
    if filters.until:
        query = query.where(AuditEvent.at < _day_start_utc(filters.until + dt.timedelta(days=1)))
    return query


# Kinds of target that carry a sharing label of their own, and their models.
LABELLED = (
    ("meeting", Meeting),
    ("minutes", Minutes),
    ("minutes_section", MinutesSection),
    ("attachment", Attachment),
)


def _labelled_targets(label: str):
    """A sub-select of every target ("meeting:12", …) whose item carries `label` (one union)."""
    selects = [
        model.select(Value(f"{kind}:").concat(Cast(model.id, "text"))).where(model.label == label)
        for kind, model in LABELLED
    ]
    return functools.reduce(operator.or_, selects)


def target_labels(by_kind: dict[str, set[int]]) -> dict[str, str]:
    """'meeting:12' → its sharing label, whoever may read the item: the admin sees how
    restricted what was read is, not what it says (one query per kind)."""
    labels = {}
    for kind, model in LABELLED:
        if by_kind.get(kind):
            for row in model.select(model.id, model.label).where(model.id.in_(list(by_kind[kind]))):
                labels[f"{kind}:{row.id}"] = row.label
    return labels


# --- Readable rows ---------------------------------------------------------------------------


@dataclass
class Row:
    event: AuditEvent
    action: str
    actor: str
    target: str
    label: str = ""


def _parsed_targets(events_) -> dict[str, set[int]]:
    by_kind: dict[str, set[int]] = {}
    for event in events_:
        match = TARGET.match(event.target or "")
        if match:
            by_kind.setdefault(match.group(1), set()).add(int(match.group(2)))
    return by_kind


def target_names(by_kind: dict[str, set[int]], viewer) -> dict[str, str]:
    """'meeting:12' → its title where `viewer` may see it (the admin role grants nothing:
    the meetings' and minutes' own rules decide). One query per kind, whatever the number."""
    names: dict[str, str] = {}
    files = {}
    if by_kind.get("attachment"):
        files = {
            a.id: a
            for a in Attachment.select().where(Attachment.id.in_(list(by_kind["attachment"])))
        }
        # A file's name is shown only with its meeting's or minutes' title, and only when its
        # own label adds no restriction; files of agenda items and sections show their number.
        for attachment in files.values():
            if attachment.owner_kind in ("meeting", "minutes"):
                by_kind.setdefault(attachment.owner_kind, set()).add(attachment.owner_id)
    if by_kind.get("meeting"):
        for meeting in Meeting.select(Meeting.id, Meeting.title).where(
            meetings_access.visible_clause(viewer) & Meeting.id.in_(list(by_kind["meeting"]))
        ):
            names[ref("meeting", meeting.id)] = meeting.title
    if by_kind.get("minutes"):
        for item in access.visible_minutes(viewer, "view").where(
            Minutes.id.in_(list(by_kind["minutes"]))
        ):
            names[ref("minutes", item.id)] = numbering.document_title(item)
    for attachment in files.values():
        owner = names.get(f"{attachment.owner_kind}:{attachment.owner_id}")
        if owner and attachment.label in sharing.FORUM_LABELS:
            names[ref("attachment", attachment.id)] = f"{attachment.file_name} ({owner})"
    for kind, model, name in (
        ("account", Account, lambda row: row.display_name),
        ("person", Person, lambda row: row.full_name),
        ("organization", Organization, lambda row: row.name),
    ):
        if by_kind.get(kind):
            for row in model.select().where(model.id.in_(list(by_kind[kind]))):
                names[f"{kind}:{row.id}"] = name(row)
    return names


def target_label(target: str, names: dict[str, str]) -> str:
    if target in names:
        return names[target]
    match = TARGET.match(target or "")
    if match and match.group(1) in FALLBACK_NAMES:
        return str(FALLBACK_NAMES[match.group(1)]) % {"id": match.group(2)}
    return target


def rows(events_, viewer) -> list[Row]:
    """Entries ready to show: German action, the acting account's current name and
    organisation, the target's title as far as `viewer` may see it."""
    events_ = list(events_)
    targets = _parsed_targets(events_)
    labels = target_labels(targets)
    names = target_names(targets, viewer)
    actor_ids = {e.actor_id for e in events_ if e.actor_id}
    actors = {}
    if actor_ids:
        actors = {
            a.id: a
            for a in Account.select(Account, Organization)
            .join(Organization, JOIN.LEFT_OUTER, on=(Account.organization == Organization.id))
            .where(Account.id.in_(list(actor_ids)))
        }
    result = []
    for event in events_:
        account = actors.get(event.actor_id)
        if account is not None:
            organization = ""
            if account.organization_id:
                organization = account.organization.short_name or account.organization.name
            who = f"{account.display_name} ({event.actor_label})"
            if organization:
                who += f", {organization}"
        else:
            who = event.actor_label or "–"
        action = describe(event.action, event.attempts)
        label = labels.get(event.target or "", "")
        result.append(Row(event, action, who, target_label(event.target, names), label))
    return result


# --- CSV ------------------------------------------------------------------------------------


def export_csv(filters: Filters, viewer, chunk: int = 500) -> str:
    """The filtered log as CSV (UTF-8 with BOM, `;`); cells cleaned like the contacts' export."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [
            _("Time"),
            _("Who"),
            _("Event"),
            _("Concerns"),
            _("Code"),
            _("Label"),
            _("Detail"),
            _("Address"),
        ]  # fmt: skip
    )
    query = events(filters, viewer)
    number = 1
    while True:
        batch = rows(query.paginate(number, chunk), viewer)
        for row in batch:
            at = times.to_local(row.event.at).strftime("%Y-%m-%d %H:%M:%S")
            label = sharing.LABEL_NAMES.get(row.label, "")
            values = [at, row.actor, row.action, row.target, row.event.target, label]
            values.append(row.event.detail)
            values.append(row.event.address)
            writer.writerow([neutralise(str(value or "")) for value in values])
        if len(batch) < chunk:
            break
        number += 1
    return "\ufeff" + out.getvalue()
