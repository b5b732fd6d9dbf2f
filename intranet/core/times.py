"""Wall-clock times in Europe/Berlin ↔ stored naive UTC, with the daylight-saving edge cases."""

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class NonexistentTime(ValueError):
    """A local time that the clock skips (spring change, 02:00–03:00)."""


def exists(local: dt.datetime) -> bool:
    aware = local.replace(tzinfo=BERLIN)
    return aware.astimezone(dt.UTC).astimezone(BERLIN).replace(tzinfo=None) == local


def is_ambiguous(local: dt.datetime) -> bool:
    """True in the autumn hour that happens twice."""
    first = local.replace(tzinfo=BERLIN, fold=0).utcoffset()
    second = local.replace(tzinfo=BERLIN, fold=1).utcoffset()
    return first != second and exists(local)


def to_utc(local: dt.datetime, shift_gap: bool = False) -> dt.datetime:
    """Naive local Berlin time → naive UTC.

    An ambiguous autumn time always means its first occurrence (fold=0, still summer time), so
    the same input gives the same instant every time. A time inside the spring gap is refused,
    unless `shift_gap` (series occurrences): then, as RFC 5545 says, it is read with the offset
    before the gap, which moves it one hour later (02:30 → 03:30 summer time).
    """
    local = local.replace(tzinfo=None, fold=0)
    if not shift_gap and not exists(local):
        raise NonexistentTime(local)
    aware = local.replace(tzinfo=BERLIN, fold=0)
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc: dt.datetime) -> dt.datetime:
    """Naive UTC → aware Europe/Berlin."""
    return utc.replace(tzinfo=dt.UTC).astimezone(BERLIN)


def offset_label(utc: dt.datetime) -> str:
    """'UTC+02:00' — shown beside times so an ambiguous autumn time is unambiguous."""
    offset = to_local(utc).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def ambiguous_offset(utc: dt.datetime) -> str:
    """The offset for the one case where the Berlin clock time alone is not enough, the autumn
    hour that happens twice; otherwise "" (a note says once that all times are Berlin's)."""
    return offset_label(utc) if is_ambiguous(to_local(utc).replace(tzinfo=None)) else ""
