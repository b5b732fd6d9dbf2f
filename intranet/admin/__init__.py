"""Administration: accounts, organisations, site settings, audit log, barrier reports."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {
    "settings.updated": _l("Settings changed"),
    "settings.test_mail": _l("Test mail sent"),
}


def register(app):
    from intranet.admin import checklist
    from intranet.admin.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.panel(0, checklist.checklist_panel)
    offered.audit(AUDIT_KINDS)
