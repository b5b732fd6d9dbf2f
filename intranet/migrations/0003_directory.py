"""The directory: people and memberships; general phone and email of organisations."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('organization', 'phone', CharField(max_length=50, default='')),
        migrator.add_column('organization', 'email', CharField(max_length=320, default='')),
    )

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class Person(Model):
        account = ForeignKeyField(Account, null=True, unique=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, on_delete='RESTRICT')
        function = CharField(max_length=200, index=True)
        title = CharField(max_length=50, default='')
        given_name = CharField(max_length=100, default='')
        family_name = CharField(max_length=100)
        form_of_address = CharField(max_length=10, default='')
        phone = CharField(max_length=50, default='')
        phone_visibility = CharField(max_length=20, default='coordinators')
        mobile = CharField(max_length=50, default='')
        mobile_visibility = CharField(max_length=20, default='coordinators')
        email = CharField(max_length=320, default='')
        email_visibility = CharField(max_length=20, default='coordinators')
        languages = CharField(max_length=200, default='')
        consent_on = DateField(null=True)
        consent_basis = CharField(max_length=30, default='')
        consent_recorded_by = ForeignKeyField(
            Account, null=True, on_delete='SET NULL', column_name='consent_recorded_by_id',
            backref='+')
        search_key = TextField(default='')
        sort_key = CharField(max_length=250, default='', index=True)
        version = IntegerField(default=1)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'person'
            indexes = ((('organization', 'sort_key'), False),)
    db.create_tables([Person])

    class Membership(Model):
        person = ForeignKeyField(Person, null=True, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        role = CharField(max_length=200, default='')
        start_date = DateField(null=True)
        end_date = DateField(null=True, index=True)
        on_behalf_of = ForeignKeyField(
            Person, null=True, on_delete='SET NULL', column_name='on_behalf_of_id', backref='+')
        anonymized_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'membership'
    db.create_tables([Membership])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('person'))
    migrator.migrate(
        migrator.drop_column('organization', 'email'),
        migrator.drop_column('organization', 'phone'),
    )
