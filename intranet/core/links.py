"""Links to many items of one kind on a page: the address is built once, the value filled in per
row.

`url_for` walks the URL map for each new address (about 9 µs; `platform.web.App` remembers the
ones built before, but every row's id is new); a list of forty people with two links each spent
more on that than on its query. `link_pattern` asks `url_for` once, with a stand-in value, and
fills each row's value into the same address.
"""

from flask import url_for

from intranet.core.ids import MAX_ID


def link_pattern(endpoint: str, argument: str, stand_in=MAX_ID, **values):
    """A function value → the address `url_for(endpoint, **{argument: value}, **values)` gives.

    For values an address writes as they are (ids, the letters A–Z); `stand_in` is one of them
    (the largest id by default)."""
    address = url_for(endpoint, **{argument: stand_in}, **values)
    head, found, tail = address.partition(str(stand_in))
    if not found or str(stand_in) in tail:
        # Only where the stand-in occurs once can it be told from the rest of the address (a
        # search text may hold it too): then each link is built on its own.
        return lambda value: url_for(endpoint, **{argument: value}, **values)
    return lambda value: f"{head}{value}{tail}"
