"""Meeting pages: calendar files, the personal calendar feed and its address."""

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.core import sharing
from intranet.meetings import access, feeds, ics
from intranet.meetings.routes.blueprint import bp
from intranet.platform.htmx import redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _
from intranet.platform.web import conditional, download


@bp.get("/meetings/<id:meeting_id>.ics", endpoint="ics")
def ics_file(meeting_id):
    context = access.get_meeting_or_404(meeting_id, account=current_user)
    if not sharing.in_feeds(context.meeting.label):
        abort(404)  # RED never leaves the intranet (and nothing was read)
    meeting = context.meeting
    filename, unicode_name = ics.meeting_filenames(meeting)
    return conditional(
        feeds.meeting_version(meeting),
        meeting.updated_at,
        lambda: download(
            ics.calendar_bytes([meeting], method="PUBLISH"),
            filename,
            "text/calendar",
            unicode_name,
        ),
    )


@bp.get("/calendar.ics")
def feed():
    account = feeds.account_for(request.args.get("token"))
    if account is None:
        abort(404)
    # Calendar programs poll every few minutes: answer an unchanged feed without rendering it.
    alarm = feeds.alarm_minutes(account)
    etag, last_modified, since = feeds.feed_version(account, alarm)
    query = feeds.feed_meetings(account, since)
    name = current_app.config["FORUM_NAME"]

    def build():
        body = feeds.feed_body(etag, lambda: ics.calendar_bytes(query, name=name, alarm=alarm))
        return download(body, "kalender.ics", "text/calendar")

    return conditional(etag, last_modified, build)


@bp.post("/calendar/feed-token")
def renew_feed_token():
    in_place = wants_fragment("feed-token") and request.headers.get("HX-Request")
    if EmptyForm().validate_on_submit():
        renewing = feeds.current_token(current_user) is not None
        if renewing and request.form.get("confirm") != "yes":
            # Renewing stops the old address in every subscribed program: only when confirmed.
            return render(
                "meetings/feed_renew.html",
                "meetings/_feed_token.html",
                status=422,
                renew_error=_(
                    "Please confirm with the checkbox that the old address may stop working."
                ),
            )
        feeds.renew(current_user)
        if renewing:
            flash(_("Your calendar address is new; the old one no longer works."), "success")
        else:  # a first address replaces nothing
            flash(
                _("Your calendar address is ready: copy it into your calendar program."), "success"
            )
    if in_place:
        return render("meetings/_feed_token.html", "meetings/_feed_token.html")
    return redirect_to(url_for("auth.account"))


@bp.app_template_filter("webcal")
def webcal(url: str) -> str:
    """The feed's address for calendar programs: `webcal://` opens the subscribe dialogue."""
    return "webcal://" + url.split("://", 1)[-1]
