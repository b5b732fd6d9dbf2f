"""Admin operations on organisations and settings (accounts: intranet.auth.services)."""

from dataclasses import dataclass

from flask import current_app

from intranet.auth import second_factor
from intranet.auth.services import AccountError
from intranet.core import audit, mail, site_settings
from intranet.core.accounts import Organization
from intranet.core.ids import ref
from intranet.directory import search_provider
from intranet.platform.db import write_transaction
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l

ORGANIZATION_FIELDS = (
    "name",
    "short_name",
    "kind",
    "status",
    "joined_on",
    "website",
    "address",
    "phone",
    "email",
    "office_hours",
)


def save_organization(organization: Organization | None, data: dict) -> Organization:
    """Create (organization=None) or update; names stay unique."""
    # A field the form did not send is empty, never NULL (joined_on alone may be unknown).
    values = {field: data.get(field) or "" for field in ORGANIZATION_FIELDS}
    values["joined_on"] = data.get("joined_on")
    values["name"] = values["name"].strip()
    with write_transaction():
        clash = Organization.select().where(Organization.name == values["name"])
        if organization is not None:
            clash = clash.where(Organization.id != organization.id)
        if clash.exists():
            raise AccountError(_l("An organisation with this name already exists."))
        if organization is None:
            organization = Organization.create(**values)
            action = "organization.created"
        else:
            for field, value in values.items():
                setattr(organization, field, value)
            organization.save()
            search_provider.reindex_organization(organization.id)
            action = "organization.updated"
        audit.record(action, target=ref("organization", organization.id))
    return organization


def save_site_settings(values: dict) -> None:
    text_keys = sorted(set(site_settings.EDITABLE) - {second_factor.SETTING})
    with write_transaction():
        site_settings.save({key: (values.get(key) or "").strip() for key in text_keys})
        audit.record("settings.updated", detail=", ".join(text_keys))
    roles = set(values.get(second_factor.SETTING) or ())
    if roles != second_factor.required_roles():
        second_factor.save_required_roles(roles)


@dataclass
class MailTest:
    """What became of the request for a test message, in words."""

    sent: bool
    text: str


def send_test_mail(account) -> MailTest:
    """Queue one short message to the admin's own address; the outbox sends it within seconds,
    and /admin/mail and the checklist show the mail server's answer."""
    if not mail.enabled():
        return MailTest(
            False, _("Mail is switched off: the server setting INTRANET_MAIL_SERVER is empty.")
        )
    with write_transaction():
        mail.queue("test", account.email, account=account, about="test", caused_by=account)
        audit.record("settings.test_mail", detail="queued")
    return MailTest(
        True,
        _(
            "The test message to %(email)s is on its way through %(server)s. Whether the mail "
            "server took it shows in the list of mails within a minute; if it does not arrive, "
            "look in the spam folder and in the mail server's log.",
            server=current_app.config["MAIL_SERVER"],
            email=account.email,
        ),
    )
