"""The contact directory: organisations' people, need-to-know visibility, vCard, CSV, DSGVO."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l

AUDIT_KINDS = {
    "organization.created": _l("Organisation created"),
    "organization.updated": _l("Organisation changed"),
    "person.created": _l("Contact entry created"),
    "person.updated": _l("Contact entry changed"),
    "person.deleted": _l("Contact entry deleted"),
    "person.account_linked": _l("Contact entry linked to an account"),
    "person.imported": _l("Contacts imported"),
    "membership.created": _l("Membership added"),
    "membership.deleted": _l("Membership removed"),
    "membership.anonymised": _l("Ended memberships anonymised"),
    "contacts.exported": _l("Contacts exported"),
}


def register(app):
    from intranet.directory import search_provider, services
    from intranet.directory.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.search_provider(search_provider.PROVIDER)
    offered.personal_data_export.connect(services.export_directory_data)
    offered.person_erasing.connect(services.remove_entry_links)
    offered.account_erasing.connect(services.forget_consent_recorder)
    offered.audit(AUDIT_KINDS)
