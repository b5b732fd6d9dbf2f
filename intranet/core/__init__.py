"""Pieces every area stands on: the audit log, site settings, pagination, time display."""


def register(app):
    """Core's own part of the registry (`core.areas`), handed over before the areas': its audit
    kinds, and what it keeps about an account (queued mails, notification choices, the names in
    workflow histories) for erasure."""
    from intranet.core import audit, mail, notifications, workflow
    from intranet.core.areas import registry

    offered = registry(app)
    offered.audit(audit.KINDS)
    offered.account_erasing.connect(mail.forget_account)
    offered.account_erasing.connect(notifications.forget_account)
    offered.account_erasing.connect(workflow.pseudonymise)
