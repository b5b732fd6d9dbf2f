"""The OParl 1.1 export: the forum's record for council information systems, behind sign-in."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {
    "oparl.token_renewed": _l("OParl token renewed"),
    "oparl.token_revoked": _l("OParl token revoked"),
    "oparl.listed": _l("Restricted items read in an OParl list"),
}


def register(app):
    from intranet.oparl import routes, services

    app.register_blueprint(routes.bp)
    offered = registry(app)
    offered.personal_data_export.connect(services.export_token_data)
    offered.access_ended.connect(routes.revoke)
    offered.audit(AUDIT_KINDS)
    # The OParl address and token on the account page.
    offered.partial("account_page", "oparl/_oparl_token.html")
