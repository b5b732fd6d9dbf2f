"""iCalendar (RFC 5545) output, built with the icalendar library only: escaping and line
folding are the library's, so no title can break an event apart."""

import datetime as dt

import icalendar
from flask import url_for

from intranet.core import sharing
from intranet.db import utcnow
from intranet.meetings.times import BERLIN

PRODID = "-//Sicherheitsdialog Dresden//Intranet//DE"


def new_calendar(method: str | None = None, name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Berlin")
    return calendar


def _local(utc: dt.datetime) -> dt.datetime:
    return utc.replace(tzinfo=dt.UTC).astimezone(BERLIN)


def meeting_event(
    meeting, detail: bool | None = None, method: str | None = None
) -> icalendar.Event:
    """One VEVENT. Without `detail` (AMBER+STRICT) only title and time leave the intranet."""
    if detail is None:
        detail = sharing.shows_detail(meeting.label)
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", utcnow().replace(tzinfo=dt.UTC))
    event.add("dtstart", _local(meeting.start))
    event.add("dtend", _local(meeting.end))
    event.add("summary", meeting.title)
    event.add("sequence", meeting.sequence)
    event.add("last-modified", meeting.updated_at.replace(tzinfo=dt.UTC))
    event.add("class", "PUBLIC" if meeting.label == sharing.CLEAR else "CONFIDENTIAL")
    if meeting.cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED" if meeting.state in ("invited", "held") else "TENTATIVE")
    event.add("url", url_for("meetings.show", meeting_id=meeting.id, _external=True))
    if detail:
        location = meeting.location_text
        if meeting.online_url:
            location = f"{location} – {meeting.online_url}" if location else meeting.online_url
        if location:
            event.add("location", location)
        text = meeting.description
        if meeting.cancelled and meeting.cancel_reason:
            text = f"{meeting.cancel_reason}\n\n{text}".strip()
        if text:
            event.add("description", text)
        event.add("categories", [sharing.LABEL_NAMES[meeting.label]])
    if method == "CANCEL":
        event["status"] = icalendar.vText("CANCELLED")
    return event


def calendar_bytes(meetings, method: str | None = None, name: str | None = None) -> bytes:
    """A VCALENDAR of `meetings` (RED ones are left out: they never leave the intranet)."""
    calendar = new_calendar(method, name)
    for meeting in meetings:
        if sharing.in_feeds(meeting.label):
            calendar.add_component(meeting_event(meeting, method=method))
    calendar.add_missing_timezones()
    return calendar.to_ical()
