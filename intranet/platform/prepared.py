"""Whole queries compiled once per key and run with new values.

What `platform.compiled` leaves is the rest of each query: joins, conditions, order, a dozen
sub-expressions, walked anew on every request although only a few values change (the time now,
an id). A `Prepared` query is built once per key with a `Slot` in place of each changing value,
its SQL rendered once per database kind, and afterwards only executed: the parameters are copied
with the slots filled in, and peewee's own row wrapper turns the rows into the objects the built
query would give (`_get_cursor_wrapper`, peewee's; its version is pinned and checked by
tests/test_compiled.py, as for `platform.compiled`).
"""

import inspect
import re
from collections.abc import Callable, Hashable

from peewee import ColumnBase, ModelNamedTupleCursorWrapper

from intranet.platform.compiled import qualified_name
from intranet.platform.db import db

# Entries per prepared query: one per account for most, enough for every account of a forum (each
# holds a query and its SQL text, a few kilobytes). Cleared when full, which costs one compile
# per account afterwards.
MAX_ENTRIES = 2_000
_ALIAS = re.compile(r"\bt\d+\b")


class _SlotValue:
    """A parameter still to be filled in, with the conversion peewee would have applied."""

    __slots__ = ("name", "converter")

    def __init__(self, name: str, converter):
        self.name = name
        self.converter = converter

    def bind(self, values: dict):
        value = values[self.name]
        if value is None:
            # Peewee writes `IS NULL` for a None it is given; a parameter would be `= NULL`,
            # which matches nothing. A query that may compare with None is built apart.
            raise ValueError(f"The slot {self.name!r} was given None.")
        return self.converter(value) if self.converter else value


class Slot(ColumnBase):
    """A value given when a rendered query runs (compared with a field, it is converted the way
    the field converts a plain value)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        return ctx.value(_SlotValue(self.name, ctx.state.converter), converter=False)


def bind(params, values: dict) -> list:
    """A rendered query's parameters with each slot filled in from `values`."""
    return [p.bind(values) if isinstance(p, _SlotValue) else p for p in params]


class RenderCache:
    """Queries rendered once per key: (the query, its SQL text, its parameters with slots).

    The key must name everything the query depends on apart from its slots, and the database
    kind. `Prepared` keys by its builder's arguments; a caller whose query takes what it
    depends on in another form (a search's visibility clause, built by each area) gives a key
    of its own making (`core.fulltext.ranked`).
    """

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: dict[tuple, tuple] = {}

    def get(self, key: tuple, build: Callable) -> tuple:
        entry = self._entries.get(key)
        if entry is None:
            query = build()
            sql, params = db.obj.get_sql_context().sql(query).query()
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            entry = self._entries[key] = (query, sql, tuple(params))
        return entry

    def clear(self) -> None:
        self._entries.clear()


