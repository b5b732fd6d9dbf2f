"""The feature areas and what each one offers the others, in one registry per application.

`create_app` calls `register(app)` of every package in `AREAS`, in that order. An area's
`register` adds its blueprint and hands `registry(app)` what it contributes: search providers,
attachment owners, start-page panels, its part of the DSGVO duties (export, erasure), what ends
with an account's access, the audit kinds it records with their labels, and template partials
it offers to other areas' pages. The shared pieces (`core.search`, `core.start_page`, the
attachments, the privacy services, the audit log page) read what they need from here, so an
area is wired by one visible call and never by importing a module for its side effect.

`AREAS` is also the order of dependence: an area may import the areas before it, never one
after it (`tests/test_architecture.py` checks the imports against this list). What a lower
area's page shows from a higher one comes through `partials(slot)`, what it must tell a higher
one through the events below.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

# Lower first. privacy knows no area (the areas bring their data); auth builds on it; files
# hang on meetings and minutes, so attachments sits below them; minutes build on meetings and
# the directory; search, OParl and pages read the areas below them; admin manages them all.
AREAS = (
    "privacy",
    "auth",
    "attachments",
    "directory",
    "meetings",
    "minutes",
    "search",
    "oparl",
    "pages",
    "admin",
)
# The places on a page where other areas may add a partial: the page that names the slot and
# what it gives the partial. A slot not listed here is a typo and fails loudly.
SLOTS = {
    "account_page": "auth/account.html (the signed-in account as `current_user`)",
    "meeting_page": "meetings/show.html (`context`, the meeting's with what its page needs)",
    "organization_page": "directory/organization.html (`organization`)",
}


class Event(list):
    """Functions called in order with (sender, **details); `send` returns their answers.

    Lists rather than signals: the receivers of an application are the ones its areas
    registered, in the order of `AREAS`, and nothing is connected by importing a module.
    """

    def connect(self, receiver: Callable) -> Callable:
        if receiver not in self:
            self.append(receiver)
        return receiver

    def send(self, sender, **details) -> list:
        return [receiver(sender, **details) for receiver in self]


@dataclass
class Registry:
    # core.search.Provider by kind: each area's part of /search.
    search_providers: dict = field(default_factory=dict)
    # kind -> loader(item id, account) returning an attachments Owner, or None when not visible.
    attachment_owners: dict = field(default_factory=dict)
    # (order, builder(account) -> core.start_page.Panel | None), lowest order first.
    panels: list = field(default_factory=list)
    # Art. 15: receiver(person, account=…, viewer=…) -> {section: data}.
    personal_data_export: Event = field(default_factory=Event)
    # Art. 17, inside the erasure transaction before the row goes: receiver(person) for a
    # directory entry, receiver(account, pseudonym=…) for an account.
    person_erasing: Event = field(default_factory=Event)
    account_erasing: Event = field(default_factory=Event)
    # receiver(account, actor=…), inside the transaction that deactivates or erases the account,
    # changes its role or organisation or sets a new password (auth.services.end_access).
    access_ended: Event = field(default_factory=Event)
    # audit action ("meeting.created") -> its label on the audit log page; for refused reads,
    # counted per account, item and time window, action -> function(number) -> the words.
    audit_kinds: dict = field(default_factory=dict)
    audit_counted: dict = field(default_factory=dict)
    # slot ("meeting_page") -> templates the areas offer to show there, in order of AREAS.
    slots: dict = field(default_factory=dict)
    # job(now) run by the delivery loop (core.notifications.run_periodic): reminders, deadlines.
    periodic: list = field(default_factory=list)
    # item kind ("meeting") -> rule(item_id, account) for what notifications are about: None when
    # the account may no longer see the item (or it is gone), False when it may but a mail may
    # not name it (MailPolicy), True when a mail may name it (core.notifications.may_name).
    mail_rules: dict = field(default_factory=dict)
    # Every table of the application (`intranet.models.MODELS`, handed over by create_app): the
    # record of processing (Art. 30) describes them.
    models: list = field(default_factory=list)

    def search_provider(self, provider) -> None:
        self.search_providers[provider.kind] = provider

    def attachment_owner(self, kind: str, loader: Callable) -> None:
        self.attachment_owners[kind] = loader

    def panel(self, order: int, builder: Callable) -> None:
        self.panels.append((order, builder))
        self.panels.sort(key=lambda entry: entry[0])

    def mail_rule(self, kind: str, rule: Callable) -> None:
        self.mail_rules[kind] = rule

    def audit(self, kinds: dict, counted: dict | None = None) -> None:
        self.audit_kinds.update(kinds)
        self.audit_counted.update(counted or {})

    def partial(self, slot: str, template: str) -> None:
        if slot not in SLOTS:
            raise KeyError(f"no slot {slot!r} in core.areas.SLOTS")
        self.slots.setdefault(slot, []).append(template)


EXTENSION = "intranet.areas"


def init_app(app: Flask, models: list) -> Registry:
    """A fresh, empty registry for this application (core's own part: `intranet.core.register`)
    with every table of the application (`intranet.models.MODELS`)."""
    found = app.extensions[EXTENSION] = Registry(models=list(models))
    return found


def registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions[EXTENSION]


def partials(slot: str) -> list[str]:
    """The templates other areas offer for `slot`; the page includes each (no `ignore missing`,
    so a renamed template fails loudly instead of leaving a gap on the page)."""
    if slot not in SLOTS:
        raise KeyError(f"no slot {slot!r} in core.areas.SLOTS")
    return registry().slots.get(slot, [])
