"""A version per agenda item of the minutes: each item is saved on its own, in place, and a
save based on an older state of the item is refused instead of overwriting it."""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('minutes_section', 'version', IntegerField(default=1)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('minutes_section', 'version'),
    )
