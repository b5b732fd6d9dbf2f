"""Typed text that arrived after the sign-in had ended waits here until the person is back."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class SavedForm(Model):
        id = AutoField()
        account = ForeignKeyField(Account, on_delete='CASCADE', field=Account.id)
        path = CharField(max_length=500)
        fields = TextField()
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = 'saved_form'
            indexes = ((('account', 'path'), False),)

    db.create_tables([SavedForm])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS saved_form')
