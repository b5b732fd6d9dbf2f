"""One full-text index for every area: SQLite FTS5 or PostgreSQL tsvector behind one interface.

`SearchEntry` holds each indexed item's title and body as written (for snippets), keyed by
(kind, item id). A side table per database kind holds the folded text the database searches:
on SQLite the FTS5 table `search_text` (rowid = entry id), on PostgreSQL `search_document`
(a weighted tsvector with a GIN index). Both are made by migration 0004. Since migration 0024
each item's kind is a word inside the index too (`kind_token`), so that one kind's search
matches, ranks and counts only that kind's items instead of every match of every kind.

Text is folded in Python before it reaches either database (casefold, marks stripped, ß → ss,
and the ae/oe/ue spelling added), the same way on both sides of a match, so "Muller",
"Mueller" and "müller" all find "Müller" on either database. Queries are built only from
the folded words of `search_terms()`, each quoted, so no typed character is query syntax.

The caller passes what its reader may see, as a sub-select of ids or as a condition on the
item's own rows joined into the search: hits, counts and snippets come only from those rows,
and only visible matches are ranked.
"""

import re
from dataclasses import dataclass, field

from markupsafe import Markup
from peewee import (
    JOIN,
    SQL,
    AutoField,
    Cast,
    CharField,
    Expression,
    Field,
    FieldAlias,
    ForeignKeyField,
    IntegerField,
    Join,
    Ordering,
    Select,
    SelectBase,
    TextField,
    fn,
)
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from intranet.core.marking import highlight, snippet
from intranet.core.search import Terms, search_key
from intranet.platform import prepared
from intranet.platform.compiled import qualified_name
from intranet.platform.db import BaseModel, db, is_sqlite, utcnow
from intranet.platform.i18n import lazy_gettext as _l

# PostgreSQL parses the folded text with the 'simple' configuration: words as they are, like
# FTS5's unicode61. The 'german' one stems, and a stem used as a prefix matches too much
# ("sicherheit" → 'sich':* finds "sichtbar"); it would also find other things than SQLite.
PG_CONFIG = "simple"
# (Title matches rank above body matches: FTS5's rank is configured as bm25(10.0, 1.0) in
# migration 0004; PostgreSQL weighs the title 'A' and the body 'B'.)

# Words shorter than this must match whole; longer ones also match as a prefix ("sitz" finds
# "Sitzung"). One- and two-letter prefixes would match most of the index.
PREFIX_FROM = 3
# A term like "a-b-c-…" splits into many words; a cap keeps the query small.
MAX_WORDS = 20
# Visible matches a kind's search counts and ranks at most (see `ranked`): "more than 100".
POOL = 100
WORD = re.compile(r"[^\W_]+")
# A match's title and snippet until `with_texts` fills them in.
NOTHING = Markup("")


class SearchEntry(BaseModel):
    """One indexed item of any area, as written; the side tables hold its folded text."""

    id = AutoField()
    kind = CharField(max_length=30)
    item_id = IntegerField()
    title = TextField(default="")
    body = TextField(default="")

    class Meta:
        indexes = ((("kind", "item_id"), True),)

    PERSONAL_DATA = {
        "title": _l("Copy of a meeting's title or a contact's name, so that search finds it."),
        "body": _l(
            "Copy of a meeting's description or a contact's function and organisation, "
            "so that search finds it and shows where it matched."
        ),
    }
    NOT_PERSONAL_DATA = ("id", "kind", "item_id")


class SearchText(FTS5Model):
    """SQLite's side table: the folded title and body and the kind's token, rowid =
    SearchEntry.id."""

    rowid = RowIDField()
    title = SearchField()
    body = SearchField()
    kind = SearchField()

    class Meta:
        database = db
        table_name = "search_text"
        options = {"tokenize": "unicode61 remove_diacritics 2"}


class TSVectorField(Field):
    field_type = "TSVECTOR"


