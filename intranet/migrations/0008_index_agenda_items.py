"""Agenda items become findable in the site search: index the ones that exist."""
from intranet.core import fulltext


def up(migrator, db):
    rows = db.execute_sql('SELECT id, title, description FROM agenda_item').fetchall()
    for item_id, title, description in rows:
        fulltext.index('agenda_item', item_id, title, description or '')
