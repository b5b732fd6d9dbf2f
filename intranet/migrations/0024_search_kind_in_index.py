"""Each item's kind becomes a word inside the full-text index, so that one kind's search
matches, ranks and counts only that kind's items (before, every match of every kind was ranked
and then thrown away). Rebuilt from the folded text already indexed: SQLite gets a new FTS5
table with a third column `kind`, PostgreSQL's tsvector gets the kind's token with weight D.

The token is "k" and the kind without separators ("minutes_section" → "kminutessection"), as
`intranet.core.fulltext.kind_token` writes it (kinds hold only lower-case letters and "_")."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)

TOKEN = "'k' || replace(lower(e.kind), '_', '')"


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql(
            "CREATE VIRTUAL TABLE search_text_kind USING fts5("
            "title, body, kind, tokenize='unicode61 remove_diacritics 2')"
        )
        # A title match counts ten times a body match; the kind's column counts nothing.
        db.execute_sql(
            "INSERT INTO search_text_kind (search_text_kind, rank)"
            " VALUES ('rank', 'bm25(10.0, 1.0, 0.0)')"
        )
        db.execute_sql(
            "INSERT INTO search_text_kind (rowid, title, body, kind)"
            f" SELECT t.rowid, t.title, t.body, {TOKEN}"
            " FROM search_text t JOIN search_entry e ON e.id = t.rowid"
        )
        db.execute_sql('DROP TABLE search_text')
        db.execute_sql('ALTER TABLE search_text_kind RENAME TO search_text')
    else:
        db.execute_sql(
            "UPDATE search_document d SET document = ts_filter(d.document, '{a,b}')"
            f" || setweight(to_tsvector('simple', {TOKEN}), 'D')"
            " FROM search_entry e WHERE e.id = d.entry_id"
        )


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql(
            "CREATE VIRTUAL TABLE search_text_plain USING fts5("
            "title, body, tokenize='unicode61 remove_diacritics 2')"
        )
        db.execute_sql(
            "INSERT INTO search_text_plain (search_text_plain, rank) VALUES ('rank', 'bm25(10.0, 1.0)')"
        )
        db.execute_sql(
            "INSERT INTO search_text_plain (rowid, title, body) SELECT rowid, title, body FROM search_text"
        )
        db.execute_sql('DROP TABLE search_text')
        db.execute_sql('ALTER TABLE search_text_plain RENAME TO search_text')
    else:
        db.execute_sql("UPDATE search_document SET document = ts_filter(document, '{a,b}')")
