"""Accounts, organisations they belong to, sign-in, sessions and the own account page."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {
    "login.succeeded": _l("Sign-in succeeded"),
    "login.failed": _l("Sign-in failed"),
    "login.throttled": _l("Sign-in refused: too many attempts"),
    "login.locked": _l("Sign-in locked after repeated failures"),
    "login.password_accepted": _l("Password accepted, second step pending"),
    "login.second_factor_failed": _l("Second step of sign-in failed"),
    "login.second_factor_throttled": _l("Second step refused: too many attempts"),
    "login.second_factor_locked": _l("Second step locked after repeated failures"),
    "second_factor.enabled": _l("Second factor switched on"),
    "second_factor.disabled": _l("Second factor switched off"),
    "second_factor.recovery_codes_renewed": _l("New recovery codes made"),
    "second_factor.reset": _l("Second factor reset by the administration"),
    "second_factor.setup_started": _l("Set-up of the second factor begun (password confirmed)"),
    "second_factor.voided": _l("Second factor voided (server key changed)"),
    "settings.second_factor": _l("Roles that need a second factor changed"),
    "logout": _l("Signed out"),
    "account.created": _l("Account created"),
    "account.updated": _l("Account changed"),
    "account.password_changed": _l("Own password changed"),
    "account.password_reset": _l("Password set by the administration"),
    "account.invited": _l("Invitation link made"),
    "account.invitation_accepted": _l("Invitation accepted, password chosen"),
    "account.reset_link_created": _l("Link for a new password made"),
    "account.password_reset_by_link": _l("New password chosen through a link"),
    "account.password_check_throttled": _l(
        "Password check on the account page refused: too many attempts"
    ),
    "account.deactivated": _l("Account deactivated"),
    "account.reactivated": _l("Account reactivated"),
}


def register(app):
    from intranet.auth import privacy, services
    from intranet.auth.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.personal_data_export.connect(privacy.export_account)
    offered.personal_data_export.connect(privacy.export_mails)
    offered.personal_data_export.connect(privacy.export_notifications)
    offered.account_erasing.connect(services.end_access_of_erased)
    offered.audit(AUDIT_KINDS)
