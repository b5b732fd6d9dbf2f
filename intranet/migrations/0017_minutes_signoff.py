"""Sign-off per invited organisation during circulation (Zustimmung; silence counts as consent)."""
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

    class Minutes(Model):
        class Meta:
            database = db
            table_name = 'minutes'

    class Signoff(Model):
        minutes = ForeignKeyField(Minutes, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        account = ForeignKeyField(Account, null=True, on_delete='SET NULL')
        account_label = CharField(default='')
        at = DateTimeField()

        class Meta:
            database = db
            table_name = 'signoff'
            indexes = ((('minutes', 'organization'), True),)

    db.create_tables([Signoff])


def down(migrator, db):
    db.execute_sql('DROP TABLE signoff')
