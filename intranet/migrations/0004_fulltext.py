"""Full-text search: the search_entry table, its side table for the database in use (FTS5 on
SQLite, a tsvector with a GIN index on PostgreSQL), filled from the existing meetings and contacts."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)

# Folding is the one piece of application code used here: the index must hold text folded
# exactly as the queries are, and a frozen copy of it would drift from the live one.
from intranet.core.search import search_key


def up(migrator, db):
    class SearchEntry(Model):
        kind = CharField(max_length=30)
        item_id = IntegerField()
        title = TextField(default='')
        body = TextField(default='')
        class Meta:
            database = db
            table_name = 'search_entry'
            indexes = ((('kind', 'item_id'), True),)
    db.create_tables([SearchEntry])

    sqlite = isinstance(db, SqliteDatabase)
    if sqlite:
        db.execute_sql(
            "CREATE VIRTUAL TABLE search_text USING fts5("
            "title, body, tokenize='unicode61 remove_diacritics 2')"
        )
        # The rank column orders hits: a title match counts ten times a body match.
        db.execute_sql(
            "INSERT INTO search_text (search_text, rank) VALUES ('rank', 'bm25(10.0, 1.0)')"
        )
    else:
        db.execute_sql(
            'CREATE TABLE search_document ('
            'entry_id INTEGER NOT NULL PRIMARY KEY'
            ' REFERENCES search_entry (id) ON DELETE CASCADE,'
            ' document TSVECTOR NOT NULL)'
        )
        db.execute_sql(
            'CREATE INDEX search_document_document ON search_document USING GIN (document)'
        )

    def add(kind, item_id, title, body):
        entry_id = SearchEntry.insert(kind=kind, item_id=item_id, title=title, body=body).execute()
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

    meetings = db.execute_sql('SELECT id, title, description FROM meeting ORDER BY id')
    for item_id, title, description in list(meetings):
        add('meeting', item_id, title or '', description or '')
    people = db.execute_sql(
        'SELECT p.id, p.title, p.given_name, p.family_name, p.function, o.name, o.short_name'
        ' FROM person p JOIN organization o ON o.id = p.organization_id ORDER BY p.id'
    )
    for item_id, title, given, family, function, org_name, short_name in list(people):
        name = ' '.join(part for part in (title, given, family) if part)
        body = ' · '.join(part for part in (function, org_name, short_name) if part)
        add('person', item_id, name, body)


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql('DROP TABLE IF EXISTS search_text')
    else:
        db.execute_sql('DROP TABLE IF EXISTS search_document')
    migrator.migrate(migrator.drop_table('search_entry'))
