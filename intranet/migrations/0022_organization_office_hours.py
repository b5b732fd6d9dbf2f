"""An organisation's office hours, next to its general phone, email and postal address."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('organization', 'office_hours', TextField(default=''))
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('organization', 'office_hours'))
