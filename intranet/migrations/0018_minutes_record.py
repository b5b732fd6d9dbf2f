"""The frame of the Niederschrift: chair, minute-taker, actual start and end."""
from peewee import CharField, DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('minutes', 'chair', CharField(max_length=200, default='')),
        migrator.add_column('minutes', 'minute_taker', CharField(max_length=200, default='')),
        migrator.add_column('minutes', 'actual_start', DateTimeField(null=True)),
        migrator.add_column('minutes', 'actual_end', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('minutes', 'chair'),
        migrator.drop_column('minutes', 'minute_taker'),
        migrator.drop_column('minutes', 'actual_start'),
        migrator.drop_column('minutes', 'actual_end'),
    )
