"""The minutes archive (Protokolle): documents, their workflow, versions and read confirmations."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.i18n import ngettext

AUDIT_KINDS = {
    "minutes.started": _l("Minutes started"),
    "minutes.saved": _l("Minutes draft saved"),
    "minutes.section": _l("Minutes section saved"),
    "minutes.section_deleted": _l("Minutes section removed"),
    "minutes.action_state": _l("Action item state changed"),
    "minutes.correction": _l("Correction started"),
    "minutes.comment": _l("Comment on minutes"),
    "minutes.objection": _l("Objection to minutes"),
    "minutes.resolved": _l("Objection resolved"),
    "minutes.submit": _l("Submitted for review"),
    "minutes.approve": _l("Approved and circulated"),
    "minutes.return": _l("Returned with comments"),
    "minutes.release": _l("Released"),
    "minutes.withdraw": _l("Minutes taken back into draft"),
    "minutes_section.viewed": _l("Restricted section of minutes viewed"),
    "minutes.exported": _l("Minutes exported as PDF"),
    "minutes.decisions_exported": _l("Decision register exported"),
    "minutes.consent": _l("Consent given for an organisation"),
    "minutes.viewed": _l("Minutes viewed"),
    "minutes.refused": _l("Access to minutes refused"),
}
COUNTED = {
    "minutes.refused": lambda n: ngettext(
        "%(num)s refused attempt to open minutes", "%(num)s refused attempts to open minutes", n
    ),
}


def register(app):
    from intranet.minutes import files, mail, privacy, reminders, search_provider, start
    from intranet.minutes.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.search_provider(search_provider.PROVIDER)
    offered.attachment_owner("minutes", files.minutes_owner)
    offered.attachment_owner("minutes_section", files.minutes_section_owner)
    offered.panel(20, start.minutes_panel)
    offered.personal_data_export.connect(privacy.export_minutes_data)
    offered.account_erasing.connect(privacy.pseudonymise)
    offered.periodic += [reminders.deadlines_near, reminders.action_items_to_tell]
    offered.mail_rule("minutes", mail.may_name_minutes)
    offered.audit(AUDIT_KINDS, COUNTED)
    # A meeting's page shows its minutes.
    offered.partial("meeting_page", "minutes/_meeting_minutes.html")
