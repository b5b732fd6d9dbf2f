"""Invitations by email with the meeting attached as iCalendar (iTIP METHOD:REQUEST/CANCEL).

Written as one mail job (core.mail.queue_job) inside the transaction that invites, changes or
cancels the meeting; the delivery loop turns it into one mail per person in their language and
delivers them in the background. Only when INTRANET_MAIL_SERVER is set; otherwise nothing is
queued and the pages say that mail is off.
What a mail carries follows core.sharing.MailPolicy: CLEAR, GREEN and AMBER meetings are named
with their details; for AMBER+STRICT and RED the mail says only that a meeting waits, with the
link, and its calendar file carries time and place without the title. Each person is told as
they chose (core.notifications), read when the job is turned into mails; those who accepted
are reminded before the meeting.
"""

import datetime as dt

import icalendar
from icalendar.parser import Contentline
from peewee import Case, Value

from intranet.core import mail, notifications, sharing, site_settings, times
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.meetings import ics
from intranet.meetings.models import Answer, InvitationAnswer, Meeting
from intranet.platform.cleaning import clean_line
from intranet.platform.db import write_transaction

KIND = "meeting"
SERIES_KIND = "meeting_series"


def recipients(context) -> list[Account]:
    """Everyone invited who may see the meeting: the named persons for RED, otherwise the
    active accounts of the organiser and the invited organisations, read with only what the
    mail job and the sharing rule need (forty whole account rows were the largest part of
    what inviting them cost the page)."""
    meeting = context.meeting
    if meeting.label == sharing.RED:
        accounts = [a for a in context.persons if a.active]
    else:
        accounts = list(
            Account.select(Account.id, Account.email, Account.organization, Account.active)
            .where(
                Account.organization.in_(list(context.organization_ids)) & (Account.active == True)  # noqa: E712
            )
            .order_by(Account.id)
        )
    audience = context.audience  # built once, not once per account
    return [a for a in accounts if audience.visible_to(a)]


def about(meeting) -> str:
    """How the outbox names a meeting, for its delivery state on the meeting's page."""
    return ref("meeting", meeting.id)


def may_name_meeting(meeting_id: int, account) -> bool | None:
    """Whether `account` may still see the meeting (None: no), and a mail may name it."""
    from intranet.meetings.access import load_context

    meeting = Meeting.get_or_none(Meeting.id == meeting_id)
    if meeting is None:
        return None
    context = load_context(meeting)
    if not context.visible_to(account):
        return None
    return policy(context).names_for(account)


def policy(context) -> sharing.MailPolicy:
    """What mails may say about the meeting of `context` (meetings.access.MeetingContext):
    its whole audience, so that an AMBER meeting is named to the accounts of its organiser and
    invited organisations, and to nobody else."""
    return sharing.MailPolicy(context.audience)


def _entry(meeting, named: bool = True) -> dict:
    """What the templates may say about one meeting: title and time, and place, online address
    and cancellation reason only where the label allows (`detail`); nothing but the link for
    a meeting a mail may not name (`hidden`)."""
    local_start, local_end = times.to_local(meeting.start), times.to_local(meeting.end)
    # The mail says once that times are Berlin's; an offset only where the clock is ambiguous.
    offset = times.ambiguous_offset(meeting.start)
    return {
        "hidden": not named,
        "detail": named and sharing.shows_detail(meeting.label),
        "title": mail.one_line(meeting.title) if named else None,
        "when": f"{local_start:%d.%m.%Y %H:%M}–{local_end:%H:%M}"
        + (f" ({offset})" if offset else ""),
        "location": meeting.location_text,
        "online_url": meeting.online_url,
        "cancel_reason": meeting.cancel_reason if meeting.cancelled else "",
        "link": notifications.link("meetings.show", meeting_id=meeting.id),
    }


def _series_title(contexts, account) -> str | None:
    """The common title of a series invitation's subject; None when titles differ or one of
    the meetings may not be named (its title must not appear)."""
    titles = {mail.one_line(c.meeting.title) for c in contexts}
    if len(titles) == 1 and all(policy(c).names_for(account) for c in contexts):
        return titles.pop()
    return None


def _context(contexts, account, method: str = "REQUEST", update: bool = False, made=None):
    """Template context of the mail to `account` about the meetings of `contexts`; `made` (a
    dict kept while inviting many) keeps each meeting's entry, which is the same for everyone
    it may name."""

    def entry(context):
        meeting = context.meeting
        named = policy(context).names_for(account)
        if made is None:
            return _entry(meeting, named)
        key = ("entry", meeting.id, named)
        if key not in made:
            made[key] = _entry(meeting, named)
        return made[key]

    if len(contexts) == 1:
        return KIND, {"entry": entry(contexts[0]), "method": method, "update": update}
    entries = [entry(c) for c in contexts]
    return SERIES_KIND, {"entries": entries, "title": _series_title(contexts, account)}