class SearchDocument(BaseModel):
    """PostgreSQL's side table: the weighted tsvector of the folded title (A) and body (B),
    and the kind's token (D, which typed words never match and ranking ignores)."""

    entry = ForeignKeyField(SearchEntry, primary_key=True, on_delete="CASCADE")
    document = TSVectorField()

    class Meta:
        table_name = "search_document"


# --- Writing ------------------------------------------------------------------------------------


def index(kind: str, item_id: int, title: str, body: str = "") -> None:
    """Add or replace one item in the index (call it inside the area's write transaction)."""
    title, body = title or "", body or ""
    (
        SearchEntry.insert(kind=kind, item_id=item_id, title=title, body=body)
        .on_conflict(
            conflict_target=[SearchEntry.kind, SearchEntry.item_id],
            update={SearchEntry.title: title, SearchEntry.body: body},
        )
        .execute()
    )
    entry_id = (
        SearchEntry.select(SearchEntry.id)
        .where((SearchEntry.kind == kind) & (SearchEntry.item_id == item_id))
        .scalar()
    )
    write_folded(entry_id, kind, search_key(title), search_key(body))


def kind_token(kind: str) -> str:
    """The one word that stands for `kind` inside the index: "minutes_section" →
    "kminutessection". Without separators it is one token, so no kind's token is a prefix or
    a part of another's ("minutes" and "minutes_section"). Migration 0024 writes the same."""
    return "k" + re.sub(r"[^0-9a-z]", "", kind.lower())


def write_folded(entry_id: int, kind: str, title: str, body: str) -> None:
    """Store already folded text in the side table of the database in use."""
    token = kind_token(kind)
    if is_sqlite():
        SearchText.delete().where(SearchText.rowid == entry_id).execute()
        SearchText.insert(rowid=entry_id, title=title, body=body, kind=token).execute()
    else:
        db.execute_sql(
            "INSERT INTO search_document (entry_id, document) VALUES (%s,"
            " setweight(to_tsvector(%s::regconfig, %s), 'A')"
            " || setweight(to_tsvector(%s::regconfig, %s), 'B')"
            " || setweight(to_tsvector(%s::regconfig, %s), 'D'))"
            " ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document",
            (entry_id, PG_CONFIG, title, PG_CONFIG, body, PG_CONFIG, token),
        )


def remove(kind: str, item_id: int) -> None:
    """Take one item out of the index (nothing happens if it was not indexed)."""
    entry_ids = SearchEntry.select(SearchEntry.id).where(
        (SearchEntry.kind == kind) & (SearchEntry.item_id == item_id)
    )
    if is_sqlite():
        SearchText.delete().where(SearchText.rowid.in_(entry_ids)).execute()
    # On PostgreSQL the document goes with its entry (ON DELETE CASCADE).
    SearchEntry.delete().where(
        (SearchEntry.kind == kind) & (SearchEntry.item_id == item_id)
    ).execute()


# --- Searching ----------------------------------------------------------------------------------


@dataclass
class Match:
    item_id: int
    title: Markup
    snippet: Markup
    # The `fields` the search selected from the item's joined rows, in their order.
    row: tuple = ()
    entry_id: int = 0


@dataclass
class Found:
    total: int
    matches: list[Match]
    words: list[str] = field(default_factory=list)
    # True when more than `total` (= POOL) visible items matched: the search stopped there.
    more: bool = False


def query_words(terms: Terms) -> list[str]:
    """The words the database matches: letters and digits of each term, each once."""
    words: list[str] = []
    for term in terms:
        for word in WORD.findall(term):
            if word not in words:
                words.append(word)
    return words[:MAX_WORDS]


def _fts5_query(kind: str, words: list[str]) -> str:
    # Every word quoted (it holds only letters and digits), so nothing is FTS5 syntax. The
    # kind's token is matched in its own column, typed words only in title and body: FTS5
    # then hands over only this kind's matches, and a typed "kmeeting" finds nothing extra.
    typed = " ".join(f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in words)
    return f'{{kind}} : "{kind_token(kind)}" AND {{title body}} : ({typed})'


