"""Invitations and reset links for accounts; a password typed by the administration must be
changed at the next sign-in."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class PasswordLink(Model):
        account = ForeignKeyField(Account, unique=True, on_delete='CASCADE')
        purpose = CharField(max_length=20)
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'password_link'

    migrator.migrate(
        migrator.add_column('account', 'must_change_password', BooleanField(default=False))
    )
    db.create_tables([PasswordLink])
