"""Numbers and dates from query strings: one parser, with the bounds of the id converter.

Whatever an address carries after `?` was typed, copied or made up by someone: a value that is
not what the parameter means (too large for the database's integer column, a year no date can
hold, a letter, a sign, a digit of another script) is read as if the parameter were absent.
Views never call `int()` on `request.args` themselves (a test scans the source for it).
"""

import datetime as dt

from flask import request

from intranet.core.ids import MAX_ID

# Years a meeting, a set of minutes or a log entry can belong to; well inside what `datetime`
# and a shift to UTC can compute (year 1 or 9999 overflow when moved by the time zone).
FIRST_YEAR, LAST_YEAR = 1900, 2200
# No list here has anywhere near this many pages; a larger number would only make OFFSET huge.
MAX_PAGE = 100_000
# Enough digits for any bound above; a longer string is not worth converting.
_MAX_DIGITS = 10


def number(value, low: int, high: int) -> int | None:
    """`value` written with ASCII digits only, no sign, within low … high; else None."""
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    result = int(value)
    return result if low <= result <= high else None


def parse_id(value) -> int | None:
    """An id as `<id:…>` in a path accepts it: 1 … MAX_ID."""
    return number(value, 1, MAX_ID)


def parse_year(value) -> int | None:
    return number(value, FIRST_YEAR, LAST_YEAR)


def parse_page(value) -> int:
    """Page numbers start at 1; anything else is the first page."""
    return number(value, 1, MAX_PAGE) or 1


def parse_date(value) -> dt.date | None:
    """'2027-03-14' (ISO 8601, as a date input sends it) within the years above."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse_month(value) -> dt.date | None:
    """'2027-03' → 2027-03-01, within the years above."""
    if not isinstance(value, str) or len(value) != 7 or value[4:5] != "-":
        return None
    year, month = parse_year(value[:4]), number(value[5:], 1, 12)
    return dt.date(year, month, 1) if year and month else None


def parse_key(value, kinds) -> tuple[str, int] | None:
    """'meeting:12' → ("meeting", 12) when the kind is one of `kinds` and the id is an id."""
    kind, _, raw_id = value.partition(":") if isinstance(value, str) else ("", "", "")
    number_ = parse_id(raw_id)
    return (kind, number_) if kind in kinds and number_ is not None else None


class QueryArgs:
    """Typed reading of a query string (by default the current request's)."""

    def __init__(self, args=None):
        self.args = request.args if args is None else args

    def id(self, name: str) -> int | None:
        return parse_id(self.args.get(name))

    def ids(self, name: str, limit: int = 200) -> list[int]:
        """Every value of a repeated parameter that is an id, the rest left out."""
        found = (parse_id(value) for value in self.args.getlist(name)[:limit])
        return [value for value in found if value is not None]

    def year(self, name: str) -> int | None:
        return parse_year(self.args.get(name))

    def page(self, name: str = "page") -> int:
        return parse_page(self.args.get(name))

    def date(self, name: str) -> dt.date | None:
        return parse_date(self.args.get(name))

    def month(self, name: str) -> dt.date | None:
        return parse_month(self.args.get(name))