def _tsquery(kind: str, words: list[str]) -> str:
    # The same for to_tsquery: quoted lexemes, ":*" for a prefix, "&" between them. The kind's
    # token without its weight (D): a weight in the query makes PostgreSQL re-read every
    # matching tsvector after the GIN index has found it; the same word in a title or body
    # of another kind is left out by the search's `kind` condition.
    return f"'{kind_token(kind)}' & {_typed_tsquery(words)}"


def _typed_tsquery(words: list[str]) -> str:
    # What ts_rank weighs: the typed words alone. With the kind's token in the query, ts_rank
    # gave every match 0 (the token's weight, D, is 0 and an AND query ranks by its weakest
    # word), so PostgreSQL ranked by id alone. A typed word that could reach a kind's token
    # (they all start with "k") is held to title and body (A, B); no other word can.
    return " & ".join(_lexeme(w) for w in words)


def _lexeme(word: str) -> str:
    # PostgreSQL's parser drops some characters Python counts as letters (a Tamil numeral, say),
    # so a word that does not start with "k" here may start with it there: every word with a
    # "k" or with a letter outside ASCII is held to title and body.
    weights = "AB" if "k" in word or not word.isascii() else ""
    prefix = "*" if len(word) >= PREFIX_FROM else ""
    return f"'{word}':{prefix}{weights}" if prefix or weights else f"'{word}'"


def search(
    kind: str, visible, terms: Terms, limit: int = 20, by=None, fields=(), visible_key=None
) -> Found:
    """Items of `kind` the reader may see that hold every term, best first, with the title and
    a snippet marked where they matched (see `ranked`; two queries)."""
    found = ranked(kind, visible, terms, limit, by, fields, visible_key)
    with_texts(found)
    return found


def ranked(
    kind: str, visible, terms: Terms, limit: int = 20, by=None, fields=(), visible_key=None
) -> Found:
    """Items of `kind` the reader may see that hold every term, best first, and how many there
    are (up to `POOL`), in one query; titles and snippets are left empty for `with_texts`,
    which marks those of several searches in one more query.

    `by(query, item_id)` may join the items' own rows on `item_id` and return the query with
    the expressions to order by before relevance (meetings by date; none is fine): the order
    then decides which `limit` items are found, in the same one query. `fields` are columns of
    the rows `by` joined, handed back in each match's `row`: what a hit shows of its item
    comes with the match instead of from a query per kind or per hit.

    `visible` is a sub-select (or list) of the ids the reader may see, or a condition on the
    rows `by` joined. The condition is the faster: it is checked on the matching rows only,
    where a sub-select first lists every visible item of every year. With `visible_key`, every
    value `visible` depends on (`core.sharing.Reader`), the query's SQL is rendered once
    per key and shape and replayed (see `_execute`); `by` must then be a module-level function
    and take the current time from `NOW`.

    The matches are taken newest entry first (SQLite's index holds them in that order; on
    PostgreSQL their ids are sorted), and the search stops at the `POOL`+1st visible one: only
    those are counted, ranked and ordered. Beyond that the count says "more than `POOL`"
    (`Found.more`) and the hits shown are the best of the `POOL` newest visible matches.
    Without the stop every visible match of a common word was joined, checked and ranked
    (about a second at 10,000 minutes); with it a search costs the same however many years of
    data there are."""
    words = query_words(terms)
    if not words:
        return Found(0, [], words)
    values = {"now": utcnow()}
    if is_sqlite():
        values["match"] = _fts5_query(kind, words)
    else:
        values["match"], values["typed"] = _tsquery(kind, words), _typed_tsquery(words)
    shape = None
    if visible_key is not None and all(_plain(column) for column in fields):
        shape = (
            type(db.obj).__name__,
            kind,
            min(limit, POOL),
            POOL,
            by and qualified_name(by, "fulltext.ranked"),
            tuple((column.model._meta.table_name, column.column_name) for column in fields),
            visible_key,
        )
    rows = _execute(shape, lambda: _query(kind, visible, limit, by, fields), values)
    if not rows:
        return Found(0, [], words)
    # A plain Select hands over what the database returned: dates as text on SQLite.
    convert = [column.python_value for column in fields]
    matches = [
        Match(
            item_id,
            NOTHING,
            NOTHING,
            tuple(c(v) for c, v in zip(convert, row, strict=True)),
            entry_id,
        )
        for entry_id, item_id, _total, *row in rows
    ]
    total = rows[0][2]
    return Found(min(total, POOL), matches, words, more=total > POOL)


