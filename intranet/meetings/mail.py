"""Invitations by email with the meeting attached as iCalendar (iTIP METHOD:REQUEST/CANCEL).

Only when INTRANET_MAIL_SERVER is set; otherwise every function does nothing and the pages say
that mail is off. What a mail carries follows the sharing label, as the feed does: AMBER+STRICT
only title and time, RED no detail at all (a pointer to the intranet only, no attachment).
The messages are built here; `intranet.core.mail` sends them, and the route tells the user.
"""

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import icalendar
from flask import url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from intranet.auth.models import Account
from intranet.core import mail as transport
from intranet.core import sharing
from intranet.core.cleaning import clean_line
from intranet.core.mail import enabled
from intranet.meetings import ics, services, times

__all__ = [
    "Sent",
    "enabled",
    "invitation_text",
    "notify_update",
    "recipients",
    "send_invitations",
    "send_series_invitations",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """What became of the mails of one action: how many went out, and whether sending failed
    (then the invited have to be told another way)."""

    count: int = 0
    failed: bool = False

    def __add__(self, other: "Sent") -> "Sent":
        return Sent(self.count + other.count, self.failed or other.failed)


def recipients(context: services.MeetingContext) -> list[Account]:
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


def _one_line(text: str) -> str:
    # A title with CR/LF must not become a second mail header.
    return " ".join(text.split())


def _when(meeting) -> str:
    return (
        f"{times.to_local(meeting.start):%d.%m.%Y %H:%M}–{times.to_local(meeting.end):%H:%M} "
        f"({times.offset_label(meeting.start)})"
    )


def _link(meeting) -> str:
    return url_for("meetings.show", meeting_id=meeting.id, _external=True)


def _details(meeting) -> list[str]:
    """Title, time and, where the label allows, place and link (call inside force_locale)."""
    lines = [meeting.title, _when(meeting)]
    if sharing.shows_detail(meeting.label):
        if meeting.location_text:
            lines.append(meeting.location_text)
        if meeting.online_url:
            lines.append(meeting.online_url)
        if meeting.cancelled and meeting.cancel_reason:
            lines += ["", meeting.cancel_reason]
    return lines


def _text(meeting, method: str, update: bool) -> tuple[str, list[str]]:
    """Subject and body lines of the mail about one meeting (the same for every recipient)."""
    link = _link(meeting)
    with force_locale("de"):
        if meeting.label == sharing.RED:
            return _("A meeting you are named on has changed"), [
                _("Details only in the intranet:"),
                link,
            ]
        title = _one_line(meeting.title)
        if method == "CANCEL":
            subject = _("Cancelled: %(title)s", title=title)
        elif update:
            subject = _("Updated invitation: %(title)s", title=title)
        else:
            subject = _("Invitation: %(title)s", title=title)
        return subject, [*_details(meeting), "", _("In the intranet:"), link]


def _series_text(meetings) -> tuple[str, list[str]]:
    """Subject and body of one invitation to several meetings: each date with its link; a RED
    meeting only as a pointer to the intranet, as in its own mail."""
    with force_locale("de"):
        titles = {_one_line(m.title) for m in meetings if m.label != sharing.RED}
        if len(titles) == 1 and all(m.label != sharing.RED for m in meetings):
            subject = ngettext(
                "Invitation: %(title)s (%(num)s meeting)",
                "Invitation: %(title)s (%(num)s meetings)",
                len(meetings),
                title=titles.pop(),
            )
        else:
            subject = ngettext(
                "Invitation to %(num)s meeting", "Invitation to %(num)s meetings", len(meetings)
            )
        lines = [
            ngettext(
                "You are invited to this meeting:",
                "You are invited to these %(num)s meetings:",
                len(meetings),
            )
        ]
        for meeting in meetings:
            lines.append("")
            if meeting.label == sharing.RED:
                lines += [_("A meeting you are named on; details only in the intranet:")]
            else:
                lines += _details(meeting)
            lines.append(_link(meeting))
    return subject, lines


def invitation_text(meetings) -> tuple[str, str]:
    """Subject and body of the invitation to `meetings`, exactly as it is mailed: for people
    to copy when this installation sends no mail."""
    if len(meetings) == 1:
        subject, lines = _text(meetings[0], "REQUEST", False)
    else:
        subject, lines = _series_text(meetings)
    return subject, "\n".join(lines)


def _envelope(account, subject: str, lines: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = transport.sender()
    message["To"] = account.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="sicherheitsdialog")
    message.set_content("\n".join(lines))
    return message


def _add_calendar(message, meeting, account, method: str, filename: str = "einladung.ics"):
    if meeting.label != sharing.RED:
        message.add_attachment(
            _attachment(meeting, account, method),
            maintype="text",
            subtype="calendar",
            filename=filename,
            params={"method": method},
        )


def _message(meeting, account, method: str, update: bool) -> EmailMessage:
    message = _envelope(account, *_text(meeting, method, update))
    _add_calendar(message, meeting, account, method)
    return message


def _series_message(meetings, account) -> EmailMessage:
    """One mail for several meetings. iTIP allows one event (UID) per calendar object, so each
    meeting comes as its own .ics attachment, which calendar programs take one by one."""
    message = _envelope(account, *_series_text(meetings))
    for number, meeting in enumerate(meetings, 1):
        _add_calendar(message, meeting, account, "REQUEST", f"einladung-{number}.ics")
    return message


def _attachment(meeting, account, method: str) -> bytes:
    calendar = ics.new_calendar(method)
    event = ics.meeting_event(meeting, method=method)
    event.add("organizer", icalendar.vCalAddress(f"mailto:{transport.sender()}"))
    attendee = icalendar.vCalAddress(f"mailto:{account.email}")
    attendee.params["cn"] = icalendar.vText(clean_line(account.display_name))
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(ics.berlin_timezone())
    calendar.add_component(event)
    return calendar.to_ical()


def _send(messages: list[EmailMessage]) -> Sent:
    if not messages:
        return Sent()
    try:
        return Sent(transport.send(messages))
    except transport.MailError:
        log.exception("sending invitation mails failed (%d messages)", len(messages))
        return Sent(failed=True)


def send_invitations(meeting, update: bool = False) -> Sent | None:
    """Mail every invited account (METHOD:REQUEST, or CANCEL for a cancelled meeting).
    None when mail is off."""
    if not enabled():
        return None
    context = services.load_context(meeting)
    method = "CANCEL" if meeting.cancelled else "REQUEST"
    return _send([_message(meeting, account, method, update) for account in recipients(context)])


def send_series_invitations(meetings) -> Sent | None:
    """Invite to several meetings at once (occurrences of a series): one mail per recipient that
    lists every date they are invited to, not one mail per date. Who receives which date follows
    each meeting's own invited and label. None when mail is off."""
    if not enabled():
        return None
    if len(meetings) == 1:
        return send_invitations(meetings[0])
    per_account: dict[int, tuple[Account, list]] = {}
    for meeting in meetings:
        for account in recipients(services.load_context(meeting)):
            per_account.setdefault(account.id, (account, []))[1].append(meeting)
    return _send(
        [
            _series_message(own, account)
            if len(own) > 1
            else _message(own[0], account, "REQUEST", False)
            for account, own in per_account.values()
        ]
    )


def notify_update(meetings) -> Sent | None:
    """After an edit or cancellation: tell those already invited (others hear at invitation)."""
    if not enabled():
        return None
    sent = Sent()
    for meeting in meetings:
        if meeting.state == "invited":
            sent += send_invitations(meeting, update=True)
    return sent
