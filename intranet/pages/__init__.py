"""Start page, accessibility statement with barrier reports, health check."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {"barrier_report.created": _l("Barrier reported")}


def register(app):
    from intranet.pages.routes import bp

    app.register_blueprint(bp)
    registry(app).audit(AUDIT_KINDS)
