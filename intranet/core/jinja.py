"""What every page's template may use from core: the sharing labels, the site settings and the
partials that areas offer to each other's pages (`core.areas`)."""

from intranet.core import areas, sharing, site_settings


def init_app(app):
    app.jinja_env.globals.update(
        LABEL_NAMES=sharing.LABEL_NAMES,
        LABEL_PLAIN=sharing.LABEL_PLAIN,
        partials=areas.partials,
    )

    @app.context_processor
    def site_context():
        return {"site": site_settings.get_all()}
