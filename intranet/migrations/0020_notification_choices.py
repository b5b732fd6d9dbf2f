"""Each person chooses how to be told (at once, daily summary, off) and may ask for an alarm
before meetings in the calendar feed; notifications that go out once per person and occasion
are recorded."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class NotificationSettings(Model):
        account = ForeignKeyField(Account, primary_key=True, on_delete='CASCADE', backref='+')
        invitations = CharField(max_length=10, null=True)
        reminders = CharField(max_length=10, null=True)
        review = CharField(max_length=10, null=True)
        minutes = CharField(max_length=10, null=True)
        action_items = CharField(max_length=10, null=True)
        digest_hour = IntegerField(default=7)
        alarm_minutes = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'notification_settings'

    class DigestEntry(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE', backref='+')
        topic = CharField(max_length=20)
        subject = CharField(max_length=1000)
        link = CharField(max_length=1000, default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'digest_entry'
            indexes = ((('account', 'created_at'), False),)

    class MailOnce(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE', backref='+')
        key = CharField(max_length=80)
        at = DateTimeField()

        class Meta:
            database = db
            table_name = 'mail_once'
            indexes = ((('account', 'key'), True),)

    db.create_tables([NotificationSettings, DigestEntry, MailOnce])


def down(migrator, db):
    for table in ('mail_once', 'digest_entry', 'notification_settings'):
        db.execute_sql(f'DROP TABLE {table}')
