"""Minutes: documents, versions, sections, decisions, action items, comments, read
confirmations, visits; and the workflow history shared by documents."""
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

    class Meeting(Model):
        class Meta:
            database = db
            table_name = 'meeting'

    class AgendaItem(Model):
        class Meta:
            database = db
            table_name = 'agenda_item'

    class WorkflowEvent(Model):
        item_kind = CharField(max_length=40)
        item_id = IntegerField()
        actor = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        actor_label = CharField(default='')
        at = DateTimeField()
        action = CharField(max_length=40)
        from_state = CharField(max_length=40)
        to_state = CharField(max_length=40)
        comment = TextField(default='')
        class Meta:
            database = db
            table_name = 'workflow_event'
            indexes = ((('item_kind', 'item_id', 'at'), False),)
    db.create_tables([WorkflowEvent])

    class Minutes(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        document_key = CharField(unique=True)
        corrects = ForeignKeyField('self', null=True, on_delete='SET NULL')
        label = CharField(index=True, default='green')
        chatham_house = BooleanField(default=False)
        state = CharField(index=True, default='draft')
        body = TextField(default='')
        version = IntegerField(default=1)
        objection_deadline = DateTimeField(null=True)
        released_at = DateTimeField(null=True)
        released_text = TextField(default='')
        released_sha256 = CharField(max_length=64, default='')
        created_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        created_by_label = CharField(default='')
        created_at = DateTimeField()
        changed_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'minutes'
    db.create_tables([Minutes])

    class MinutesVersion(Model):
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        number = IntegerField()
        body = TextField(default='')
        author = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        author_label = CharField(default='')
        at = DateTimeField()
        note = CharField(default='')
        class Meta:
            database = db
            table_name = 'minutes_version'
            indexes = ((('minutes', 'number'), True),)
    db.create_tables([MinutesVersion])

    class MinutesSection(Model):
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete='SET NULL')
        position = IntegerField(default=0)
        title = CharField(max_length=300)
        label = CharField(default='green')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        text = TextField(default='')
        class Meta:
            database = db
            table_name = 'minutes_section'
    db.create_tables([MinutesSection])

    class Decision(Model):
        section = ForeignKeyField(MinutesSection, on_delete='CASCADE')
        position = IntegerField(default=0)
        text = TextField()
        class Meta:
            database = db
            table_name = 'decision'
    db.create_tables([Decision])

    class ActionItem(Model):
        section = ForeignKeyField(MinutesSection, on_delete='CASCADE')
        text = TextField()
        responsible = CharField(max_length=200, default='')
        due_on = DateField(null=True)
        state = CharField(index=True, default='open')
        carried_to = ForeignKeyField(AgendaItem, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'action_item'
    db.create_tables([ActionItem])

    class MinutesComment(Model):
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        kind = CharField(default='comment')
        text = TextField()
        author = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        author_label = CharField(default='')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        resolved_by = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        resolved_by_label = CharField(default='')
        resolution = TextField(default='')
        class Meta:
            database = db
            table_name = 'minutes_comment'
    db.create_tables([MinutesComment])

    class ReadConfirmation(Model):
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        account = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        account_label = CharField(default='')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        at = DateTimeField()
        class Meta:
            database = db
            table_name = 'read_confirmation'
            indexes = ((('minutes', 'account'), True),)
    db.create_tables([ReadConfirmation])

    class MinutesVisit(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE')
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        seen_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'minutes_visit'
            indexes = ((('account', 'minutes'), True),)
    db.create_tables([MinutesVisit])


def down(migrator, db):
    for table in ('minutes_visit', 'read_confirmation', 'minutes_comment', 'action_item',
                  'decision', 'minutes_section', 'minutes_version', 'minutes', 'workflow_event'):
        migrator.migrate(migrator.drop_table(table))
