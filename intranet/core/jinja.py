"""What every page's template may use from core: the sharing labels, the words for roles and
other stored codes, the site settings and the partials that areas offer to each other's pages
(`core.areas`)."""

from intranet.core import areas, sharing, site_settings
from intranet.core.accounts import OrganizationKind, OrganizationStatus, Role
from intranet.core.models import MailState


def init_app(app):
    app.jinja_env.globals.update(
        LABEL_NAMES=sharing.LABEL_NAMES,
        LABEL_PLAIN=sharing.LABEL_PLAIN,
        # Stored codes → their words; the codes and words live in the enums.
        ROLE_LABELS=Role.labels(),
        ROLE_DESCRIPTIONS=Role.descriptions(),
        MAIL_STATE_LABELS=MailState.labels(),
        ORGANIZATION_KIND_LABELS=OrganizationKind.labels(),
        ORGANIZATION_STATUS_LABELS=OrganizationStatus.labels(),
        partials=areas.partials,
    )

    @app.context_processor
    def site_context():
        return {"site": site_settings.get_all()}
