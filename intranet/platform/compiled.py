"""WHERE fragments whose SQL is compiled once and then replayed.

Peewee turns a query's expression tree into SQL on every execution. For the sharing rule that
guards every list (label comparisons and two sub-selects, sometimes twice in one query) this
compiling costs twenty to a hundred times what the database needs to run the query on SQLite,
and it made up about a third of each page's time. The rule's SQL depends only on the account
(its id and organisation) and on where the fragment sits in the surrounding query (the aliases
of the columns it is anchored to), so a `Compiled` node renders it once per such combination and
afterwards copies the text and the parameters into the query being compiled.

The cache key must contain every input of `build`: a fragment is replayed exactly as it was first
rendered. Sub-selects inside a fragment may refer to the outer query only through the fragment's
anchors (the sharing rule's look-ups of invitations and named persons refer to the meeting column
they are anchored to), because their own table aliases are frozen too: a replayed sub-select may
number its tables differently from a fresh rendering, which SQL's scoping makes harmless, and
never takes an anchor's alias, since the anchors' aliases are part of the key. `tests/test_compiled.py` renders every visibility rule of the intranet for several
accounts with and without the cache and requires the same query up to those inner names (each
alias resolved to the table it stands for). Callables that could capture values are refused
(`core.sharing`). This reaches into peewee's Context, so the peewee version is pinned and checked
by a test: upgrading peewee means reading this module against its new Context.
"""

from collections.abc import Callable, Hashable

from peewee import ColumnBase, CommaNodeList, Field, FieldAlias, ModelSelect, Node

# Enough for every account and position on a busy installation; cleared (not evicted one by
# one) when full, which only costs one compile per fragment afterwards.
MAX_ENTRIES = 20_000
_cache: dict[tuple, tuple[tuple, tuple]] = {}


def _setting_key(value) -> Hashable:
    # Settings hold the database's operator table, field types and converters: long-lived
    # objects, except bound methods, which are made anew on each access.
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if hasattr(value, "__func__"):
        return (id(value.__self__), id(value.__func__))
    return id(value)


def qualified_name(function, used_by: str) -> str:
    """A function's name as (part of) a cache key of the SQL it builds.

    A name is only a key for a module-level function or a method: a lambda or a function
    defined inside another one may capture values (an id, a date) that the name does not
    carry, and the SQL cached for one call would then be replayed for another. Such callables
    are refused where the query is built, so the mistake shows in the first test that runs it.
    """
    qualname = function.__qualname__
    if getattr(function, "__closure__", None) or "<" in qualname:
        raise TypeError(
            f"{function.__module__}.{qualname}: {used_by} needs a module-level function; "
            "pass what varies as an argument, not as a captured value"
        )
    return f"{function.__module__}.{qualname}"


class Compiled(ColumnBase):
    """`build()`'s SQL, rendered once per key, anchor position and compile settings."""

    def __init__(self, key: tuple, anchors: tuple[Node, ...], build: Callable[[], Node]):
        super().__init__()
        self.key = key
        self.anchors = anchors
        self.build = build

    def __sql__(self, ctx):
        # The anchors' rendering (say '"t2"."label"') says where in the outer query this sits.
        mark = len(ctx._sql)
        for anchor in self.anchors:
            ctx.sql(anchor)
        position = "".join(ctx._sql[mark:])
        del ctx._sql[mark:]
        settings = tuple(sorted((k, _setting_key(v)) for k, v in ctx.state.settings.items()))
        key = (self.key, position, ctx.state.scope, ctx.state.parentheses, settings)
        entry = _cache.get(key)
        if entry is None:
            sql_mark, value_mark = len(ctx._sql), len(ctx._values)
            ctx.sql(self.build())
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[key] = (tuple(ctx._sql[sql_mark:]), tuple(ctx._values[value_mark:]))
            return ctx
        ctx._sql.extend(entry[0])
        ctx._values.extend(entry[1])
        return ctx


# --- The column list of model queries ------------------------------------------------------------
#
# A page's queries select whole models (forty columns for minutes with their meeting), and
# rendering each column name with its table alias was the next largest cost after the sharing
# rule. The list depends only on the columns, the aliases their tables got in this query and the
# quoting of the database, so it is rendered once per such combination.

# key -> (the fields, kept so that their ids stay theirs while the entry lives; the SQL text)
_selections: dict[tuple, tuple[tuple, tuple]] = {}


def _selection_key(ctx, returning) -> tuple | None:
    # Fields are identified by id: they live as long as their model class, and peewee's `==` on
    # a field builds an expression instead of comparing. Each model's table alias in this query
    # is looked up once, not once per column (a minutes query selects forty-seven columns).
    models = {}
    for node in returning:
        # Only plain model fields: expressions, aliases of models and raw SQL render themselves.
        if not isinstance(node, Field) or isinstance(node, FieldAlias):
            return None
        models[node.model] = None
    aliases = tuple(ctx.alias_manager[model._meta.table] for model in models)
    settings = ctx.state.settings
    fields = tuple(map(id, returning))
    return (fields, aliases, ctx.state.scope, settings.get("quote"), settings.get("param"))


def _cached_selection(self, ctx, is_subquery=False):
    if (
        self._is_default
        and is_subquery
        and len(self._returning) > 1
        and self.model._meta.primary_key is not False
    ):
        return ctx.sql(self.model._meta.primary_key)
    key = _selection_key(ctx, self._returning)
    if key is None:
        return ctx.sql(CommaNodeList(self._returning))
    entry = _selections.get(key)
    if entry is None:
        mark, values = len(ctx._sql), len(ctx._values)
        ctx.sql(CommaNodeList(self._returning))
        if len(ctx._values) == values:  # a column list has no parameters; else never replay
            if len(_selections) >= MAX_ENTRIES:
                _selections.clear()
            _selections[key] = (tuple(self._returning), tuple(ctx._sql[mark:]))
        return ctx
    ctx._sql.extend(entry[1])
    return ctx


PEEWEE_SELECTION = ModelSelect.__sql_selection__


def install_selection_cache(enabled: bool = True) -> None:
    """Render model queries' column lists through the cache (or peewee's own way again)."""
    ModelSelect.__sql_selection__ = _cached_selection if enabled else PEEWEE_SELECTION
