"""DSGVO duties shared by every area: access export, erasure with pseudonyms, record of processing."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {
    "account.exported": _l("Access export of an account (Art. 15)"),
    "person.exported": _l("Access export of a person (Art. 15)"),
    "person.erased": _l("Person erased (Art. 17)"),
}


def register(app):
    from intranet.privacy.routes import bp

    app.register_blueprint(bp)
    registry(app).audit(AUDIT_KINDS)
