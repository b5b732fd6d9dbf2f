"""The accounts' part of the DSGVO duties: the account section of the access export (Art. 15).
The tables describe themselves for the record of processing (Art. 30). Erasing an account is
the privacy services' own step; what refers to it is handled by the areas' `account_erasing`
receivers (core.areas)."""

from intranet.auth.models import RecoveryCode, SecondFactor
from intranet.core import mail
from intranet.core.models import OutboxMessage
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
