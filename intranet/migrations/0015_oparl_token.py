"""The personal OParl token: a program reads the OParl export with its owner's rights."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class OparlToken(Model):
        account = ForeignKeyField(Account, unique=True, on_delete='CASCADE')
        nonce = CharField()
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'oparl_token'
    db.create_tables([OparlToken])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('oparl_token'))