def _query(kind: str, visible, limit: int, by, fields) -> Select:
    """`ranked`'s query, with the values that change from search to search as `Slot`s."""
    if is_sqlite():
        # CROSS JOIN keeps the FTS5 table as the outer loop, so the matches stream in its
        # rowid order and the LIMIT stops the loop; the other way round, SQLite runs the whole
        # match again for every visible entry (seconds, not milliseconds).
        query = (
            SearchText.select()
            .join(SearchEntry, JOIN.CROSS)
            .where(SearchText.match(MATCH) & (SearchEntry.id == SearchText.rowid))
        )
        newest = SearchText.rowid.desc()
    else:
        tsquery = fn.to_tsquery(Cast(PG_CONFIG, "regconfig"), MATCH)
        # The typed words alone: what must be left of them, and what ts_rank weighs below.
        typed = fn.to_tsquery(Cast(PG_CONFIG, "regconfig"), TYPED)
        # The GIN index hands over its matches unordered, so they are sorted newest first on
        # their own (ids only: a few milliseconds for ten thousand) and each item's rows are
        # joined and checked one match at a time (see `_newest_visible`).
        matched = (
            SearchDocument.select(SearchDocument.entry.alias("entry_id"))
            # When the parser keeps none of the typed words, the kind's token alone would
            # match every item of the kind: then nothing is found.
            .where(Expression(SearchDocument.document, "@@", tsquery) & (fn.numnode(typed) > 0))
            .order_by(SearchDocument.entry.desc())
            .alias("matched")
        )
        query = SearchEntry.select()
    first = ()
    if by is not None:
        query, first = by(query, SearchEntry.item_id)
    if isinstance(visible, (SelectBase, list, tuple, set)):
        visible = SearchEntry.item_id.in_(visible)
    keys = [_key(order) for order in first]
    if is_sqlite():
        # FTS5's `rank` column: bm25 with the weights migration 0024 configured, lower is
        # better; the kind's column weighs nothing. Only the match itself knows it, so it is
        # read in the pool's query (for the rows the pool takes only).
        keys.append((SQL("rank"), "ASC"))
    rows = query.select(
        SearchEntry.id.alias("entry_id"),
        SearchEntry.item_id.alias("item_id"),
        *(column.alias(f"f{n}") for n, column in enumerate(fields)),
        *(node.alias(f"k{n}") for n, (node, _direction) in enumerate(keys)),
    ).where((SearchEntry.kind == kind) & visible)
    if is_sqlite():
        pool = rows.order_by(newest).limit(POOL + 1).alias("pool")
    else:
        pool = _newest_visible(matched, rows.where(SearchEntry.id == matched.c.entry_id))
    source, relevance = pool, ()
    if not is_sqlite():
        # ts_rank for the pool's rows only: inside the pool's query PostgreSQL computed it for
        # every visible match before the LIMIT. Weights for D, C, B, A.
        # (A named alias: the pool's own search_document must not share its number.)
        document = SearchDocument.alias("ranked")
        source = Join(pool, document, JOIN.INNER, on=(document.entry == pool.c.entry_id))
        weights = SQL("'{0, 0, 0.4, 1}'::float4[]")
        relevance = (fn.ts_rank(weights, document.document, typed).desc(),)
    order = [Ordering(pool.c[f"k{n}"], direction) for n, (_node, direction) in enumerate(keys)]
    best = (
        Select(
            [source],
            [
                pool.c.entry_id,
                pool.c.item_id,
                fn.COUNT(SQL("*")).over(),
                *(pool.c[f"f{n}"] for n in range(len(fields))),
            ],
        )
        .order_by(*order, *relevance, pool.c.item_id.desc())
        .limit(min(limit, POOL))
        .bind(db)
    )
    return best


