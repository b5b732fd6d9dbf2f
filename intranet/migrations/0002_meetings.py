"""Meetings: series, meetings, invited organisations, named persons, agenda items, answers,
attendance and calendar feed tokens."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class Series(Model):
        rrule = CharField()
        first_start_local = DateTimeField()
        created_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'series'
    db.create_tables([Series])

    class Meeting(Model):
        uid = CharField(unique=True)
        series = ForeignKeyField(Series, null=True, on_delete='SET NULL')
        title = CharField(max_length=300)
        start = DateTimeField(index=True)
        end = DateTimeField()
        room = CharField(default='')
        street = CharField(default='')
        postal_code = CharField(default='')
        city = CharField(default='')
        online_url = CharField(max_length=1000, default='')
        description = TextField(default='')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        state = CharField(default='planned')
        cancelled = BooleanField(default=False)
        cancel_reason = TextField(default='')
        label = CharField(index=True, default='green')
        sequence = IntegerField(default=0)
        version = IntegerField(default=1)
        created_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'meeting'
    db.create_tables([Meeting])

    class AgendaItem(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        position = IntegerField()
        title = CharField(max_length=300)
        description = TextField(default='')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        public = BooleanField(default=True)
        label = CharField(default='green')
        class Meta:
            database = db
            table_name = 'agenda_item'
    db.create_tables([AgendaItem])

    class Answer(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        account = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        person_label = CharField(default='')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        answer = CharField()
        answered_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'answer'
            indexes = ((('meeting', 'account'), True),)
    db.create_tables([Answer])

    class Attendance(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        status = CharField()
        names = TextField(default='')
        recorded_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        recorded_by_label = CharField(default='')
        recorded_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'attendance'
            indexes = ((('meeting', 'organization'), True),)
    db.create_tables([Attendance])

    class FeedToken(Model):
        account = ForeignKeyField(Account, unique=True, on_delete='CASCADE')
        nonce = CharField()
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'feed_token'
    db.create_tables([FeedToken])

    class MeetingOrganization(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'meeting_organization'
            indexes = ((('meeting', 'organization'), True),)
    db.create_tables([MeetingOrganization])

    class MeetingPerson(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        account = ForeignKeyField(Account, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'meeting_person'
            indexes = ((('meeting', 'account'), True),)
    db.create_tables([MeetingPerson])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('meeting_person'))
    migrator.migrate(migrator.drop_table('meeting_organization'))
    migrator.migrate(migrator.drop_table('feed_token'))
    migrator.migrate(migrator.drop_table('attendance'))
    migrator.migrate(migrator.drop_table('answer'))
    migrator.migrate(migrator.drop_table('agenda_item'))
    migrator.migrate(migrator.drop_table('meeting'))
    migrator.migrate(migrator.drop_table('series'))