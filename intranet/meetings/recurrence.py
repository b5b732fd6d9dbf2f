"""Series rules as RFC 5545 RRULEs (python-dateutil), expanded in local wall-clock time."""

import datetime as dt

from dateutil.rrule import rrulestr
from flask_babel import format_date

from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l

# How far ahead a series may reach, and how many meetings one rule may make at most.
MAX_YEARS = 2
MAX_OCCURRENCES = 120

KINDS = ("weekly", "monthly_weekday", "monthly_date", "quarterly_weekday")
KIND_LABELS = {
    "": _l("does not repeat"),
    "weekly": _l("weekly, on the same weekday"),
    "monthly_weekday": _l("monthly, on the same weekday of the month (e.g. every 3rd Wednesday)"),
    "monthly_date": _l("monthly, on the same day of the month"),
    "quarterly_weekday": _l("quarterly, on the same weekday of the month"),
}
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def nth_weekday(day: dt.date) -> int:
    """1–4 for the first to fourth such weekday of its month; -1 for a fifth (= the last)."""
    number = (day.day - 1) // 7 + 1
    return -1 if number == 5 else number


def build_rule(kind: str, first: dt.datetime, until: dt.date) -> str:
    """The RRULE text for a series starting at local time `first` and ending on `until`."""
    weekday = WEEKDAY_CODES[first.weekday()]
    end = min(until, cap_date(first.date()))
    parts = {
        "weekly": ["FREQ=WEEKLY"],
        "monthly_weekday": ["FREQ=MONTHLY", f"BYDAY={nth_weekday(first.date()):+d}{weekday}"],
        "monthly_date": ["FREQ=MONTHLY", f"BYMONTHDAY={first.day}"],
        "quarterly_weekday": [
            "FREQ=MONTHLY",
            "INTERVAL=3",
            f"BYDAY={nth_weekday(first.date()):+d}{weekday}",
        ],
    }[kind]
    # UNTIL as a local date-time at the end of that day: the rule works in wall-clock time.
    parts.append(f"UNTIL={end:%Y%m%d}T235959")
    return ";".join(parts)


def cap_date(start: dt.date) -> dt.date:
    try:
        return start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        return start.replace(year=start.year + MAX_YEARS, day=28)


def occurrences(rule: str, first: dt.datetime) -> list[dt.datetime]:
    """Local naive start times of every occurrence, capped in time and number."""
    limit = dt.datetime.combine(cap_date(first.date()), dt.time(23, 59, 59))
    result = []
    for start in rrulestr(rule, dtstart=first.replace(tzinfo=None), cache=False):
        if start > limit or len(result) >= MAX_OCCURRENCES:
            break
        result.append(start)
    return result


ORDINALS = {1: _l("1st"), 2: _l("2nd"), 3: _l("3rd"), 4: _l("4th"), -1: _l("last")}


def describe(rule: str, first: dt.datetime) -> str:
    """A short German/English sentence for the series box on the meeting page."""
    fields = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    weekday = format_date(first.date(), "EEEE")
    freq, interval = fields.get("FREQ"), fields.get("INTERVAL", "1")
    if freq == "WEEKLY":
        return _("every %(weekday)s", weekday=weekday)
    if "BYDAY" in fields:
        number = int(fields["BYDAY"][:-2])
        ordinal = ORDINALS.get(number, str(number))
        if interval == "3":
            return _(
                "every three months on the %(ordinal)s %(weekday)s",
                ordinal=ordinal,
                weekday=weekday,
            )
        return _("every %(ordinal)s %(weekday)s of the month", ordinal=ordinal, weekday=weekday)
    if "BYMONTHDAY" in fields:
        return _("monthly on day %(day)s", day=fields["BYMONTHDAY"])
    return rule