class Prepared:
    """`build(*arguments, **slots)`'s query, compiled once per arguments and database kind.

    The arguments are the key, so they must be hashable and say everything `build` reads: pass
    the few values a query depends on (`core.sharing.Reader` for an account's sharing rule), not
    a whole row whose other fields could change unseen. Values that change from call to call are
    slots: `build` gets a `Slot` for each name given as a keyword to `run` and uses it where the
    value belongs. A slot is a whole value for a plain comparison (arithmetic on it would happen
    in SQL, and `contains` would not escape its wildcards), so pass what the query compares
    with (`since=now - 14 days`, not `now`), and never None.
    """

    # The test suite switches this on (tests/conftest.py): the first runs of each entry are
    # compared with the query built afresh with the values themselves, so a builder that reads
    # more than its arguments (the signed-in account, the clock) or a slot that peewee would
    # render otherwise fails in the tests. An entry lives on from test to test (ids start at 1
    # in each test's database), so its first runs already see other accounts, data and times;
    # comparing every run made the suite a sixth slower.
    compare_with_fresh_build = False
    COMPARED_RUNS = 5

    def __init__(self, build: Callable):
        function = getattr(build, "__func__", build)  # a bound method's function
        if not inspect.isfunction(function) or function.__defaults__ or function.__kwdefaults__:
            raise TypeError(f"{build!r}: Prepared needs a function without default values")
        qualified_name(build, "Prepared")  # and no lambda or closure
        self.build = build
        self._rendered = RenderCache()
        self._compared: dict[tuple, int] = {}

    def run(self, *arguments: Hashable, **values):
        return _row_wrapper(*self._execute(arguments, values))

    def _execute(self, arguments: tuple, values: dict):
        """The built query (for its row wrapper) and the cursor of its rendered SQL, run."""
        database = db.obj
        key = (type(database), arguments, tuple(sorted(values)))
        query, sql, params = self._rendered.get(
            key, lambda: self.build(*arguments, **{name: Slot(name) for name in values})
        )
        bound = bind(params, values)
        if self.compare_with_fresh_build and self._compared.get(key, 0) < self.COMPARED_RUNS:
            self._compared[key] = self._compared.get(key, 0) + 1
            self._compare(database, arguments, values, sql, bound)
        return query, database.execute_sql(sql, bound)

    def raw(self, *arguments: Hashable, **values) -> "RawRows":
        """`run`'s rows as the database gives them, without peewee's conversions and objects,
        and the way to make of one row what `run` gives (`RawRows.object`): for a page that
        reads many rows to pick the few it shows."""
        return RawRows(*self._execute(arguments, values))

    def first(self, *arguments: Hashable, **values):
        """The first row `run` gives, or None."""
        return next(iter(self.run(*arguments, **values)), None)

    def _compare(self, database, arguments, values, sql, bound) -> None:
        fresh_sql, fresh_params = (
            database.get_sql_context().sql(self.build(*arguments, **values)).query()
        )
        # Replayed rule fragments may number their inner table aliases differently
        # (platform.compiled), which SQL's scoping makes harmless.
        if (_ALIAS.sub("t", sql), bound) != (_ALIAS.sub("t", fresh_sql), list(fresh_params)):
            raise AssertionError(
                f"{self.build.__qualname__}{arguments}: the prepared query {sql} {bound} "
                f"differs from a fresh build: {fresh_sql} {fresh_params}"
            )


class RawRows:
    """A prepared query's rows as tuples of what the database gave (on SQLite: dates as text,
    flags as 0 or 1), in `rows`. `object(row)` makes of one of them what iterating the query
    would have (model objects with their joined rows, converted values): peewee's own row
    wrapper does it, set up once for the query's columns."""

    def __init__(self, query, cursor):
        self.rows = cursor.fetchall()
        self._wrapper = _row_wrapper(query, cursor)

    def object(self, row: tuple):
        return self._wrapper.process_row(row)


# What a row wrapper keeps of one run: the rest of its state is worked out before the first row.
_PER_RUN = frozenset({"cursor", "count", "index", "initialized", "populated", "row_cache"})


def _row_wrapper(query, cursor):
    """Peewee's row wrapper for `cursor`, ready for the first row. Before it, peewee works out
    from the query and the cursor's columns which column goes to which joined model and how
    each is converted; for a rendered query that is the same on every run, and for a page of
    model objects (the minutes with their meeting and organiser, the signed-in account with its
    organisation) it cost as much as running the queries. It is worked out on the first run
    and kept with the rendered query."""
    wrapper = query._get_cursor_wrapper(cursor)
    if cursor.description is None:  # no rows to wrap (an INSERT)
        return wrapper
    if isinstance(wrapper, ModelNamedTupleCursorWrapper):
        # Its setup makes a row type through a function that holds on to the wrapper (and so
        # to the cursor and every row read): kept, it would keep the first run's rows alive.
        return wrapper
    setup = vars(query).get("_row_setup")
    if setup is None:
        wrapper.initialize()  # reads the columns' description only
        setup = {name: value for name, value in vars(wrapper).items() if name not in _PER_RUN}
        query._row_setup = setup
    else:
        vars(wrapper).update(setup)
    wrapper.initialized = True
    return wrapper
