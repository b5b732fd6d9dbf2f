"""Ids in addresses: one URL converter that only matches a number the database can hold."""

from werkzeug.routing import BaseConverter, ValidationError

# The largest value of the databases' integer key column (PostgreSQL's `integer`); a larger
# number cannot be an id, and handed to a query it would overflow the column's type.
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """`<id:meeting_id>`: 1 … MAX_ID written with ASCII digits and no leading zero.

    Anything else makes the rule not match, so the address is a plain 404 before a view or a
    query runs. Werkzeug's `int` converter accepts any length (and, through `\\d`, digits of
    other scripts), which is why routes never use it (a test walks the URL map)."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def ref(kind: str, item_id) -> str:
    """How the audit log, mails and summaries name an item: "meeting:12". One way to write it,
    because the admin's audit filter, the mail rules and the exports read it back by kind."""
    return f"{kind}:{item_id}"