def invitation_text(meetings, actor) -> tuple[str, str]:
    """Subject and text of the invitation to `meetings`, as it is mailed: for `actor`, who
    plans them, to copy when this installation sends no mail."""
    from intranet.meetings.access import load_context

    kind, context = _context([load_context(m) for m in meetings], actor)
    composed = mail.compose(kind, mail.language_of(actor), copy=True, **context)
    return composed.subject, composed.text.strip()


END_OF_EVENT = b"END:VEVENT\r\n"


def _calendar(context, account, method: str, filename: str, made=None) -> list[mail.Attachment]:
    """The meeting of `context` as an iTIP calendar file naming `account` as attendee. The file
    is the same for every recipient but that line: with `made` (a dict kept while inviting
    many), it is built once and each recipient's ATTENDEE line is put in."""
    meeting = context.meeting
    key = (meeting.id, method)
    if made is None or key not in made:
        calendar = ics.new_calendar(method)
        titled = policy(context).calendar_title
        event = ics.meeting_event(meeting, method=method, titled=titled)
        event.add("organizer", icalendar.vCalAddress(f"mailto:{mail.sender()}"))
        calendar.add_component(ics.berlin_timezone())
        calendar.add_component(event)
        body = calendar.to_ical()
        cut = body.rindex(END_OF_EVENT)
        parts = (body[:cut], body[cut:])
        if made is not None:
            made[key] = parts
    else:
        parts = made[key]
    attendee = icalendar.vCalAddress(f"mailto:{account.email}")
    attendee.params["cn"] = icalendar.vText(clean_line(account.display_name))
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    # The line as icalendar writes it in an event (escaped, folded), without building one:
    # a whole event per recipient cost a plenary's invitation more than its database rows.
    line = Contentline.from_parts("ATTENDEE", attendee.params, attendee, sorted=True).to_ical()
    line += b"\r\n"
    content_type = f"text/calendar; method={method}"
    return [mail.Attachment(filename, content_type, parts[0] + line + parts[1])]


# The mail job of an invitation (core.mail.queue_job): to one meeting (`meetings`, `method`,
# `update`), or to a series' dates (`own`: each account's meetings).
JOB = "meeting_invitations"


def queue_invitations(context, actor, update: bool = False) -> int | None:
    """Queue a mail to every invited account (METHOD:REQUEST, or CANCEL for a cancelled
    meeting). Call inside the transaction of the change; None when mail is off."""
    if not mail.enabled():
        return None
    meeting = context.meeting
    method = "CANCEL" if meeting.cancelled else "REQUEST"
    accounts = recipients(context)
    _queue_job(
        accounts, meeting, actor,
        meetings=[meeting.id], method=method, update=update,
    )  # fmt: skip
    return len(accounts)


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
            per_account.setdefault(account.id, (account, []))[1].append(context.meeting.id)
    own = {str(account_id): ids for account_id, (_account, ids) in per_account.items()}
    accounts = [account for account, _ids in per_account.values()]
    _queue_job(accounts, about_meeting, actor, own=own)
    return len(per_account)


def _queue_job(accounts, about_meeting, actor, **params) -> None:
    """One row for the whole invitation, which the delivery loop turns into the mails (see
    `_expand`): the page neither reads the recipients' choices nor writes a text, a calendar
    file or a summary entry for anyone, so it costs the same for forty people as for one."""
    notifications.remember_address()
    mail.queue_job(
        JOB, [account for account in accounts if account.email],
        about=about(about_meeting), caused_by=actor, about_meeting=about_meeting.id, **params,
    )  # fmt: skip


