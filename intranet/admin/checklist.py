"""The first-run checklist: what a new installation still needs before the forum can use it.

Shown on the admin's start page until every step is done, and always on /admin. Each step
reads its state from the database or the server's settings; nothing is ticked off by hand.
"""

import datetime as dt
from dataclasses import dataclass

from flask import url_for
from flask_babel import LazyString

from intranet.auth.models import SecondFactor
from intranet.core import mail, outbox, site_settings
from intranet.core.accounts import Account, Organization, Role
from intranet.core.models import AuditEvent
from intranet.core.start_page import Panel
from intranet.platform.db import utcnow
from intranet.platform.filters import local_time
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext

# A backup older than this does not count: the README's timer makes one every night.
BACKUP_FRESH_DAYS = 7
BACKUP_COMMAND = "flask --app app backup /var/backups/intranet/sicherung.tar.gz"


@dataclass
class Step:
    title: str
    done: bool
    state: str
    link: str | None = None
    link_text: str = ""
    # Steps done on the server, not in the browser: what to run there, and a word about it.
    command: str = ""
    command_hint: str = ""


def steps() -> list[Step]:
    """The seven steps, each one or two small queries, whatever the size of the installation."""
    return [
        _organizations(),
        _accounts(),
        _legal_links(),
        _accessibility_contact(),
        _mail(),
        _second_factor(),
        _backups(),
    ]


def complete(all_steps: list[Step]) -> bool:
    return all(step.done for step in all_steps)


def _counted(title, count: int, counted: str, none_yet: str, link: str, link_text: str) -> Step:
    """A step that is done once there is at least one of something."""
    return Step(title, count > 0, counted if count else none_yet, link, link_text)


def _organizations() -> Step:
    count = Organization.select().count()
    return _counted(
        _("Organisations of the forum"),
        count,
        ngettext("%(num)d organisation", "%(num)d organisations", count),
        _("None yet"),
        # The first one is made on the form itself; with some made, the list shows what exists.
        url_for("admin.edit_organization") if not count else url_for("admin.organizations"),
        _("Add organisations"),
    )


def _accounts() -> Step:
    count = Account.select().where(Account.active & (Account.role != Role.ADMIN)).count()
    return _counted(
        _("Accounts for the participants"),
        count,
        ngettext("%(num)d active account", "%(num)d active accounts", count),
        _("Only the administration so far"),
        url_for("admin.accounts"),
        _("Add accounts"),
    )


def _legal_links() -> Step:
    settings = site_settings.get_all()
    missing = [
        label
        for key, label in (("imprint_url", _("imprint")), ("privacy_url", _("privacy notice")))
        if not settings.get(key)
    ]
    return Step(
        _("Imprint and privacy notice"),
        not missing,
        _("Linked in the footer")
        if not missing
        else _("Missing: %(what)s", what=", ".join(missing)),
        url_for("admin.settings"),
        _("Enter addresses"),
    )


def _accessibility_contact() -> Step:
    contact = site_settings.get_all().get("accessibility_contact")
    return Step(
        _("Contact for accessibility questions"),
        bool(contact),
        contact or _("Missing"),
        url_for("admin.settings"),
        _("Enter contact"),
    )


def _mail() -> Step:
    on = mail.enabled()
    return Step(
        _("Mail"),
        on,
        # Looked up only when shown: the start page asks whether every step is done, no more.
        LazyString(_mail_state)
        if on
        else _("Switched off: invitations are only marked in the intranet"),
        url_for("admin.settings", _anchor="mail-test") if on else None,
        _("Send a test mail") if on else "",
        "" if on else "INTRANET_MAIL_SERVER=mail.example.org:587",
        _("On the server, in the settings file (see the README):"),
    )


def _mail_state() -> str:
    """Switched on, with what became of the last mail the outbox tried to deliver."""
    last = outbox.last_result()
    if last is None:
        return _("Switched on")
    if last.state == outbox.SENT:
        return _(
            "Switched on; last mail delivered %(time)s", time=local_time(last.sent_at, "short")
        )
    return _(
        "Switched on; the last mail could not be delivered: %(answer)s", answer=last.last_error
    )


def _second_factor() -> Step:
    admins = Account.select(Account.id).where(Account.active & (Account.role == Role.ADMIN))
    total = admins.count()
    protected = (
        SecondFactor.select()
        .where(SecondFactor.account.in_(admins) & SecondFactor.confirmed_at.is_null(False))
        .count()
    )
    return Step(
        _("Second factor for the administration"),
        total > 0 and protected == total,
        ngettext(
            "%(protected)d of %(num)d admin account",
            "%(protected)d of %(num)d admin accounts",
            total,
            protected=protected,
        ),
        url_for("auth.account"),
        _("Set up under My account"),
    )


def _backups() -> Step:
    last = (
        AuditEvent.select(AuditEvent.at)
        .where(AuditEvent.action == "backup.created")
        .order_by(AuditEvent.id.desc())
        .first()
    )
    fresh = last is not None and last.at >= utcnow() - dt.timedelta(days=BACKUP_FRESH_DAYS)
    return Step(
        _("Backups"),
        fresh,
        _("Last backup: %(when)s", when=local_time(last.at)) if last else _("No backup yet"),
        command="" if fresh else BACKUP_COMMAND,
        command_hint=_("On the server, best every night by a timer (see the README):"),
    )


def checklist_panel(account):
    if not account.is_admin:
        return None
    all_steps = steps()
    if complete(all_steps):
        return None
    return Panel("admin/_checklist.html", {"steps": all_steps, "on_start_page": True}, "top")
