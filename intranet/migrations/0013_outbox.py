"""The mail outbox: every mail is a row first, written with the change that causes it, and
delivered in the background (core.outbox)."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class OutboxMessage(Model):
        recipient = CharField(max_length=320)
        account = ForeignKeyField(Account, null=True, on_delete='CASCADE', backref='+')
        language = CharField(max_length=5, default='de')
        kind = CharField(max_length=40)
        subject = CharField(max_length=1000)
        text = TextField(default='')
        html = TextField(default='')
        state = CharField(max_length=10, default='queued')
        attempts = IntegerField(default=0)
        last_error = TextField(default='')
        next_try_at = DateTimeField()
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        caused_by = ForeignKeyField(Account, null=True, on_delete='SET NULL', backref='+')
        about = CharField(max_length=60, default='')

        class Meta:
            database = db
            table_name = 'outbox_message'
            indexes = ((('state', 'next_try_at'), False), (('about', 'state'), False))

    class OutboxAttachment(Model):
        message = ForeignKeyField(OutboxMessage, on_delete='CASCADE')
        name = CharField(max_length=255)
        content_type = CharField(max_length=120)
        content = BlobField()

        class Meta:
            database = db
            table_name = 'outbox_attachment'

    db.create_tables([OutboxMessage, OutboxAttachment])


def down(migrator, db):
    db.execute_sql('DROP TABLE outbox_attachment')
    db.execute_sql('DROP TABLE outbox_message')
