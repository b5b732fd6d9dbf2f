"""A meeting series can carry a text that new minutes of its meetings start from."""
from peewee import TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column('series', 'minutes_template', TextField(default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('series', 'minutes_template'))
