"""The meetings area's one blueprint and what its pages share: the sign-in check (the feed
excepted), the planner check, the labels, filters and globals of the templates, the
organisations to choose from and a service's error shown at its field. The route modules
beside this one add their pages to `bp`."""

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from intranet.auth.access import require_login
from intranet.core import mail as core_mail
from intranet.core import sharing, times
from intranet.core.text import render_markdown
from intranet.meetings import access, feeds, rules
from intranet.meetings import overview as meetings_overview
from intranet.platform.filters import formatted
from intranet.platform.i18n import lazy_gettext as _l

bp = Blueprint("meetings", __name__)

PUBLIC_ENDPOINTS = {"meetings.feed"}  # the feed authenticates by its token, not a session


@bp.before_request
def _login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return require_login()


def _require_planner():
    if not access.can_plan(current_user):
        abort(404)


@bp.app_context_processor
def _labels():
    return {
        "LABEL_NAMES": sharing.LABEL_NAMES,
        "STATE_LABELS": rules.STATE_LABELS,
        "MEETING_EVENT_LABELS": rules.EVENT_LABELS,
        "ANSWER_LABELS": {"yes": _l("Accepted"), "no": _l("Declined"), "maybe": _l("Maybe")},
        "ATTENDANCE_LABELS": {
            "present": _l("present"),
            "excused": _l("excused"),
            "absent": _l("not represented"),
        },
    }


@bp.app_template_filter("meeting_time")
def meeting_time(value, format="HH:mm"):
    """A stored UTC time as Berlin clock time (e.g. '18:00')."""
    return formatted("time", times.to_local(value), format) if value else ""


@bp.app_template_filter("meeting_date")
def meeting_date(value, format="full"):
    return formatted("date", times.to_local(value).date(), format) if value else ""


@bp.app_template_filter("markdown")
def markdown_filter(text):
    return render_markdown(text)


@bp.app_template_filter("date_format")
def date_format(value, format="medium"):
    return formatted("date", value, format)


@bp.app_template_global()
def month_name(first):
    return formatted("date", first, "LLLL y")


@bp.app_template_global()
def time_offset(value):
    return times.offset_label(value)


@bp.app_template_global()
def upcoming_meetings_for(organization, limit=5):
    """For the organisation page: its upcoming meetings that the current user may see."""
    return meetings_overview.upcoming_for_organization(current_user, organization, limit)


@bp.app_template_global()
def calendar_feed_url():
    """The signed-in account's personal feed address, or None before one was made."""
    if not current_user.is_authenticated:
        return None
    token = feeds.current_token(current_user)
    return url_for("meetings.feed", token=token, _external=True) if token else None


@bp.app_template_global()
def mail_enabled():
    return core_mail.enabled()


def _form_error(form, error: access.MeetingError):
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        form.problems.append(str(error))
