"""Template helpers: local time, labels for stored codes, the current locale."""

import datetime as dt

from flask import current_app
from flask_babel import format_date, format_datetime, format_time, get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from intranet.core import sharing, site_settings

ROLE_LABELS = {
    "admin": lazy_pgettext("role", "Administration"),
    "coordinator": _l("Coordination"),
    "reviewer": _l("Review"),
    "member": _l("Participant"),
}
ORGANIZATION_KIND_LABELS = {
    "authority": _l("Authority"),
    "association": _l("Association"),
    "counselling": _l("Counselling service"),
    "other": _l("Other"),
}
ORGANIZATION_STATUS_LABELS = {
    "signatory": _l("Signatory"),
    "guest": _l("Guest"),
}


def local_time(value: dt.datetime | None, format: str | None = None) -> str:
    """Show a stored (naive UTC) time in Europe/Berlin, by default as "26.11.2026, 14:30"."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    if format is None:
        return f"{format_date(aware, 'medium')}, {format_time(aware, 'short')}"
    return format_datetime(aware, format)


def init_app(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        get_locale=get_locale,
        # Navigation shows an area only once its blueprint is installed.
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
        ROLE_LABELS=ROLE_LABELS,
        ORGANIZATION_KIND_LABELS=ORGANIZATION_KIND_LABELS,
        ORGANIZATION_STATUS_LABELS=ORGANIZATION_STATUS_LABELS,
        LABEL_NAMES=sharing.LABEL_NAMES,
        LABEL_PLAIN=sharing.LABEL_PLAIN,
    )

    @app.context_processor
    def site_context():
        return {
            "forum_name": current_app.config["FORUM_NAME"],
            "site": site_settings.get_all(),
        }