@mail.expander(JOB)
def _expand(job, accounts, *, about_meeting, batch, **params) -> None:
    """The mails of an invitation job, from the meetings as they are now, to the accounts of
    the moment of the change that are still active, each as they choose now: at once, in
    their daily summary (dated with the change), or not at all. A meeting deleted since is
    left out, and so is each meeting a recipient may no longer see: the mail says what the
    meeting is now, so it goes only to whom its audience now admits (a meeting made RED
    between the change and this moment is mailed to the persons named on it, no one else)."""
    from intranet.meetings.access import load_context

    about_row = Meeting.get_or_none(Meeting.id == about_meeting)
    if about_row is None:
        return
    accounts = [a for a in accounts if a.active]
    series = "own" in params
    ids = (
        sorted({i for own in params["own"].values() for i in own}) if series else params["meetings"]
    )
    meetings = {m.id: m for m in Meeting.select().where(Meeting.id.in_(ids))} if ids else {}
    contexts = {meeting_id: load_context(m) for meeting_id, m in meetings.items()}
    notifications.prefetch(accounts)
    # An invitation names none of its recipients in its text: composed once per language.
    shared, made = {}, {}
    told = dict(shared=shared, batch=batch, kept_at=job.created_at)
    for account in accounts:
        if not series:
            meeting = meetings.get(params["meetings"][0])
            if meeting is None:
                return
            context = contexts[meeting.id]
            if not context.visible_to(account):
                continue
            method, update = params["method"], params["update"]
            template_context = _context([context], account, method, update, made)
            attachments = _calendar(context, account, method, "einladung.ics", made)
        else:
            own = [
                contexts[i]
                for i in params["own"].get(str(account.id), ())
                if i in contexts and contexts[i].visible_to(account)
            ]
            if not own:
                continue
            template_context = _context(own, account, made=made)
            attachments = []
            for number, context in enumerate(own, 1):
                name = "einladung.ics" if len(own) == 1 else f"einladung-{number}.ics"
                attachments += _calendar(context, account, "REQUEST", name, made)
        kind_of_mail, values = template_context
        _queue(account, kind_of_mail, values, attachments, about_row, job.caused_by_id, **told)


def _own_meetings(params, account_id) -> list[int]:
    """The meetings a job invites `account_id` to: the one meeting, or their series dates."""
    if "own" in params:
        return params["own"].get(str(account_id), [])
    return params["meetings"]


@mail.describer(JOB)
def _pending(job, params, account, viewer) -> dict:
    """A pending invitation as the access export lists it: the kind of mail and each meeting,
    named only where the mail will name it (MailPolicy) and `viewer` may see it."""
    from intranet.meetings.access import load_context, visible_clause
    from intranet.privacy.services import labelled_entry

    ids = _own_meetings(params, account.id)
    # Whether the viewer may see each meeting, read with it (an admin sees by the label only).
    seen = Case(None, [(visible_clause(viewer), 1)], 0) if viewer is not None else Value(0)
    meetings = (
        Meeting.select(Meeting, seen.alias("seen"))
        .where(Meeting.id.in_(ids or [0]))
        .order_by(Meeting.start, Meeting.id)
    )
    entries = []
    for meeting in meetings:
        summary = {
            "meeting_id": meeting.id,
            "start_utc": meeting.start.isoformat(),
            "label": sharing.LABEL_NAMES.get(meeting.label, meeting.label),
        }
        if not meeting.seen:
            entries.append(labelled_entry(False, summary, {}))
        elif policy(load_context(meeting)).names_for(account):
            entries.append({**summary, "meeting": mail.one_line(meeting.title)})
        else:
            entries.append(summary)  # the mail says only that a meeting waits
    return {
        "kind": KIND if len(ids) == 1 else SERIES_KIND,
        "method": params.get("method", "REQUEST"),
        "changed": bool(params.get("update")),
        "meetings": entries,
    }


@mail.forgetter(JOB)
def _forget(params, account_id) -> dict:
    params.get("own", {}).pop(str(account_id), None)
    return params


def _queue(account, kind, template_context, attachments, about_meeting, actor, **told):
    return notifications.tell(
        kind,
        account,
        told.pop("topic", notifications.INVITATIONS),
        notifications.link("meetings.show", meeting_id=about_meeting.id),
        about=about(about_meeting),
        caused_by=actor,
        attachments=attachments,
        **told,
        **template_context,
    )


# --- Reminders (core.notifications runs this in the delivery loop) ------------------------------

REMINDER_KIND = "meeting_reminder"


def remind(now) -> int:
    """Remind everyone who accepted a meeting that starts within the admin's number of days
    (default 2), once per person and meeting, if they may still see it."""
    from intranet.meetings.access import load_context

    ahead = now + dt.timedelta(days=site_settings.meeting_reminder_days())
    meetings = Meeting.select().where(
        (Meeting.start > now) & (Meeting.start <= ahead) & (Meeting.cancelled == False)  # noqa: E712
    )
    told = 0
    for meeting in meetings:
        context = load_context(meeting)
        accepted = (
            Account.select()
            .join(Answer, on=(Answer.account == Account.id))
            .where((Answer.meeting == meeting.id) & (Answer.answer == InvitationAnswer.YES))
            .where(Account.active == True)  # noqa: E712
        )
        for account in accepted:
            if not context.visible_to(account):
                continue
            with write_transaction():
                told += bool(
                    _queue(
                        account,
                        REMINDER_KIND,
                        {"entry": _entry(meeting, policy(context).names_for(account))},
                        _calendar(context, account, "PUBLISH", "termin.ics"),
                        meeting,
                        None,
                        topic=notifications.REMINDERS,
                        once=f"reminder:meeting:{meeting.id}",
                    )
                )
    return told