def _newest_visible(matched: SelectBase, rows: SelectBase) -> SelectBase:
    """The first `POOL`+1 of `rows` (one item's joined rows, checked for visibility, selected
    for the entry `matched.c.entry_id`) for the `matched` entries in their order.

    The rows are a LATERAL sub-select, and OFFSET 0 keeps PostgreSQL from merging it into the
    outer query: it must then run it match by match, in the order of the sorted matches, and
    the LIMIT stops it at the pool. Merged, the planner joined and checked every match of a
    common word before the LIMIT (sixteen thousand at 10,000 minutes: 90 ms against 15)."""
    rows = rows.offset(0).alias("visible")
    names = [column.name for column in rows._returning]
    return (
        Select(
            [Join(matched, rows, JOIN.LATERAL, on=SQL("TRUE"))],
            [rows.c[name] for name in names],
        )
        .order_by(matched.c.entry_id.desc())
        .limit(POOL + 1)
        .alias("pool")
    )


# --- Queries compiled once ----------------------------------------------------------------------
#
# Peewee renders a query's expression tree into SQL on every run: for the five searches of
# /search that cost more than running them did. A search's SQL depends only on its shape (the
# kind, `by`, `fields`, the limits, the database) and on what `visible` depends on; the typed
# words and the current time are parameters. So `ranked` renders it once per shape and
# `visible_key` and afterwards only fills in those parameters (`platform.prepared`'s slots).

# Enough for every account's searches on a busy installation; cleared when full, which only
# costs one rendering per search afterwards.
_RENDERED = prepared.RenderCache(5_000)

# The typed words' match (FTS5 query or tsquery), the typed words alone (tsquery), and the time
# from which a `by` order counts meetings as upcoming.
MATCH, TYPED, NOW = prepared.Slot("match"), prepared.Slot("typed"), prepared.Slot("now")


def _execute(shape: tuple | None, build, values: dict) -> list[tuple]:
    """Rows of `build()`'s query, rendered once per `shape` (every time when it is None), with
    the `values` of its slots."""
    if shape is None:
        sql, params = build().sql()
    else:
        _query, sql, params = _RENDERED.get(shape, build)
    return db.execute_sql(sql, prepared.bind(params, values)).fetchall()


def _plain(column) -> bool:
    """Whether `column` is a model's own column, named by its table and column alone."""
    return isinstance(column, Field) and not isinstance(column, FieldAlias)


def _key(order) -> tuple:
    """An ORDER BY term as (expression, direction)."""
    if isinstance(order, Ordering):
        return order.node, order.direction
    return order, "ASC"


def with_texts(*searches: Found) -> None:
    """Fill in the marked titles and snippets of the matches of `searches` (one query)."""
    wanted = {m.entry_id: (m, found.words) for found in searches for m in found.matches}
    if not wanted:
        return
    # Written out: peewee took longer to render the statement than the database to run it
    # (only placeholders are put into the text).
    marks = ", ".join([db.param] * len(wanted))
    sql = f"SELECT id, title, body FROM search_entry WHERE id IN ({marks})"  # noqa: S608
    for entry_id, title, body in db.execute_sql(sql, list(wanted)):
        match, words = wanted[entry_id]
        match.title, match.snippet = highlight(title, words), snippet(body, words)
