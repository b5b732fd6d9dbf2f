"""Attachments (OParl File) of meetings, agenda items and minutes."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class Attachment(Model):
        owner_kind = CharField(max_length=30)
        owner_id = IntegerField()
        label = CharField()
        name = CharField(max_length=300)
        file_name = CharField(max_length=255)
        mime_type = CharField(max_length=100)
        size = IntegerField()
        sha256 = CharField(max_length=64)
        storage_key = CharField(max_length=64, unique=True)
        created_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'attachment'
            indexes = ((('owner_kind', 'owner_id'), False),)
    db.create_tables([Attachment])
