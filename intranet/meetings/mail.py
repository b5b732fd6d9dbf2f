"""Invitations by email with the meeting attached as iCalendar (iTIP METHOD:REQUEST/CANCEL).

Queued into the outbox (core.mail) inside the transaction that invites, changes or cancels the
meeting, one mail per person in their language; delivered in the background. Only when
INTRANET_MAIL_SERVER is set; otherwise nothing is queued and the pages say that mail is off.
What a mail carries follows the sharing label, as the feed does: AMBER+STRICT only title and
time, RED no detail at all (a pointer to the intranet only, no attachment).
"""

import icalendar
from flask import url_for
from flask_login import current_user

from intranet.auth.models import Account
from intranet.core import mail, sharing
from intranet.core.cleaning import clean_line
from intranet.meetings import ics, times

KIND = "meeting"
SERIES_KIND = "meeting_series"


def recipients(context) -> list[Account]:
    """Everyone invited who may see the meeting: the named persons for RED, otherwise the
    active accounts of the organiser and the invited organisations."""
    meeting = context.meeting
    if meeting.label == sharing.RED:
        accounts = [a for a in context.persons if a.active]
    else:
        accounts = list(
            Account.select()
            .where(
                Account.organization.in_(list(context.organization_ids)) & (Account.active == True)  # noqa: E712
            )
            .order_by(Account.id)
        )
    return [a for a in accounts if context.visible_to(a)]


def about(meeting) -> str:
    """How the outbox names a meeting, for its delivery state on the meeting's page."""
    return f"meeting:{meeting.id}"


def _entry(meeting) -> dict:
    """What the templates may say about one meeting: title and time, and place, online address
    and cancellation reason only where the label allows (`detail`)."""
    local_start, local_end = times.to_local(meeting.start), times.to_local(meeting.end)
    # The mail says once that times are Berlin's; an offset only where the clock is ambiguous.
    offset = times.ambiguous_offset(meeting.start)
    return {
        "red": meeting.label == sharing.RED,
        "detail": sharing.shows_detail(meeting.label),
        "title": mail.one_line(meeting.title),
        "when": f"{local_start:%d.%m.%Y %H:%M}–{local_end:%H:%M}"
        + (f" ({offset})" if offset else ""),
        "location": meeting.location_text,
        "online_url": meeting.online_url,
        "cancel_reason": meeting.cancel_reason if meeting.cancelled else "",
        "link": url_for("meetings.show", meeting_id=meeting.id, _external=True),
    }


def _series_title(meetings) -> str | None:
    """The common title of a series invitation's subject; None when titles differ or a RED
    meeting is among them (its title must not appear)."""
    titles = {mail.one_line(m.title) for m in meetings}
    if len(titles) == 1 and all(m.label != sharing.RED for m in meetings):
        return titles.pop()
    return None


def _context(meetings, method: str = "REQUEST", update: bool = False) -> tuple[str, dict]:
    if len(meetings) == 1:
        return KIND, {"entry": _entry(meetings[0]), "method": method, "update": update}
    entries = [_entry(m) for m in meetings]
    return SERIES_KIND, {"entries": entries, "title": _series_title(meetings)}


def invitation_text(meetings) -> tuple[str, str]:
    """Subject and text of the invitation to `meetings`, as it is mailed: for people to copy
    when this installation sends no mail."""
    kind, context = _context(meetings)
    composed = mail.compose(kind, mail.language_of(current_user), copy=True, **context)
    return composed.subject, composed.text.strip()


def _calendar(meeting, account, method: str, filename: str) -> list[mail.Attachment]:
    if meeting.label == sharing.RED:
        return []
    calendar = ics.new_calendar(method)
    event = ics.meeting_event(meeting, method=method)
    event.add("organizer", icalendar.vCalAddress(f"mailto:{mail.sender()}"))
    attendee = icalendar.vCalAddress(f"mailto:{account.email}")
    attendee.params["cn"] = icalendar.vText(clean_line(account.display_name))
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(ics.berlin_timezone())
    calendar.add_component(event)
    content_type = f"text/calendar; method={method}"
    return [mail.Attachment(filename, content_type, calendar.to_ical())]


def queue_invitations(context, actor, update: bool = False) -> int | None:
    """Queue a mail to every invited account (METHOD:REQUEST, or CANCEL for a cancelled
    meeting). Call inside the transaction of the change; None when mail is off."""
    if not mail.enabled():
        return None
    meeting = context.meeting
    method = "CANCEL" if meeting.cancelled else "REQUEST"
    kind, template_context = _context([meeting], method, update)
    accounts = recipients(context)
    for account in accounts:
        attachments = _calendar(meeting, account, method, "einladung.ics")
        _queue(account, kind, template_context, attachments, meeting, actor)
    return len(accounts)


def _queue(account, kind, template_context, attachments, about_meeting, actor) -> None:
    mail.queue(
        kind,
        account.email,
        account=account,
        about=about(about_meeting),
        caused_by=actor,
        attachments=attachments,
        **template_context,
    )


def queue_series_invitations(contexts, actor, about_meeting) -> int | None:
    """Invite to several meetings at once (occurrences of a series): one mail per recipient that
    lists every date they are invited to, not one mail per date. Who receives which date follows
    each meeting's own invited and label. The delivery state shows on `about_meeting`'s page.
    None when mail is off."""
    if not mail.enabled():
        return None
    per_account: dict[int, tuple[Account, list]] = {}
    for context in contexts:
        for account in recipients(context):
            per_account.setdefault(account.id, (account, []))[1].append(context.meeting)
    for account, own in per_account.values():
        kind, template_context = _context(own)
        attachments = []
        for number, meeting in enumerate(own, 1):
            name = "einladung.ics" if len(own) == 1 else f"einladung-{number}.ics"
            attachments += _calendar(meeting, account, "REQUEST", name)
        _queue(account, kind, template_context, attachments, about_meeting, actor)
    return len(per_account)
