"""iCalendar (RFC 5545) output, built with the icalendar library only: escaping and line
folding are the library's, so no title can break an event apart."""

import datetime as dt
import re
import unicodedata

import icalendar
from flask import current_app, url_for

from intranet.core import sharing
from intranet.core.search import EXTRA_FOLDS
from intranet.core.text import markdown_to_plain
from intranet.core.times import BERLIN
from intranet.meetings.models import MeetingState
from intranet.platform.cleaning import clean_line, clean_text
from intranet.platform.db import utcnow

PRODID = "-//Sicherheitsdialog Dresden//Intranet//DE"


def new_calendar(method: str | None = None, name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", clean_line(name))
        calendar.add("x-wr-timezone", "Europe/Berlin")
        # How often subscribing programs should fetch the feed again (RFC 7986; Outlook's own).
        calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    return calendar


def berlin_timezone() -> icalendar.Timezone:
    """VTIMEZONE for Europe/Berlin with the EU rule as RRULEs (last Sunday of March / October).

    icalendar can derive one from zoneinfo, but as a long list of RDATEs that some readers
    (vobject, older Outlook versions) misread as a fixed offset; the two-rule form is what
    calendar programs themselves write and read everywhere.
    """
    timezone = icalendar.Timezone()
    timezone.add("tzid", "Europe/Berlin")
    timezone.add("x-lic-location", "Europe/Berlin")
    for kind, name, start, month, before, after in (
        (icalendar.TimezoneDaylight, "CEST", dt.datetime(1981, 3, 29, 2, 0), 3, 1, 2),
        (icalendar.TimezoneStandard, "CET", dt.datetime(1996, 10, 27, 3, 0), 10, 2, 1),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("tzoffsetfrom", dt.timedelta(hours=before))
        part.add("tzoffsetto", dt.timedelta(hours=after))
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        timezone.add_component(part)
    return timezone


def _local(utc: dt.datetime) -> dt.datetime:
    return utc.replace(tzinfo=dt.UTC).astimezone(BERLIN)


def meeting_event(
    meeting, detail: bool | None = None, method: str | None = None, titled: bool = True
) -> icalendar.Event:
    """One VEVENT. Without `detail` (AMBER+STRICT) only title and time leave the intranet;
    not `titled` (a mail about a meeting it may not name, core.sharing.MailPolicy): time and
    place under the forum's name, nothing else.

    Text passes through the input cleaning once more: values stored before it existed may
    hold control characters, which RFC 5545 does not allow and calendar programs choke on."""
    if detail is None:
        detail = sharing.shows_detail(meeting.label)
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", utcnow().replace(tzinfo=dt.UTC))
    event.add("dtstart", _local(meeting.start))
    event.add("dtend", _local(meeting.end))
    event.add("summary", clean_line(meeting.title if titled else current_app.config["FORUM_NAME"]))
    event.add("sequence", meeting.sequence)
    event.add("last-modified", meeting.updated_at.replace(tzinfo=dt.UTC))
    event.add("class", "PUBLIC" if meeting.label == sharing.CLEAR else "CONFIDENTIAL")
    if meeting.cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add(
            "status",
            "CONFIRMED"
            if meeting.state in (MeetingState.INVITED, MeetingState.HELD)
            else "TENTATIVE",
        )
    if not titled:
        if meeting.location_text:
            event.add("location", clean_line(meeting.location_text))
    elif detail:
        event.add("url", url_for("meetings.show", meeting_id=meeting.id, _external=True))
        location = meeting.location_text
        if meeting.online_url:
            location = f"{location} – {meeting.online_url}" if location else meeting.online_url
        if location:
            event.add("location", clean_line(location))
        # Calendar programs show DESCRIPTION as plain text: the Markdown's words, not its signs.
        text = markdown_to_plain(meeting.description)
        if meeting.cancelled and meeting.cancel_reason:
            text = f"{meeting.cancel_reason}\n\n{text}".strip()
        if text:
            event.add("description", clean_text(text))
        event.add("categories", [sharing.LABEL_NAMES[meeting.label]])
    if method == "CANCEL":
        event["status"] = icalendar.vText("CANCELLED")
    return event


def calendar_bytes(
    meetings, method: str | None = None, name: str | None = None, alarm: int | None = None
) -> bytes:
    """A VCALENDAR of `meetings` (RED ones are left out: they never leave the intranet); with
    `alarm`, each meeting still to take place reminds `alarm` minutes before it starts."""
    calendar = new_calendar(method, name)
    calendar.add_component(berlin_timezone())  # before the events that refer to it
    for meeting in meetings:
        if sharing.in_feeds(meeting.label):
            event = meeting_event(meeting, method=method)
            if alarm and not meeting.cancelled:
                event.add_component(_alarm(alarm, event["summary"]))
            calendar.add_component(event)
    return calendar.to_ical()


def _alarm(minutes: int, summary) -> icalendar.Alarm:
    """A VALARM (RFC 5545 3.6.6) that shows the event's own summary, nothing more."""
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(minutes=-minutes))
    return alarm


# German letters written out the way a German reader expects them in a plain file name.
FILENAME_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
FILENAME_TITLE_LENGTH = 60


def _ascii(text: str) -> str:
    text = text.casefold().translate(FILENAME_LETTERS).translate(EXTRA_FOLDS)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def filename_slug(title: str) -> str:
    """`title` as lower-case ASCII words joined by hyphens: "Übung: Räume" → "uebung-raeume"."""
    slug = re.sub(r"[^a-z0-9]+", "-", _ascii(clean_line(title))).strip("-")
    return slug[:FILENAME_TITLE_LENGTH].rstrip("-")


def meeting_filenames(meeting) -> tuple[str, str | None]:
    """The download name of a meeting's .ics by its Berlin date and title, in ASCII
    ("2026-12-16-plenum.ics"); and, for a title in a script that has no ASCII spelling
    (Arabic, Cyrillic …), the same with the words as written, for RFC 6266 `filename*`."""
    day = _local(meeting.start).date().isoformat()
    title = clean_line(meeting.title)
    slug = filename_slug(title)
    ascii_name = f"{day}-{slug or 'termin'}.ics"
    if all(_ascii(letter) for letter in title if letter.isalpha()):
        return ascii_name, None
    words = re.sub(r"[\W_]+", "-", title.casefold()).strip("-")[:FILENAME_TITLE_LENGTH]
    return ascii_name, f"{day}-{words.rstrip('-')}.ics"
