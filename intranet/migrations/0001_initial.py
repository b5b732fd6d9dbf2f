"""Organisations, accounts, sign-in failures, set-up token, audit log, settings, barrier reports."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Organization(Model):
        name = CharField(unique=True)
        short_name = CharField(default='')
        kind = CharField(default='association')
        status = CharField(default='signatory')
        joined_on = DateField(null=True)
        website = CharField(default='')
        address = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organization'
    db.create_tables([Organization])

    class Account(Model):
        email = CharField(unique=True)
        display_name = CharField()
        organization = ForeignKeyField(Organization, null=True, on_delete='RESTRICT')
        role = CharField(default='member')
        password_hash = CharField()
        active = BooleanField(default=True)
        session_version = IntegerField(default=1)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        password_changed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'account'
    db.create_tables([Account])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        actor_id = IntegerField(index=True, null=True)
        actor_label = CharField(default='')
        action = CharField(index=True)
        target = CharField(default='')
        detail = TextField(default='')
        address = CharField(default='')
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class BarrierReport(Model):
        created_at = DateTimeField(index=True)
        page = CharField(default='')
        message = TextField()
        contact = CharField(default='')
        class Meta:
            database = db
            table_name = 'barrier_report'
    db.create_tables([BarrierReport])

    class LoginFailure(Model):
        at = DateTimeField(index=True)
        email = CharField(index=True)
        address = CharField(index=True)
        class Meta:
            database = db
            table_name = 'login_failure'
    db.create_tables([LoginFailure])

    class SetupToken(Model):
        token_hash = CharField(primary_key=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'setup_token'
    db.create_tables([SetupToken])

    class SiteSetting(Model):
        key = CharField(primary_key=True)
        value = TextField(default='')
        class Meta:
            database = db
            table_name = 'site_setting'
    db.create_tables([SiteSetting])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('site_setting'))
    migrator.migrate(migrator.drop_table('setup_token'))
    migrator.migrate(migrator.drop_table('login_failure'))
    migrator.migrate(migrator.drop_table('barrier_report'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('account'))
    migrator.migrate(migrator.drop_table('organization'))

