"""Start page, accessibility statement with barrier reports, health check."""

from flask_babel import lazy_gettext as _l

from intranet.core.areas import registry

AUDIT_KINDS = {"barrier_report.created": _l("Barrier reported")}


def register(app):
    from intranet.pages.routes import bp

    app.register_blueprint(bp)
    registry(app).audit(AUDIT_KINDS)
