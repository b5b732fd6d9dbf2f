"""Files attached to meetings, agenda items and minutes: stored by random id, served only after the access check."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.i18n import ngettext

AUDIT_KINDS = {
    "attachment.added": _l("File added"),
    "attachment.deleted": _l("File removed"),
    "attachment.downloaded": _l("File downloaded"),
    "attachment.refused": _l("Access to a file refused"),
    "attachment.viewed": _l("Restricted file's details read (OParl)"),
}
COUNTED = {
    "attachment.refused": lambda n: ngettext(
        "%(num)s refused attempt to open a file", "%(num)s refused attempts to open a file", n
    ),
}


def register(app):
    from intranet.attachments import services
    from intranet.attachments.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.personal_data_export.connect(services.export_uploads)
    offered.account_erasing.connect(services.forget_uploader)
    offered.audit(AUDIT_KINDS, COUNTED)
