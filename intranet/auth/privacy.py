"""The accounts' part of the DSGVO duties: the account section of the access export (Art. 15).
The tables describe themselves for the record of processing (Art. 30). Erasing an account is
the privacy services' own step; what refers to it is handled by the areas' `account_erasing`
receivers (core.areas)."""

from intranet.auth.models import RecoveryCode, SecondFactor
from intranet.core import mail, notifications
from intranet.core.models import DigestEntry, MailOnce, NotificationSettings, OutboxMessage
from intranet.privacy.services import iso


def export_account(person, account=None, **_ignored):
    if account is None:
        return {"account": None}
    factor = SecondFactor.get_or_none(SecondFactor.account == account.id)
    return {
        "account": {
            "email": account.email,
            "display_name": account.display_name,
            "role": account.role,
            "organization": account.organization.name if account.organization_id else None,
            "active": account.active,
            "language": account.language,
            "created_at": iso(account.created_at),
            "last_login_at": iso(account.last_login_at),
            "password_changed_at": iso(account.password_changed_at),
            # That a second factor exists and since when; never its seed or the codes' hashes.
            "second_factor_since": iso(factor.confirmed_at) if factor else None,
            "unused_recovery_codes": RecoveryCode.select()
            .where((RecoveryCode.account == account.id) & RecoveryCode.used_at.is_null())
            .count(),
        }
    }


def export_mails(person, account=None, viewer=None, **_ignored):
    """The mails written to the account, as the delivery record has them, and those that
    pending mail jobs will write. Not the subject: it may name a meeting that the exporting
    admin may not see (a pending mail names its meetings only as far as they may see them)."""
    if account is None:
        return {}
    mails = OutboxMessage.select().where(OutboxMessage.account == account.id)
    return {
        "mails": [
            {
                "kind": m.kind,
                "about": m.about,
                "to": m.recipient,
                "state": m.state,
                "written_at_utc": iso(m.created_at),
                "sent_at_utc": iso(m.sent_at),
            }
            for m in mails.order_by(OutboxMessage.created_at, OutboxMessage.id)
        ],
        "pending_mails": mail.pending_for(account, viewer),
    }


def export_notifications(person, account=None, viewer=None, **_ignored):
    """How the person chose to be told, what waits for their daily summary and which
    notifications they were sent once. A summary entry's subject only where `viewer` may see
    the item it is about (it may name it); otherwise its topic, item and time."""
    if account is None:
        return {}
    settings = NotificationSettings.get_or_none(NotificationSettings.account == account.id)
    checked: dict = {}
    kept = []
    entries = DigestEntry.select().where(DigestEntry.account == account.id)
    for entry in entries.order_by(DigestEntry.created_at, DigestEntry.id):
        line = {"topic": entry.topic, "about": entry.about, "kept_at_utc": iso(entry.created_at)}
        # An entry kept before entries noted their item, or with no viewer: no subject.
        seen = entry.about and viewer is not None
        if seen and notifications.may_name(entry.about, viewer, checked) is not None:
            line["subject"] = entry.subject
        kept.append(line)
    once = MailOnce.select().where(MailOnce.account == account.id)
    return {
        "notifications": {
            "chosen": settings is not None,
            "choices": notifications.choices_of(account, settings),
            "digest_hour": (settings.digest_hour if settings else notifications.DEFAULT_HOUR),
            "alarm_minutes": settings.alarm_minutes if settings else None,
            "kept_for_summary": kept,
            "told_once": [
                {"occasion": m.key, "at_utc": iso(m.at)}
                for m in once.order_by(MailOnce.at, MailOnce.id)
            ],
        }
    }
