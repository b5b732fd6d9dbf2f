"""The interface language is kept on the account, so it follows the person to every device."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column('account', 'language', CharField(max_length=5, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('account', 'language'))
