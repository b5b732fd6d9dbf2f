"""The Chatham House Rule is decided when a meeting is planned; its minutes start under it."""
from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(migrator.add_column('meeting', 'chatham_house', BooleanField(default=False)))
    # Meetings whose minutes already follow the rule were held under it.
    db.execute_sql(
        'UPDATE meeting SET chatham_house = TRUE WHERE id IN '
        '(SELECT meeting_id FROM minutes WHERE chatham_house)'
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('meeting', 'chatham_house'))
