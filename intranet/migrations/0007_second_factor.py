"""Second factor at sign-in: authenticator apps (TOTP) and single-use recovery codes."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class SecondFactor(Model):
        account = ForeignKeyField(Account, unique=True, on_delete='CASCADE')
        seed = CharField(max_length=64)
        key_check = CharField(max_length=64)
        last_step = IntegerField(null=True)
        confirmed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'second_factor'

    class RecoveryCode(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE', index=True)
        code_hash = CharField(max_length=64)
        used_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'recovery_code'
    db.create_tables([SecondFactor, RecoveryCode])
