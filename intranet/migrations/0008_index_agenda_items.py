"""Agenda items become findable in the site search: index the ones that exist."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)

# Folding is the one piece of application code used here (see 0004); the rows are written in
# the index's shape of 0004, which 0024 later gives each item's kind.
from intranet.core.search import search_key


def up(migrator, db):
    sqlite = isinstance(db, SqliteDatabase)
    rows = db.execute_sql('SELECT id, title, description FROM agenda_item').fetchall()
    for item_id, title, description in rows:
        title, body = title or '', description or ''
        param = '?' if sqlite else '%s'
        cursor = db.execute_sql(
            f"INSERT INTO search_entry (kind, item_id, title, body) VALUES ('agenda_item', {param}, {param}, {param})"
            + ('' if sqlite else ' RETURNING id'),
            (item_id, title, body),
        )
        entry_id = cursor.lastrowid if sqlite else cursor.fetchone()[0]
        if sqlite:
            db.execute_sql(
                'INSERT INTO search_text (rowid, title, body) VALUES (?, ?, ?)',
                (entry_id, search_key(title), search_key(body)),
            )
        else:
            db.execute_sql(
                "INSERT INTO search_document (entry_id, document) VALUES (%s,"
                " setweight(to_tsvector('simple', %s), 'A')"
                " || setweight(to_tsvector('simple', %s), 'B'))",
                (entry_id, search_key(title), search_key(body)),
            )
