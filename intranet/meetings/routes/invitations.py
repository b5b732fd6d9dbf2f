"""Meeting pages: the workflow's buttons without a form of their own (sending the invitation,
withdrawing a cancellation) and sending failed mails again."""

from flask import flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.core import mail as core_mail
from intranet.core import outbox
from intranet.meetings import access, mail
from intranet.meetings import planning as meetings_planning
from intranet.meetings import series as meetings_series
from intranet.meetings.routes.blueprint import bp
from intranet.meetings.routes.planning import _message_with_mail
from intranet.platform.htmx import flash_at, redirect_to
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext


@bp.post("/meetings/<id:meeting_id>/mail/retry")
def retry_mail(meeting_id):
    """Send the failed mails about this meeting once more (the outbox tries them again)."""
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    if EmptyForm().validate_on_submit():
        count = outbox.retry(about=mail.about(context.meeting))
        if count:
            flash_at(
                "delivery",
                ngettext(
                    "%(num)s email will be sent again.", "%(num)s emails will be sent again.", count
                ),
            )
    return redirect_to(url_for("meetings.show", meeting_id=meeting_id, _anchor="delivery"))


LEGACY_STATES = {"invited": "invite"}


@bp.post("/meetings/<id:meeting_id>/state")
def change_state(meeting_id):
    """The workflow's buttons without a form of their own: send the invitation, withdraw a
    cancellation. Cancelling has its form (a reason), "held" comes with the attendance."""
    context = access.get_meeting_or_404(meeting_id, for_edit=True, account=current_user)
    if EmptyForm().validate_on_submit():
        # `state=invited` is what the button sent before the workflow had named actions.
        action = request.form.get("action") or LEGACY_STATES.get(request.form.get("state"), "")
        try:
            version = int(request.form.get("version") or 0) or None
        except ValueError:
            version = None
        if action == "invite":
            return _invite(context)
        try:
            if action == "uncancel":
                meeting = meetings_planning.uncancel_meeting(context.meeting, version, current_user)
            else:
                raise access.MeetingError(_("This change of state is not possible."))
        except access.MeetingError as error:
            flash(str(error), "error")
        else:
            message = _("The cancellation is withdrawn: the meeting takes place.")
            flash(_message_with_mail(message, meeting.mailed), "success")
    return redirect_to(url_for("meetings.show", meeting_id=meeting_id))


def _invite(context):
    """Send the invitation for this meeting, the whole series or the chosen occurrences; the
    outcome is shown in the planning section, where the button is."""
    meeting_id = context.meeting.id
    scope = request.form.get("scope", "this")
    chosen = request.form.getlist("occurrence", type=int)
    try:
        result = meetings_series.invite_occurrences(context.meeting, current_user, scope, chosen)
    except access.MeetingError as error:
        flash_at("planning", str(error), "error")
        return redirect_to(url_for("meetings.show", meeting_id=meeting_id, _anchor="planning"))
    invited = result.meetings
    count = len(invited)
    if not invited:
        message = None
    elif core_mail.enabled():
        message = ngettext(
            "Invitation sent for %(num)s meeting.", "Invitation sent for %(num)s meetings.", count
        )
    else:
        message = ngettext(
            "The meeting is marked as invited, but no email was sent: email is switched off on this installation. Below is the invitation text to send yourself.",
            "%(num)s meetings are marked as invited, but no email was sent: email is switched off on this installation. Below is the invitation text to send yourself.",
            count,
        )
    if message:
        flash_at("planning", _message_with_mail(message, result.mailed))
    skipped = [
        (result.cancelled, ngettext(
            "%(num)s cancelled meeting was skipped.",
            "%(num)s cancelled meetings were skipped.",
            result.cancelled,
        )),
        (result.already, ngettext(
            "%(num)s meeting had already been invited and was skipped.",
            "%(num)s meetings had already been invited and were skipped.",
            result.already,
        )),
        (result.hidden, ngettext(
            "%(num)s meeting of the series is not shared with you and was left out.",
            "%(num)s meetings of the series are not shared with you and were left out.",
            result.hidden,
        )),
        (result.changed, ngettext(
            "%(num)s meeting was changed by someone else meanwhile and was not invited.",
            "%(num)s meetings were changed by someone else meanwhile and were not invited.",
            result.changed,
        )),
    ]  # fmt: skip
    for number, text in skipped:
        if number:
            flash_at("planning", text, "warning")
    # With mail off the page shows the text to copy for exactly the meetings invited now.
    ids = [m.id for m in invited] if invited and not core_mail.enabled() else None
    return redirect_to(
        url_for("meetings.show", meeting_id=meeting_id, invited=ids, _anchor="planning")
    )
