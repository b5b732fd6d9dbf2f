"""Admin operations on organisations and settings (accounts: intranet.auth.services)."""

from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from intranet.auth import second_factor
from intranet.auth.models import Organization
from intranet.auth.services import AccountError
from intranet.core import audit, mail, site_settings
from intranet.db import write_transaction
from intranet.directory import search_provider

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
)


def save_organization(organization: Organization | None, data: dict) -> Organization:
    """Create (organization=None) or update; names stay unique."""
    values = {field: data[field] for field in ORGANIZATION_FIELDS}
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
    audit.record(action, target=f"organization:{organization.id}")
    return organization


def save_site_settings(values: dict) -> None:
    text_keys = sorted(set(site_settings.EDITABLE) - {second_factor.SETTING})
    site_settings.save({key: (values.get(key) or "").strip() for key in text_keys})
    audit.record("settings.updated", detail=", ".join(text_keys))
    roles = set(values.get(second_factor.SETTING) or ())
    if roles != second_factor.required_roles():
        second_factor.save_required_roles(roles)


@dataclass
class MailTest:
    """What happened to a test message: whether the mail server took it, and in words."""

    sent: bool
    text: str


def send_test_mail(recipient: str) -> MailTest:
    """Send one short message to `recipient` and report the mail server's answer."""
    if not mail.enabled():
        return MailTest(
            False, _("Mail is switched off: the server setting INTRANET_MAIL_SERVER is empty.")
        )
    message = EmailMessage()
    message["Subject"] = _("Test message from the intranet")
    message["From"], message["To"] = mail.sender(), recipient
    message.set_content(
        _("This message shows that the intranet can send mail. There is nothing else to do.")
    )
    server = current_app.config["MAIL_SERVER"]
    try:
        mail.send([message])
    except mail.MailError as error:
        audit.record("settings.test_mail", detail="failed")
        return MailTest(
            False,
            _(
                "The mail server %(server)s did not take the message: %(answer)s",
                server=server,
                answer=error,
            ),
        )
    audit.record("settings.test_mail", detail="sent")
    return MailTest(
        True,
        _(
            "The mail server %(server)s took the message to %(email)s. If it does not arrive "
            "within a few minutes, look in the spam folder and in the mail server's log.",
            server=server,
            email=recipient,
        ),
    )
