"""Refused reads are counted per account, item and ten minutes, and enter the audit chain as one
entry with their number: a table for the counting, a column for the number."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    migrator.migrate(migrator.add_column('audit_event', 'attempts', IntegerField(null=True)))

    class RefusedRead(Model):
        window_start = DateTimeField()
        actor_id = IntegerField()
        actor_label = CharField(default='')
        action = CharField()
        target = CharField()
        detail = TextField(default='')
        address = CharField(default='')
        first_at = DateTimeField()
        attempts = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'refused_read'
            indexes = ((('actor_id', 'target', 'window_start'), True),)
    db.create_tables([RefusedRead])


def down(migrator, db):
    db.execute_sql('DROP TABLE refused_read')
    migrator.migrate(migrator.drop_column('audit_event', 'attempts'))
